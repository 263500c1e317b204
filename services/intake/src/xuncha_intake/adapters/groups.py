"""Read model of steps 2 and 3: ``pool_member_view``, ``group_view``, ``group_seat_view`` (one
row per member of a group, with the group's dates: the overlap check) and ``stationing_view``.

Written in the transaction of the events they reflect. Forming a group takes a transaction-level
advisory lock per member (:meth:`SqlGroups.lock_members`) before it reads the member's seats, so
two groups formed at the same moment cannot both take one member for overlapping dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from xuncha_shared.db import PoolRepository, hold_locks
from xuncha_shared.domain.round_names import round_name

from xuncha_intake.domain.groups import Busy, Group
from xuncha_intake.domain.pool import PoolMember
from xuncha_intake.domain.records import IntakeRecord

GROUPS_DDL = """
CREATE TABLE IF NOT EXISTS pool_member_view (
    member_id    uuid    PRIMARY KEY,
    jurisdiction char(6) NOT NULL,
    name         text    NOT NULL,
    home_unit_id uuid    NOT NULL,
    source       text    NOT NULL,
    specialities text[]  NOT NULL,
    rank         text    NOT NULL,
    birth_year   integer NOT NULL,
    recusals     uuid[]  NOT NULL,
    retired      boolean NOT NULL,
    version      bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS pool_member_view_jurisdiction ON pool_member_view (jurisdiction);
-- 后备干部库 (004:L8): in the reserve pool since, by which group's evaluation; the last removal
ALTER TABLE pool_member_view ADD COLUMN IF NOT EXISTS reserve_since date NULL;
ALTER TABLE pool_member_view ADD COLUMN IF NOT EXISTS reserve_group uuid NULL;
ALTER TABLE pool_member_view ADD COLUMN IF NOT EXISTS reserve_note text NULL;
ALTER TABLE pool_member_view ADD COLUMN IF NOT EXISTS reserve_removed_on date NULL;
ALTER TABLE pool_member_view ADD COLUMN IF NOT EXISTS reserve_removal_reason text NULL;
ALTER TABLE pool_member_view ADD COLUMN IF NOT EXISTS reserve_groups uuid[] NOT NULL DEFAULT '{}';
CREATE TABLE IF NOT EXISTS group_view (
    group_id     uuid    PRIMARY KEY,
    round_id     uuid    NOT NULL,
    jurisdiction char(6) NOT NULL,
    group_no     integer NOT NULL,
    leader_id    uuid    NOT NULL,
    member_ids   uuid[]  NOT NULL,
    unit_ids     uuid[]  NOT NULL,
    starts_on    date    NOT NULL,
    ends_on      date    NOT NULL,
    version      bigint  NOT NULL,
    CONSTRAINT group_view_no_key UNIQUE (round_id, group_no)
);
CREATE TABLE IF NOT EXISTS group_seat_view (
    member_id uuid    NOT NULL,
    group_id  uuid    NOT NULL,
    group_no  integer NOT NULL,
    starts_on date    NOT NULL,
    ends_on   date    NOT NULL,
    PRIMARY KEY (member_id, group_id)
);
CREATE TABLE IF NOT EXISTS stationing_view (
    stationing_id uuid    PRIMARY KEY,
    group_id      uuid    NOT NULL,
    round_id      uuid    NOT NULL,
    jurisdiction  char(6) NOT NULL,
    unit_id       uuid    NOT NULL,
    starts_on     date    NOT NULL,
    ends_on       date    NOT NULL,
    ended_on      date    NULL
);
CREATE INDEX IF NOT EXISTS stationing_view_group ON stationing_view (group_id);
"""


_LOCK_SPACE = "xuncha.intake.member-seat"


@dataclass(frozen=True)
class Reserve:
    """A member's place in the reserve pool of cadres (后备干部库): in it ``since`` a day (by
    the evaluation of ``group_id``), or not; the last time they left it."""

    since: date | None = None
    group_id: UUID | None = None
    note: str | None = None
    removed_on: date | None = None
    removal_reason: str | None = None
    #: the groups whose evaluation put them in it, each once
    groups: tuple[UUID, ...] = ()

    @classmethod
    def of(cls, m: PoolMember) -> Reserve:
        return cls(
            m.reserve_since,
            m.reserve_group,
            m.reserve_note,
            m.reserve_removed_on,
            m.reserve_removal_reason,
            tuple(m.reserve_groups),
        )


@dataclass(frozen=True)
class MemberRow:
    member_id: UUID
    jurisdiction: str
    name: str
    home_unit_id: UUID
    source: str
    specialities: list[str]
    rank: str
    birth_year: int
    retired: bool
    recusals: list[UUID]
    reserve: Reserve


@dataclass(frozen=True)
class OpenSeat:
    """A member's seat in a group of a round not yet closed (what forming another group weighs:
    a group whose dates are past still holds its members until its round is closed)."""

    member_id: UUID
    group_id: UUID
    group_no: int
    starts_on: date
    ends_on: date
    round_id: UUID
    round_jurisdiction: str
    term_no: int
    round_no: int
    round_kind: str


def _round_name(r: Any) -> str:
    """The name of the round of a row joined to ``round_view`` (empty when it is not there)."""
    if r["jurisdiction"] is None:
        return ""
    return round_name(str(r["jurisdiction"]), r["term_no"], r["round_no"], r["kind"])


def _busy(r: Any) -> Busy:
    return Busy(
        member_id=r["member_id"],
        group_id=r["group_id"],
        group_no=r["group_no"],
        starts_on=r["starts_on"],
        ends_on=r["ends_on"],
        round_name=_round_name(r),
    )


def _open_seat(r: Any) -> OpenSeat:
    return OpenSeat(
        member_id=r["member_id"],
        group_id=r["group_id"],
        group_no=r["group_no"],
        starts_on=r["starts_on"],
        ends_on=r["ends_on"],
        round_id=r["round_id"],
        round_jurisdiction=str(r["jurisdiction"]),
        term_no=r["term_no"],
        round_no=r["round_no"],
        round_kind=r["kind"],
    )


class SqlPoolMembers(PoolRepository):
    async def upsert(self, conn: Any, state: PoolMember) -> None:
        assert state.source is not None
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO pool_member_view (member_id, jurisdiction, name, home_unit_id, "
                "source, specialities, rank, birth_year, recusals, retired, version, "
                "reserve_since, reserve_group, reserve_note, reserve_removed_on, "
                "reserve_removal_reason, reserve_groups) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, "
                "$17) "
                "ON CONFLICT (member_id) DO UPDATE SET recusals = EXCLUDED.recusals, "
                "retired = EXCLUDED.retired, version = EXCLUDED.version, "
                "reserve_since = EXCLUDED.reserve_since, reserve_group = EXCLUDED.reserve_group, "
                "reserve_note = EXCLUDED.reserve_note, "
                "reserve_removed_on = EXCLUDED.reserve_removed_on, "
                "reserve_removal_reason = EXCLUDED.reserve_removal_reason, "
                "reserve_groups = EXCLUDED.reserve_groups "
                "WHERE pool_member_view.version < EXCLUDED.version",
                state.member_id,
                state.jurisdiction,
                state.name,
                state.home_unit_id,
                state.source.value,
                [s.value for s in state.specialities],
                state.rank,
                state.birth_year,
                list(state.recusals),
                state.retired,
                state.version,
                state.reserve_since,
                state.reserve_group,
                state.reserve_note,
                state.reserve_removed_on,
                state.reserve_removal_reason,
                list(state.reserve_groups),
            )

    async def list(self, jurisdiction_like: str) -> list[MemberRow]:
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT * FROM pool_member_view WHERE jurisdiction LIKE $1 "
                "ORDER BY jurisdiction, name, member_id",
                jurisdiction_like,
            )
        return [
            MemberRow(
                member_id=r["member_id"],
                jurisdiction=r["jurisdiction"],
                name=r["name"],
                home_unit_id=r["home_unit_id"],
                source=r["source"],
                specialities=list(r["specialities"]),
                rank=r["rank"],
                birth_year=r["birth_year"],
                retired=r["retired"],
                recusals=list(r["recusals"]),
                reserve=Reserve(
                    r["reserve_since"],
                    r["reserve_group"],
                    r["reserve_note"],
                    r["reserve_removed_on"],
                    r["reserve_removal_reason"],
                    tuple(r["reserve_groups"]),
                ),
            )
            for r in rows
        ]


class SqlGroups(PoolRepository):
    async def upsert(self, conn: Any, state: Group) -> None:
        async with self._conn(conn) as c:
            inserted = await c.fetchval(
                "INSERT INTO group_view (group_id, round_id, jurisdiction, group_no, leader_id, "
                "member_ids, unit_ids, starts_on, ends_on, version) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                "ON CONFLICT (group_id) DO UPDATE SET version = EXCLUDED.version "
                "WHERE group_view.version < EXCLUDED.version RETURNING (xmax = 0)",
                state.group_id,
                state.round_id,
                state.jurisdiction,
                state.group_no,
                state.leader_id,
                state.member_ids,
                state.unit_ids,
                state.starts_on,
                state.ends_on,
                state.version,
            )
            if inserted:
                await c.executemany(
                    "INSERT INTO group_seat_view (member_id, group_id, group_no, starts_on, "
                    "ends_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
                    [
                        (m, state.group_id, state.group_no, state.starts_on, state.ends_on)
                        for m in state.member_ids
                    ],
                )
            for s in state.stationings.values():
                await c.execute(
                    "INSERT INTO stationing_view (stationing_id, group_id, round_id, "
                    "jurisdiction, unit_id, starts_on, ends_on, ended_on) "
                    "VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (stationing_id) "
                    "DO UPDATE SET ended_on = EXCLUDED.ended_on",
                    s.stationing_id,
                    state.group_id,
                    state.round_id,
                    state.jurisdiction,
                    s.unit_id,
                    s.starts_on,
                    s.ends_on,
                    s.ended_on,
                )

    async def lock_members(self, conn: Any, member_ids: list[UUID]) -> None:
        """Serialise group formations that share a member (until ``conn`` commits)."""
        await hold_locks(conn, (f"{_LOCK_SPACE}/{m}" for m in member_ids))

    async def scope_of(self, group_id: UUID) -> tuple[str, frozenset[UUID]] | None:
        """A group's round (as text, as cases name it) and units; None: no such group."""
        async with self._conn(None) as c:
            row = await c.fetchrow(
                "SELECT round_id, unit_ids FROM group_view WHERE group_id = $1", group_id
            )
        return None if row is None else (str(row["round_id"]), frozenset(row["unit_ids"]))

    async def ids_of_round(self, round_id: UUID) -> list[UUID]:
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT group_id FROM group_view WHERE round_id = $1 ORDER BY group_no", round_id
            )
        return [r["group_id"] for r in rows]

    async def lock_round(self, conn: Any, round_id: UUID) -> None:
        """Serialise the group formations of one round (R24: a unit in one group of a round)."""
        await hold_locks(conn, [f"{_LOCK_SPACE}/round/{round_id}"])

    async def units_taken(self, conn: Any, round_id: UUID) -> dict[UUID, int]:
        """The round's units already in a group: unit → group number."""
        async with self._conn(conn) as c:
            rows = await c.fetch(
                "SELECT unnest(unit_ids) AS unit_id, group_no FROM group_view WHERE round_id = $1",
                round_id,
            )
        return {r["unit_id"]: r["group_no"] for r in rows}

    async def seats_overlapping(
        self, conn: Any, member_ids: list[UUID], starts_on: date, ends_on: date
    ) -> list[Busy]:
        async with self._conn(conn) as c:
            rows = await c.fetch(
                "SELECT s.member_id, s.group_id, s.group_no, s.starts_on, s.ends_on, "
                "r.jurisdiction, r.term_no, r.round_no, r.kind FROM group_seat_view s "
                "LEFT JOIN group_view g ON g.group_id = s.group_id "
                "LEFT JOIN round_view r ON r.round_id = g.round_id "
                "WHERE s.member_id = ANY($1) AND s.starts_on <= $3 AND s.ends_on >= $2 "
                "ORDER BY s.starts_on",
                member_ids,
                starts_on,
                ends_on,
            )
        return [_busy(r) for r in rows]

    async def open_seats(self, member_ids: list[UUID]) -> list[OpenSeat]:
        """The seats of ``member_ids`` in the groups of rounds not yet closed, whichever area's
        round it is (a county's member seconded to a city group sits there for the county too)."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT s.member_id, s.group_id, s.group_no, s.starts_on, s.ends_on, r.round_id, "
                "r.jurisdiction, r.term_no, r.round_no, r.kind FROM group_seat_view s "
                "JOIN group_view g ON g.group_id = s.group_id "
                "JOIN round_view r ON r.round_id = g.round_id "
                "WHERE NOT r.closed AND s.member_id = ANY($1::uuid[]) "
                "ORDER BY s.member_id, s.starts_on, s.group_id",
                member_ids,
            )
        return [_open_seat(r) for r in rows]

    async def open_stationings(self, conn: Any, round_id: UUID) -> list[UUID]:
        """The units of the round where a group is stationed and has not ended it."""
        async with self._conn(conn) as c:
            rows = await c.fetch(
                "SELECT unit_id FROM stationing_view WHERE round_id = $1 AND ended_on IS NULL "
                "ORDER BY starts_on, unit_id",
                round_id,
            )
        return [r["unit_id"] for r in rows]

    async def group_of_stationing(self, stationing_id: UUID) -> UUID | None:
        async with self._conn(None) as c:
            group_id: UUID | None = await c.fetchval(
                "SELECT group_id FROM stationing_view WHERE stationing_id = $1", stationing_id
            )
        return group_id


RECORDS_DDL = """
CREATE TABLE IF NOT EXISTS intake_record_view (
    record_id    uuid    PRIMARY KEY,
    kind         text    NOT NULL,
    jurisdiction char(6) NOT NULL,
    round_id     uuid    NOT NULL,
    group_id     uuid    NOT NULL,
    unit_id      uuid    NOT NULL,
    occurred_on  date    NOT NULL,
    figures      jsonb   NOT NULL,
    clues        integer NOT NULL
);
CREATE INDEX IF NOT EXISTS intake_record_view_group ON intake_record_view (group_id);
CREATE INDEX IF NOT EXISTS intake_record_view_round ON intake_record_view (round_id);
"""


@dataclass(frozen=True)
class RecordRow:
    record_id: UUID
    kind: str
    jurisdiction: str
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    occurred_on: date
    figures: dict[str, Any]
    clues: int


class SqlIntakeRecords(PoolRepository):
    """``intake_record_view``: one row per record, its kind's figures as JSON."""

    async def upsert(self, conn: Any, state: IntakeRecord) -> None:
        event = state.event
        assert event is not None
        assert state.kind is not None
        common = {"record_id", "jurisdiction", "round_id", "group_id", "unit_id", "unit"}
        figures = event.model_dump(mode="json", exclude={*common, "occurred_on", "clues"})
        async with self._conn(conn) as c:
            await c.execute(
                "INSERT INTO intake_record_view (record_id, kind, jurisdiction, round_id, "
                "group_id, unit_id, occurred_on, figures, clues) "
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (record_id) DO NOTHING",
                state.record_id,
                state.kind.value,
                state.jurisdiction,
                state.round_id,
                state.group_id,
                state.unit_id,
                state.occurred_on,
                figures,
                len(event.clues),
            )

    async def list(
        self, jurisdiction_like: str, round_id: UUID | None, group_id: UUID | None
    ) -> list[RecordRow]:
        async with self._conn(None) as c:
            rows = await c.fetch(
                "SELECT * FROM intake_record_view WHERE jurisdiction LIKE $1 "
                "AND ($2::uuid IS NULL OR round_id = $2) AND ($3::uuid IS NULL OR group_id = $3) "
                "ORDER BY occurred_on, record_id",
                jurisdiction_like,
                round_id,
                group_id,
            )
        return [
            RecordRow(
                record_id=r["record_id"],
                kind=r["kind"],
                jurisdiction=r["jurisdiction"],
                round_id=r["round_id"],
                group_id=r["group_id"],
                unit_id=r["unit_id"],
                occurred_on=r["occurred_on"],
                figures=dict(r["figures"]),
                clues=r["clues"],
            )
            for r in rows
        ]


SCHEMA: tuple[str, ...] = (GROUPS_DDL, RECORDS_DDL)
