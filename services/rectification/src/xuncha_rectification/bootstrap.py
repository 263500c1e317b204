"""The rectification service's composition root: schema, handlers and HTTP routes."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from xuncha_shared import clocks
from xuncha_shared.clocks.http import rules_router
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.gate import guard
from xuncha_shared.runtime import ServiceContext, ServiceSpec, inbox_subscriber

from xuncha_rectification.adapters import cadre_opinions as opinion_tables
from xuncha_rectification.adapters import deadlines
from xuncha_rectification.adapters import publications as publication_tables
from xuncha_rectification.adapters.read_model import MIGRATIONS, SCHEMA, SqlIssueReadModel
from xuncha_rectification.adapters.recurrence import (
    COMMON_LIST_DDL,
    ISSUE_TOPIC_DDL,
    SqlCommonListReadModel,
    SqlIssueTopics,
)
from xuncha_rectification.adapters.rounds import ROUNDS_DDL
from xuncha_rectification.adapters.tables import (
    TABLES_DDL,
    RectificationTables,
    SqlOversightReadModel,
    SqlPlanReadModel,
)
from xuncha_rectification.domain.cadre_opinion import CADRE_OPINION
from xuncha_rectification.domain.common_lists import COMMON_LIST
from xuncha_rectification.domain.model import ISSUE
from xuncha_rectification.domain.plans import OVERSIGHT, PLAN
from xuncha_rectification.domain.publication import DEFAULT_EXEMPTIONS, PUBLICATION
from xuncha_rectification.domain.revisits import REVISIT
from xuncha_rectification.entrypoints.api import build_router
from xuncha_rectification.entrypoints.cadre_opinions_api import build_cadre_opinions_router
from xuncha_rectification.entrypoints.evidence_api import build_evidence_router
from xuncha_rectification.entrypoints.plans_api import build_plans_router
from xuncha_rectification.entrypoints.publications_api import build_publications_router
from xuncha_rectification.entrypoints.revisits_api import build_revisits_router
from xuncha_rectification.entrypoints.tasks_api import build_tasks_router
from xuncha_rectification.handlers import (
    CLUES_CONSUMER,
    HEARINGS_CONSUMER,
    ROUND_UNITS_CONSUMER,
    ROUNDS_CONSUMER,
    UNITS_CONSUMER,
    CadreOpinionHandlers,
    PublicationHandlers,
    RectificationHandlers,
    RevisitHandlers,
    keep_clues,
    keep_hearings,
    keep_round_units,
    keep_rounds,
    keep_units,
)


def handlers(ctx: ServiceContext) -> RectificationHandlers:
    read_model = SqlIssueReadModel(ctx.pool)
    clock = ctx.clocks()
    topics = SqlIssueTopics(ctx.pool)
    issues = ctx.aggregates(
        ISSUE, read_model, [deadlines.reactions(clock), deadlines.TaskDeadlines(clock), topics]
    )
    oversight_rows = SqlOversightReadModel(ctx.pool)
    return RectificationHandlers(
        issues,
        read_model,
        now=lambda: ctx.now(),
        plans=ctx.aggregates(PLAN, SqlPlanReadModel(ctx.pool)),
        oversight=ctx.aggregates(
            OVERSIGHT, oversight_rows, [oversight_rows, deadlines.SupervisionDeadlines(clock)]
        ),
        tables=RectificationTables(ctx.pool),
        closed_issues=topics.closed_out,
    )


def revisit_handlers(ctx: ServiceContext, rect: RectificationHandlers) -> RevisitHandlers:
    return RevisitHandlers(
        issues=rect.issues,
        revisits=ctx.aggregates(REVISIT),
        lists=ctx.aggregates(COMMON_LIST, SqlCommonListReadModel(ctx.pool)),
        now=lambda: ctx.now(),
        holding_round=rect.tables.holding_round,
    )


def publication_handlers(ctx: ServiceContext, rect: RectificationHandlers) -> PublicationHandlers:
    table = publication_tables.SqlPublications(ctx.pool)
    return PublicationHandlers(
        publications=ctx.aggregates(PUBLICATION, table),
        table=table,
        tables=rect.tables,
        exemptions=ctx.settings.publication_exemptions or DEFAULT_EXEMPTIONS,
        now=lambda: ctx.now(),
    )


def cadre_opinion_handlers(
    ctx: ServiceContext, rect: RectificationHandlers
) -> CadreOpinionHandlers:
    table = opinion_tables.SqlCadreOpinions(ctx.pool)
    reply_by = deadlines.CadreOpinionDeadlines(ctx.clocks())
    return CadreOpinionHandlers(
        opinions=ctx.aggregates(CADRE_OPINION, table, [reply_by]),
        table=table,
        tables=rect.tables,
        now=lambda: ctx.now(),
    )


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    guard(app, ctx.authenticator)
    deps = AuthDependencies(ctx.authenticator)
    rect = handlers(ctx)
    app.include_router(build_router(rect, deps))
    app.include_router(build_plans_router(rect, deps))
    app.include_router(build_tasks_router(rect, deps))
    app.include_router(build_evidence_router(rect, deps))
    app.include_router(
        build_revisits_router(
            revisit_handlers(ctx, rect), rect.read_model, deps, SqlCommonListReadModel(ctx.pool)
        )
    )
    app.include_router(build_publications_router(publication_handlers(ctx, rect), deps))
    app.include_router(build_cadre_opinions_router(cadre_opinion_handlers(ctx, rect), deps))
    app.include_router(rules_router(deadlines.RULE_IDS))


def build_consumers(broker: KafkaBroker, ctx: ServiceContext) -> None:
    # follows the hearings of inspection reports (R16: no feedback before the hearing)
    inbox_subscriber(ctx, HEARINGS_CONSUMER, ["inspection_report"], keep_hearings())
    # learns which clues are whose, so a feedback cites only its jurisdiction's own (R25)
    inbox_subscriber(ctx, CLUES_CONSUMER, ["clue"], keep_clues())
    # learns the rounds' names, so that issues and plans name their round (not only its id)
    inbox_subscriber(ctx, ROUNDS_CONSUMER, ["round"], keep_rounds())
    # learns the rounds' units and modes, so that a 回头看 held by a round names one (R18)
    inbox_subscriber(ctx, ROUND_UNITS_CONSUMER, ["round"], keep_round_units())
    # learns the units by name, so that an opinion on a cadre (R4) knows a unit a round
    # inspected though no issue was fed back to it
    inbox_subscriber(ctx, UNITS_CONSUMER, ["unit"], keep_units())


SPEC = ServiceSpec(
    name="rectification",
    title="xuncha rectification: 反馈问题与整改",
    schema=(
        *SCHEMA,
        TABLES_DDL,
        ROUNDS_DDL,
        ISSUE_TOPIC_DDL,
        COMMON_LIST_DDL,
        *publication_tables.SCHEMA,
        *opinion_tables.SCHEMA,
        clocks.SCHEMA,
    ),
    build_api=build_api,
    build_consumers=build_consumers,
    deadline_kinds=deadlines.KINDS,
    migrations=MIGRATIONS,
)
