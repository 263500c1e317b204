"""Step 1 of the lifecycle: the command handlers of inspected units, term plans, linkage plans
and rounds (``domain/planning.py``, ``domain/linkage.py``, ``domain/rounds.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.domain.commands import Meta
from xuncha_shared.ids import uuid7

from xuncha_intake.adapters.groups import SqlGroups
from xuncha_intake.adapters.planning import (
    SqlLinkagePlans,
    SqlRounds,
    SqlTermPlans,
    SqlUnits,
    lock_term,
)
from xuncha_intake.domain import planning
from xuncha_intake.domain.linkage import (
    IssueLinkagePlan,
    LinkagePlan,
    ProvideCounterpartReport,
    decide_counterpart_report,
    decide_issue_linkage_plan,
)
from xuncha_intake.domain.rounds import (
    AssignUnits,
    AuthoriseRound,
    PlanRound,
    Round,
    decide_assign_units,
    decide_authorise,
    decide_close,
    decide_plan_round,
)


@dataclass
class PlanningHandlers:
    """Commands of step 1. Facts of other aggregates (registered units, the term plan, a parent
    linkage plan) are read first and handed to the pure decision; ``today()`` is the date in
    China Standard Time."""

    units: Aggregates[planning.Unit]
    term_plans: Aggregates[planning.TermPlan]
    linkage_plans: Aggregates[LinkagePlan]
    rounds: Aggregates[Round]
    unit_table: SqlUnits
    round_table: SqlRounds
    linkage_table: SqlLinkagePlans
    group_table: SqlGroups
    term_plan_table: SqlTermPlans
    today: Callable[[], date]

    async def register_unit(self, cmd: planning.RegisterUnit, meta: Meta) -> planning.Unit:
        alike = await self.unit_table.named_alike(cmd.jurisdiction, cmd.name)
        return await self.units.execute(
            cmd.unit_id, lambda s: planning.decide_register_unit(s, cmd, alike), meta
        )

    async def adopt_term_plan(self, cmd: planning.AdoptTermPlan, meta: Meta) -> planning.TermPlan:
        facts = await self.unit_table.facts(cmd.unit_ids)
        # the neighbouring terms' plans bound its dates
        previous = (
            await self.term_plans.load(planning.term_plan_id_for(cmd.jurisdiction, cmd.term_no - 1))
            if cmd.term_no > 1
            else None
        )
        following = await self.term_plans.load(
            planning.term_plan_id_for(cmd.jurisdiction, cmd.term_no + 1)
        )
        return await self.term_plans.execute(
            cmd.term_plan_id,
            lambda s: planning.decide_adopt_term_plan(s, cmd, facts, previous, following),
            meta,
        )

    async def load_term_plan(self, plan_id: UUID) -> planning.TermPlan:
        return await self.term_plans.load(plan_id)

    async def amend_term_plan(self, cmd: planning.AmendTermPlan, meta: Meta) -> planning.TermPlan:
        facts = await self.unit_table.facts([*cmd.add_unit_ids, *cmd.remove_unit_ids])
        today = self.today()
        async with self.term_plans.transaction() as conn:
            # no round of the term assigns a unit while it is being taken out (assign_units)
            await lock_term(conn, cmd.jurisdiction, cmd.term_no)
            # a unit assigned to a round of the term is being or was inspected: it stays planned
            in_rounds = {
                UUID(unit["unit_id"])
                for row in await self.round_table.list(cmd.jurisdiction, cmd.term_no, conn=conn)
                for unit in row.units
            }
            return await self.term_plans.execute(
                cmd.term_plan_id,
                lambda s: planning.decide_amend_term_plan(s, cmd, facts, in_rounds, today),
                meta,
                conn=conn,
            )

    async def issue_linkage_plan(self, cmd: IssueLinkagePlan, meta: Meta) -> LinkagePlan:
        cmd = replace(cmd, linkage_plan_id=uuid7())
        parent = (
            await self.linkage_plans.load(cmd.parent_plan_id)
            if cmd.parent_plan_id is not None
            else None
        )
        return await self.linkage_plans.execute(
            cmd.linkage_plan_id,
            lambda s: decide_issue_linkage_plan(s, cmd, parent),
            meta,
        )

    async def provide_counterpart_report(
        self, plan_id: UUID, cmd: ProvideCounterpartReport, meta: Meta
    ) -> LinkagePlan:
        facts = await self.unit_table.facts([cmd.unit_id, cmd.counterpart_unit_id])
        return await self.linkage_plans.execute(
            plan_id, lambda s: decide_counterpart_report(s, plan_id, cmd, facts), meta
        )

    async def load_linkage_plan(self, plan_id: UUID) -> LinkagePlan:
        return await self.linkage_plans.load(plan_id)

    async def plan_round(self, cmd: PlanRound, meta: Meta) -> Round:
        term_plan = await self.term_plans.load(
            planning.term_plan_id_for(cmd.jurisdiction, cmd.term_no)
        )
        linkage = (
            await self.linkage_plans.load(cmd.linkage_plan_id)
            if cmd.linkage_plan_id is not None
            else None
        )
        return await self.rounds.execute(
            cmd.round_id, lambda s: decide_plan_round(s, cmd, term_plan, linkage), meta
        )

    async def load_round(self, round_id: UUID) -> Round:
        return await self.rounds.load(round_id)

    async def assign_units(self, round_id: UUID, cmd: AssignUnits, meta: Meta) -> Round:
        facts = await self.unit_table.facts([u.unit_id for u in cmd.units])
        planned = await self.rounds.load(round_id)
        if not planned.exists:
            return await self.rounds.execute(
                round_id, lambda s: decide_assign_units(s, round_id, cmd, facts), meta
            )
        async with self.rounds.transaction() as conn:
            # not while an amendment of the term's plan reads which units rounds assign
            await lock_term(conn, planned.jurisdiction, planned.term_no)
            return await self.rounds.execute(
                round_id, lambda s: decide_assign_units(s, round_id, cmd, facts), meta, conn=conn
            )

    async def authorise_round(self, round_id: UUID, cmd: AuthoriseRound, meta: Meta) -> Round:
        return await self.rounds.execute(
            round_id, lambda s: decide_authorise(s, round_id, cmd), meta
        )

    async def close_round(self, round_id: UUID, meta: Meta) -> Round:
        async with self.rounds.transaction() as conn:
            # no group is stationed in the round meanwhile (a stationing takes the same lock)
            await self.group_table.lock_round(conn, round_id)
            open_units = await self.group_table.open_stationings(conn, round_id)
            facts = await self.unit_table.facts(open_units, conn)
            names = [facts[u].name if u in facts else str(u) for u in open_units]
            return await self.rounds.execute(
                round_id, lambda s: decide_close(s, round_id, names), meta, conn=conn
            )
