"""The intake service's composition root: schema, informant vault, handlers, HTTP routes and
consumers."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from fastapi import FastAPI
from faststream.kafka import KafkaBroker
from xuncha_shared import clocks, secrets
from xuncha_shared.clocks import RULES, CalendarSource
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.clocks.http import rules_router
from xuncha_shared.clocks.rules import R14_STATIONING
from xuncha_shared.crypto import InformantVault, load_kek
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.gate import guard
from xuncha_shared.runtime import Component, ServiceContext, ServiceSpec, inbox_subscriber

from xuncha_intake.adapters import deadlines, retention
from xuncha_intake.adapters import groups as group_tables
from xuncha_intake.adapters import oversight as oversight_tables
from xuncha_intake.adapters import planning as planning_tables
from xuncha_intake.adapters.receipts import SCHEMA, SqlReceipts
from xuncha_intake.domain import cadence, groups, model, planning, records
from xuncha_intake.domain.linkage import LINKAGE_PLAN
from xuncha_intake.domain.model import PETITION
from xuncha_intake.domain.oversight import COUNTY_OVERSIGHT
from xuncha_intake.domain.pool import POOL_MEMBER
from xuncha_intake.domain.rounds import ROUND
from xuncha_intake.entrypoints.api import build_router
from xuncha_intake.entrypoints.clocks_api import build_clocks_router
from xuncha_intake.entrypoints.evaluations_api import build_evaluations_router
from xuncha_intake.entrypoints.groups_api import build_groups_router
from xuncha_intake.entrypoints.notices_due import build_notices_due_router
from xuncha_intake.entrypoints.oversight_api import build_oversight_router
from xuncha_intake.entrypoints.petition_list import build_petition_list_router
from xuncha_intake.entrypoints.planning_api import build_planning_router
from xuncha_intake.entrypoints.reserve_api import build_reserve_router
from xuncha_intake.handlers.clocks import ClockHandlers
from xuncha_intake.handlers.groups import GroupHandlers
from xuncha_intake.handlers.oversight import OversightHandlers
from xuncha_intake.handlers.petitions import (
    RECEIPT_STATUS_CONSUMER,
    RESULT_NOTICE_CONSUMER,
    IntakeHandlers,
    receipt_status_handler,
    result_notice_handler,
)
from xuncha_intake.handlers.planning import PlanningHandlers

log = logging.getLogger(__name__)

#: the process's informant vault (KEK from ``XUNCHA_KEK``)
VAULT = Component[InformantVault]("vault")
#: the key of the receipt codes' stored hashes (``XUNCHA_RECEIPT_KEY``)
RECEIPT_KEY = Component[bytes]("receipt-key")


def load_receipt_key(ctx: ServiceContext) -> bytes:
    """``XUNCHA_RECEIPT_KEY`` (locally the generated ``receipt-key`` secret); without one, the
    public development key, warned (production refuses to start without one)."""

    def load() -> bytes:
        if ctx.settings.receipt_key:
            return secrets.parse_receipt_key(ctx.settings.receipt_key)
        log.warning(
            "XUNCHA_RECEIPT_KEY is not set: receipt codes are hashed with the public "
            "development key. Production sets XUNCHA_RECEIPT_KEY from a secrets manager."
        )
        return model.DEV_RECEIPT_KEY

    return ctx.component(RECEIPT_KEY, load)


def vault_from_context(ctx: ServiceContext) -> InformantVault:
    """The process's informant vault, made the first time it is asked for."""
    return ctx.component(VAULT, lambda: InformantVault(ctx.pool, load_kek(ctx.settings)))


def handlers(ctx: ServiceContext) -> IntakeHandlers:
    petitions = ctx.aggregates(PETITION, reactions=[deadlines.reactions(ctx.clocks())])
    return IntakeHandlers(
        petitions,
        SqlReceipts(ctx.pool),
        vault_from_context(ctx),
        now=lambda: ctx.now(),
        receipt_key=load_receipt_key(ctx),
    )


def oversight_handlers(ctx: ServiceContext) -> OversightHandlers:
    table = oversight_tables.SqlCountyOversight(ctx.pool)
    return OversightHandlers(
        records=ctx.aggregates(COUNTY_OVERSIGHT, table),
        table=table,
        today=lambda: local_day(ctx.now()),
    )


def planning_handlers(ctx: ServiceContext) -> PlanningHandlers:
    units = planning_tables.SqlUnits(ctx.pool)
    rounds = planning_tables.SqlRounds(ctx.pool)
    linkage = planning_tables.SqlLinkagePlans(ctx.pool)
    term_plans = planning_tables.SqlTermPlans(ctx.pool)
    return PlanningHandlers(
        units=ctx.aggregates(planning.UNIT, units),
        term_plans=ctx.aggregates(planning.TERM_PLAN, term_plans),
        linkage_plans=ctx.aggregates(LINKAGE_PLAN, linkage),
        rounds=ctx.aggregates(ROUND, rounds),
        unit_table=units,
        round_table=rounds,
        linkage_table=linkage,
        group_table=group_tables.SqlGroups(ctx.pool),
        term_plan_table=term_plans,
        today=lambda: local_day(ctx.now()),
    )


