"""The command handlers of intake's clocks that a person satisfies: a walk-in taken up the same
day (R13) and a stationing's dispatches and progress reports (R15)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import EventPayload

from xuncha_intake.adapters.groups import SqlGroups
from xuncha_intake.domain import cadence, groups, walk_ins
from xuncha_intake.domain.model import Petition


@dataclass
class ClockHandlers:
    """R13 and R15: a walk-in taken up the same day, and a stationing's dispatches and progress
    reports (each satisfies its running deadline; see adapters.deadlines)."""

    petitions: Aggregates[Petition]
    group_cadence: Aggregates[cadence.GroupCadence]
    group_table: SqlGroups
    now: Callable[[], datetime]

    async def handle_walk_in(
        self, cmd: walk_ins.HandleWalkIn, principal: Principal, meta: Meta
    ) -> Petition:
        scope = await self.group_table.scope_of(principal.group_id) if principal.group_id else None
        return await self.petitions.execute(
            cmd.petition_id,
            lambda s: walk_ins.decide_handle_walk_in(s, cmd, principal, scope),
            meta,
        )

    async def record_cadence(
        self, cmd: cadence.RecordCadence, principal: Principal, today: date, meta: Meta
    ) -> tuple[cadence.GroupCadence, EventPayload]:
        group_id = await self.group_table.group_of_stationing(cmd.stationing_id)
        if group_id is None:
            raise groups.UnknownStationing(
                f"未找到进驻记录 {cmd.stationing_id} / unknown stationing {cmd.stationing_id}"
            )
        decided: list[EventPayload] = []

        def decide(state: cadence.GroupCadence) -> list[EventPayload]:
            decided[:] = cadence.decide_cadence(state, cmd, principal, today)
            return decided

        state = await self.group_cadence.execute(group_id, decide, meta)
        return state, decided[0]
