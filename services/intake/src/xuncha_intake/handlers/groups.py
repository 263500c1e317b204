"""Steps 2 to 4 of the lifecycle: the command handlers of the talent pool, the groups and their
stationing (R14), and the records of every intake channel (``domain/pool.py``,
``domain/groups.py``, ``domain/records.py``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from uuid import UUID

from xuncha_shared.aggregates import Aggregates
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.domain.commands import Meta
from xuncha_shared.ids import uuid7

from xuncha_intake.adapters.groups import SqlGroups, SqlIntakeRecords, SqlPoolMembers
from xuncha_intake.adapters.planning import SqlUnits
from xuncha_intake.domain import groups, planning, records
from xuncha_intake.domain.pool import (
    AdmitReserveCadre,
    DeclareRecusal,
    EnrolMember,
    PoolMember,
    RemoveReserveCadre,
    decide_admit_reserve,
    decide_enrol,
    decide_recusal,
    decide_remove_reserve,
    decide_retire,
)
from xuncha_intake.domain.rounds import Round


@dataclass
class GroupHandlers:
    """Commands of steps 2 and 3. ``stationing_term(starts_on)`` is rule R14 on the working-day
    calendar; ``today()`` the date in China Standard Time."""

    pool_members: Aggregates[PoolMember]
    inspection_groups: Aggregates[groups.Group]
    rounds: Aggregates[Round]
    unit_table: SqlUnits
    member_table: SqlPoolMembers
    group_table: SqlGroups
    stationing_term: Callable[[date], groups.StationingTerm]
    today: Callable[[], date]
    intake_records: Aggregates[records.IntakeRecord]
    record_table: SqlIntakeRecords

    async def enrol(self, cmd: EnrolMember, meta: Meta) -> PoolMember:
        cmd = replace(cmd, member_id=uuid7())
        home = (await self.unit_table.facts([cmd.home_unit_id])).get(cmd.home_unit_id)
        return await self.pool_members.execute(
            cmd.member_id, lambda s: decide_enrol(s, cmd, home), meta
        )

    async def load_member(self, member_id: UUID) -> PoolMember:
        return await self.pool_members.load(member_id)

    async def retire(self, member_id: UUID, meta: Meta) -> PoolMember:
        return await self.pool_members.execute(
            member_id, lambda s: decide_retire(s, member_id), meta
        )

    async def declare_recusal(self, member_id: UUID, cmd: DeclareRecusal, meta: Meta) -> PoolMember:
        unit = (await self.unit_table.facts([cmd.unit_id])).get(cmd.unit_id)
        return await self.pool_members.execute(
            member_id, lambda s: decide_recusal(s, member_id, cmd, unit), meta
        )

    async def admit_reserve(
        self, member_id: UUID, cmd: AdmitReserveCadre, meta: Meta
    ) -> PoolMember:
        """后备干部库: the member's grade in the group's evaluation decides (优秀 only); a group
        the member was not graded in, or one of another city, gives no grade."""
        group = await self.inspection_groups.load(cmd.group_id)
        grade = group.evaluations.get(member_id) if group.exists else None
        ends_on, today = await self._round_end(group), self.today()
        return await self.pool_members.execute(
            member_id,
            lambda s: decide_admit_reserve(s, member_id, cmd, grade, today, ends_on),
            meta,
        )

    async def remove_reserve(
        self, member_id: UUID, cmd: RemoveReserveCadre, meta: Meta
    ) -> PoolMember:
        today = self.today()
        return await self.pool_members.execute(
            member_id, lambda s: decide_remove_reserve(s, member_id, cmd, today), meta
        )

    async def form_group(self, cmd: groups.FormGroup, meta: Meta) -> groups.Group:
        async with self.inspection_groups.transaction() as conn:
            # one formation at a time per member: the seats read below stay true until commit;
            # everything is read on this transaction's connection, none waits for another
            await self.group_table.lock_round(conn, cmd.round_id)
            await self.group_table.lock_members(conn, cmd.member_ids)
            rnd = await self.rounds.load(cmd.round_id, conn=conn)
            members = {
                m: await self.pool_members.load(m, conn=conn) for m in dict.fromkeys(cmd.member_ids)
            }
            homes = [m.home_unit_id for m in members.values() if m.home_unit_id is not None]
            units = await self.unit_table.facts([*cmd.unit_ids, *homes], conn)
            taken = await self.group_table.units_taken(conn, cmd.round_id)
            busy: list[groups.Busy] = []
            if rnd.starts_on is not None and rnd.ends_on is not None:
                busy = await self.group_table.seats_overlapping(
                    conn, cmd.member_ids, rnd.starts_on, rnd.ends_on
                )
            state = await self.inspection_groups.load(cmd.group_id, conn=conn)
            events = groups.decide_form_group(state, cmd, rnd, members, units, busy, taken)
            await self.inspection_groups.record(conn, cmd.group_id, state, events, meta)
        return state

    async def load_group(self, group_id: UUID) -> groups.Group:
        return await self.inspection_groups.load(group_id)

    async def round_area(self, round_id: str) -> str | None:
        """The jurisdiction of the round named by id ``round_id``; None: no such round (or a
        round named in words)."""
        try:
            rnd = await self.rounds.load(UUID(round_id))
        except ValueError:
            return None
        return rnd.jurisdiction if rnd.exists else None

    async def unit_fact(self, unit_id: UUID) -> planning.UnitFact | None:
        return (await self.unit_table.facts([unit_id])).get(unit_id)

    async def _round_end(self, group: groups.Group) -> date | None:
        """The day the group's round ended or ends: its planned end, or the day it was closed
        when that came first."""
        ends_on = group.ends_on
        if group.round_id is not None:
            rnd = await self.rounds.load(group.round_id)
            if rnd.closed_at is not None:
                closed_on = local_day(rnd.closed_at)
                ends_on = closed_on if ends_on is None else min(ends_on, closed_on)
        return ends_on

    async def evaluate(
        self, group_id: UUID, cmd: groups.EvaluateInspector, meta: Meta
    ) -> groups.Group:
        """考核评价, once the group's round has ended."""
        ends_on, today = (
            await self._round_end(await self.inspection_groups.load(group_id)),
            self.today(),
        )
        return await self.inspection_groups.execute(
            group_id, lambda s: groups.decide_evaluate(s, group_id, cmd, today, ends_on), meta
        )

    async def correct_evaluation(
        self, group_id: UUID, cmd: groups.CorrectEvaluation, meta: Meta
    ) -> groups.Group:
        """更正评价: refused while this group's 优秀 keeps the member in the reserve pool."""
        member = await self.pool_members.load(cmd.member_id)
        by_this_group = member.reserve_since is not None and member.reserve_group == group_id
        return await self.inspection_groups.execute(
            group_id,
            lambda s: groups.decide_correct_evaluation(s, group_id, cmd, by_this_group),
            meta,
        )

    async def station(
        self, group_id: UUID, unit_id: UUID, starts_on: date, ends_on: date | None, meta: Meta
    ) -> tuple[groups.Group, UUID]:
        """Station the group at ``unit_id`` from ``starts_on``; without ``ends_on`` the end is
        rule R14's (15 working days on the calendar). Returns the group and the stationing id."""
        group = await self.inspection_groups.load(group_id)
        stationing_id = uuid7()
        if ends_on is None:
            term = self.stationing_term(starts_on)
            cmd = groups.StationGroup(
                unit_id=unit_id,
                starts_on=starts_on,
                ends_on=term.ends_on,
                stationing_id=stationing_id,
                rule_id=term.rule_id,
                rule_version=term.rule_version,
                provisional=term.provisional,
            )
        else:
            cmd = groups.StationGroup(unit_id, starts_on, ends_on, stationing_id)
        async with self.inspection_groups.transaction() as conn:
            rnd = Round()
            if group.round_id:
                # the round is read once no one may close it before this commits (结束本轮
                # takes the same lock, and refuses while a group is stationed)
                await self.group_table.lock_round(conn, group.round_id)
                rnd = await self.rounds.load(group.round_id, conn=conn)
            state = await self.inspection_groups.execute(
                group_id, lambda s: groups.decide_station(s, group_id, cmd, rnd), meta, conn=conn
            )
        return state, stationing_id

    async def group_of_stationing(self, stationing_id: UUID) -> groups.Group:
        group_id = await self.group_table.group_of_stationing(stationing_id)
        return await self.inspection_groups.load(group_id) if group_id else groups.Group()

    async def end_stationing(
        self, group_id: UUID, stationing_id: UUID, ended_on: date | None, meta: Meta
    ) -> groups.Group:
        today = self.today()
        cmd = groups.EndStationing(stationing_id, ended_on or today)
        return await self.inspection_groups.execute(
            group_id, lambda s: groups.decide_end_stationing(s, group_id, cmd, today), meta
        )

    async def record_intake(self, cmd: records.RecordIntake, meta: Meta) -> records.IntakeRecord:
        """Record one channel's work (step 4); the clues it brings reach the clues service
        through the record's event."""
        cmd = replace(cmd, record_id=uuid7())
        rnd = await self.rounds.load(cmd.round_id)
        group = await self.inspection_groups.load(cmd.group_id)
        unit = (await self.unit_table.facts([cmd.unit_id])).get(cmd.unit_id)
        record_id, today = cmd.record_id, self.today()
        return await self.intake_records.execute(
            record_id, lambda s: records.decide_record(s, cmd, rnd, group, unit, today), meta
        )