#: the working-day calendar, reloaded when a new year's file arrives
CALENDAR = Component[CalendarSource]("calendar")


def stationing_term(ctx: ServiceContext) -> Callable[[date], groups.StationingTerm]:
    """Rule R14 (stationing lasts 15 working days) in the version in force on the start day,
    on the current calendar."""
    source = ctx.component(CALENDAR, CalendarSource)

    def term(starts_on: date) -> groups.StationingTerm:
        rule = RULES.applicable(R14_STATIONING, starts_on)
        due = rule.due(source.current(), starts_on)
        return groups.StationingTerm(due.due_date, rule.id, rule.version, due.provisional)

    return term


def group_handlers(ctx: ServiceContext) -> GroupHandlers:
    rounds = planning_tables.SqlRounds(ctx.pool)
    members = group_tables.SqlPoolMembers(ctx.pool)
    group_table = group_tables.SqlGroups(ctx.pool)
    record_table = group_tables.SqlIntakeRecords(ctx.pool)
    return GroupHandlers(
        pool_members=ctx.aggregates(POOL_MEMBER, members),
        inspection_groups=ctx.aggregates(
            groups.GROUP, group_table, deadlines.group_reactions(ctx.clocks())
        ),
        rounds=ctx.aggregates(ROUND, rounds),
        unit_table=planning_tables.SqlUnits(ctx.pool),
        member_table=members,
        group_table=group_table,
        stationing_term=stationing_term(ctx),
        today=lambda: local_day(ctx.now()),
        intake_records=ctx.aggregates(records.INTAKE_RECORD, record_table),
        record_table=record_table,
    )


def clock_handlers(ctx: ServiceContext) -> ClockHandlers:
    """R13 and R15 (adapters.deadlines): walk-ins taken up, dispatches and progress reports."""
    return ClockHandlers(
        petitions=ctx.aggregates(PETITION, reactions=[deadlines.reactions(ctx.clocks())]),
        group_cadence=ctx.aggregates(
            cadence.GROUP_CADENCE, reactions=deadlines.group_reactions(ctx.clocks())
        ),
        group_table=group_tables.SqlGroups(ctx.pool),
        now=lambda: ctx.now(),
    )


async def on_start(ctx: ServiceContext) -> None:
    vault_from_context(ctx)  # load the KEK once, at start-up (fails fast on a bad XUNCHA_KEK)
    key = load_receipt_key(ctx)  # fails fast on a bad XUNCHA_RECEIPT_KEY
    # receipts kept unkeyed (before the keying) get their keyed hash: their codes keep working
    keyed = await SqlReceipts(ctx.pool).key_legacy_rows(
        lambda digest: model.keyed_digest(digest, key)
    )
    if keyed:
        log.info("keyed %d receipt hash(es) kept unkeyed before", keyed)


def build_api(app: FastAPI, ctx: ServiceContext) -> None:
    guard(app, ctx.authenticator)
    deps = AuthDependencies(ctx.authenticator)
    group_commands = group_handlers(ctx)
    petitions = handlers(ctx)
    app.include_router(build_router(petitions, deps, group_commands))
    # the workbench's list; the custodian's lookup by receipt code
    app.include_router(build_petition_list_router(ctx, deps, petitions.petition_of_receipt))
    app.include_router(build_notices_due_router(ctx.pool, deps))  # the custodian's to-do
    app.include_router(rules_router(deadlines.RULE_IDS, rules=retention.rule_book()))
    app.include_router(build_clocks_router(clock_handlers(ctx), deps))
    planning_commands = planning_handlers(ctx)
    app.include_router(build_planning_router(planning_commands, deps))
    app.include_router(build_groups_router(group_commands, planning_commands, deps))
    app.include_router(build_reserve_router(group_commands, deps))
    app.include_router(build_evaluations_router(group_commands, deps))
    app.include_router(build_oversight_router(oversight_handlers(ctx), deps))


def build_consumers(broker: KafkaBroker, ctx: ServiceContext) -> None:
    # follows the clues' events: moves each receipt's public status forward
    handle = receipt_status_handler(SqlReceipts(ctx.pool))
    inbox_subscriber(ctx, RECEIPT_STATUS_CONSUMER, ["clue"], handle)
    # follows the clues' disposals: the R8 result notice of a real-name reporter
    petitions = ctx.aggregates(PETITION, reactions=[deadlines.reactions(ctx.clocks())])
    inbox_subscriber(ctx, RESULT_NOTICE_CONSUMER, ["clue"], result_notice_handler(petitions))


SPEC = ServiceSpec(
    name="intake",
    title="xuncha intake: 来信来电来访与移交受理",
    schema=(
        *SCHEMA,
        *planning_tables.SCHEMA,
        *group_tables.SCHEMA,
        *oversight_tables.SCHEMA,
        clocks.SCHEMA,
    ),
    build_api=build_api,
    build_consumers=build_consumers,
    on_start=on_start,
    deadline_kinds=deadlines.KINDS,
)
