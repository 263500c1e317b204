"""The clues service's composition root: schema, handlers, HTTP routes and consumers."""

from __future__ import annotations

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from xuncha_shared import clocks
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.clocks.http import rules_router
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.gate import guard
from xuncha_shared.runtime import ServiceContext, ServiceSpec, inbox_subscriber

from xuncha_clues.adapters import deadlines, findings
from xuncha_clues.adapters.read_model import MIGRATIONS, SCHEMA, SqlClueReadModel
from xuncha_clues.domain.consultation import CONSULTATION
from xuncha_clues.domain.inspection_report import INSPECTION_REPORT
from xuncha_clues.domain.model import CLUE
from xuncha_clues.domain.problem import PROBLEM
from xuncha_clues.entrypoints.api import build_router
from xuncha_clues.entrypoints.findings_api import build_findings_router
from xuncha_clues.entrypoints.workbench_api import build_workbench_router
from xuncha_clues.findings_handlers import GROUP_UNITS_CONSUMER, FindingHandlers, keep_group_units
from xuncha_clues.handlers import (
    FEED_ACK_CONSUMER,
    REGISTER_CONSUMER,
    REGISTER_FROM_RECORDS_CONSUMER,
    ClueHandlers,
    acknowledge_from_feed,
    register_from_petitions,
    register_from_records,
)


def handlers(ctx: ServiceContext) -> ClueHandlers:
    read_model = SqlClueReadModel(ctx.pool)
    clues = ctx.aggregates(CLUE, read_model, [deadlines.reactions(ctx.clocks())])
    return ClueHandlers(
        clues,
        read_model,
        now=lambda: ctx.now(),
        result_clock=lambda clue_id: deadlines.transfer_result_clock(ctx.pool, clue_id),
        group_of=findings.SqlLookups(ctx.pool).registering_group,
    )


def finding_handlers(ctx: ServiceContext) -> FindingHandlers:
    problems = findings.SqlProblemReadModel(ctx.pool)
    reports = findings.SqlReportReadModel(ctx.pool)
    consultations = findings.SqlConsultationReadModel(ctx.pool)
    return FindingHandlers(
        problems=ctx.aggregates(PROBLEM, problems),
        reports=ctx.aggregates(INSPECTION_REPORT, reports),
        consultations=ctx.aggregates(CONSULTATION, consultations),
        problem_rows=problems,
        report_rows=reports,
        consultation_rows=consultations,
        lookups=findings.SqlLookups(ctx.pool),
        today=lambda: local_day(ctx.now()),
    )


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    guard(app, ctx.authenticator)
    deps = AuthDependencies(ctx.authenticator)
    clue_handlers = handlers(ctx)
    # first: /clues/routes must not be taken for a clue id by /clues/{clue_id}
    app.include_router(build_workbench_router(ctx, clue_handlers, deps))
    app.include_router(build_router(clue_handlers, deps))
    app.include_router(build_findings_router(finding_handlers(ctx), deps))
    app.include_router(rules_router(deadlines.RULE_IDS))


def build_consumers(broker: KafkaBroker, ctx: ServiceContext) -> None:
    # follows intake's petitions: one clue per petition, inbox in the append's transaction
    inbox_subscriber(ctx, REGISTER_CONSUMER, ["petition"], register_from_petitions(handlers(ctx)))
    # follows intake's records (talks, surveys, referrals …): one clue per clue they bring
    inbox_subscriber(
        ctx, REGISTER_FROM_RECORDS_CONSUMER, ["intake_record"], register_from_records(handlers(ctx))
    )
    # follows reporting's sharing feed: a department's 签收 of a transferred clue (R3)
    inbox_subscriber(ctx, FEED_ACK_CONSUMER, ["share"], acknowledge_from_feed(handlers(ctx)))
    # follows intake's groups: the units of each group, for group-bound members
    inbox_subscriber(
        ctx, GROUP_UNITS_CONSUMER, ["group"], keep_group_units(findings.SqlLookups(ctx.pool))
    )


SPEC = ServiceSpec(
    name="clues",
    title="xuncha clues: 问题线索的登记、核查、移交与办理结果；发现问题、巡察报告与听取汇报",
    schema=(*SCHEMA, *findings.SCHEMA, clocks.SCHEMA),
    build_api=build_api,
    build_consumers=build_consumers,
    deadline_kinds=deadlines.KINDS,
    migrations=(*MIGRATIONS, *findings.MIGRATIONS),
)
