"""The city office's oversight of its counties' inspection work (R29): the command handlers of
``domain/oversight.py``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.contracts.intake import pilot_point_id_for
from xuncha_shared.domain.commands import Meta

from xuncha_intake.adapters.oversight import SqlCountyOversight
from xuncha_intake.domain.oversight import (
    CheckCountyWork,
    CountyOversight,
    DesignatePilotPoint,
    LiftCountyKeySupervision,
    OrderCountyKeySupervision,
    OversightKind,
    decide_check,
    decide_key_supervision,
    decide_lift,
    decide_pilot_point,
)


@dataclass
class OversightHandlers:
    records: Aggregates[CountyOversight]
    table: SqlCountyOversight
    #: today in China Standard Time (a test's clock moves it)
    today: Callable[[], date]

    async def check(self, cmd: CheckCountyWork, office: str, meta: Meta) -> CountyOversight:
        today = self.today()
        async with self.records.transaction() as conn:
            # one record of a county at a time: what is read below stays true until commit
            await self.table.lock_county(conn, cmd.county)
            same_day = await self.table.of_county(
                conn, cmd.county, OversightKind.CHECK, day=cmd.checked_on
            )
            state = await self.records.load(cmd.record_id, conn=conn)
            events = decide_check(state, cmd, office, today, same_day)
            await self.records.record(conn, cmd.record_id, state, events, meta)
        return state

    async def key_supervision(
        self, cmd: OrderCountyKeySupervision, office: str, meta: Meta
    ) -> CountyOversight:
        today = self.today()
        async with self.records.transaction() as conn:
            await self.table.lock_county(conn, cmd.county)
            ordered = await self.table.of_county(conn, cmd.county, OversightKind.KEY_SUPERVISION)
            current = next((r for r in ordered if r.lifted_on is None), None)
            state = await self.records.load(cmd.record_id, conn=conn)
            events = decide_key_supervision(state, cmd, office, today, current)
            await self.records.record(conn, cmd.record_id, state, events, meta)
        return state

    async def lift(self, cmd: LiftCountyKeySupervision, office: str, meta: Meta) -> CountyOversight:
        today = self.today()
        return await self.records.execute(
            cmd.record_id, lambda s: decide_lift(s, cmd, office, today), meta
        )

    async def pilot_point(
        self, cmd: DesignatePilotPoint, office: str, meta: Meta
    ) -> CountyOversight:
        today = self.today()
        level = cmd.level.value if cmd.level else None
        point_id = pilot_point_id_for(cmd.county, cmd.kind.value, cmd.place, level)
        return await self.records.execute(
            point_id, lambda s: decide_pilot_point(s, cmd, point_id, office, today), meta
        )
