"""The clues service's read model: ``clue_view``, one row per clue, behind ``GET /api/v1/clues``.

Written in the same transaction as the events it reflects (API and consumer alike), so the list
never shows a state the event store does not hold. ``GET /api/v1/clues/{id}`` does not use it: it
replays the clue's stream. A version guard keeps an older state from overwriting a newer one.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from xuncha_shared.db import PoolRepository
from xuncha_shared.migrations import Migration

from xuncha_clues.adapters.deadlines import TRANSFER_RESULT
from xuncha_clues.domain.clue import Clue

CLUE_VIEW_DDL = """
CREATE TABLE IF NOT EXISTS clue_view (
    clue_id          uuid        PRIMARY KEY,
    jurisdiction     char(6)     NOT NULL,
    owner            char(6)     NOT NULL,
    unit             text        NOT NULL,
    status           text        NOT NULL,
    category         text        NULL,
    city_managed     boolean     NOT NULL DEFAULT false,
    needs_escalation boolean     NOT NULL DEFAULT false,
    escalated_to     char(6)     NULL,
    department       text        NULL,
    registered_at    timestamptz NULL,
    updated_at       timestamptz NULL,
    version          bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS clue_view_jurisdiction ON clue_view (jurisdiction, registered_at);
CREATE INDEX IF NOT EXISTS clue_view_owner ON clue_view (owner, registered_at);
-- the clue's summary, by which people tell clues apart in a picker, and the group that
-- registered it, whose members alone may read it (both null: written before)
ALTER TABLE clue_view ADD COLUMN IF NOT EXISTS summary text NULL;
ALTER TABLE clue_view ADD COLUMN IF NOT EXISTS group_id uuid NULL;
"""

SCHEMA: tuple[str, ...] = (CLUE_VIEW_DDL,)

#: the day written on a registration made on paper (补录, R26), which the list shows as the
#: clue's registration day; the clues registered before the column came take it from their
#: stored ``clues.ClueRegistered`` (schema 4 on: its ``registered_on``)
REGISTERED_ON_SQL = """
ALTER TABLE clue_view ADD COLUMN IF NOT EXISTS registered_on date NULL;
UPDATE clue_view v SET registered_on = (e.payload->>'registered_on')::date
FROM events e
WHERE e.event_type = 'clues.ClueRegistered' AND e.stream_id = v.clue_id::text
  AND e.payload->>'registered_on' IS NOT NULL AND v.registered_on IS NULL;
"""

#: when each clue took its present status (``Clue.status_since``): the time a stub of a clue
#: reported up shows and is ordered by. Rows written before the column take the recording time
#: of the last event of their stream that set that status (the clue's other steps after it —
#: the city's checks, 催办 — leave it as it was)
STATUS_SINCE_SQL = """
ALTER TABLE clue_view ADD COLUMN IF NOT EXISTS status_since timestamptz NULL;
UPDATE clue_view v SET status_since = COALESCE((
    SELECT max(e.recorded_at) FROM events e
    WHERE e.stream_id = v.clue_id::text AND e.event_type = CASE v.status
        WHEN 'registered' THEN 'clues.ClueRegistered'
        WHEN 'classified' THEN 'clues.ClueClassified'
        WHEN 'kept' THEN 'clues.ClueClassified'
        WHEN 'escalated' THEN 'clues.ClueEscalated'
        WHEN 'transferred' THEN 'clues.ClueTransferred'
        WHEN 'verifying' THEN 'clues.ClueVerified'
        WHEN 'acknowledged' THEN 'clues.ClueAcknowledged'
        WHEN 'result_reported' THEN 'clues.TransferResultReported'
        WHEN 'disposed' THEN 'clues.ClueDisposed'
        WHEN 'archived' THEN 'clues.ClueArchived'
    END
), v.updated_at)
WHERE v.status_since IS NULL;
"""

#: the round and the unit a clue was registered in and about, by which a group-bound member's
#: list keeps to its group's round and units (domain.md section 7); the clues registered before
#: the columns take them from their stored ``clues.ClueRegistered``
ROUND_AND_UNIT_SQL = """
ALTER TABLE clue_view ADD COLUMN IF NOT EXISTS round_id text NULL;
ALTER TABLE clue_view ADD COLUMN IF NOT EXISTS unit_id uuid NULL;
UPDATE clue_view v SET round_id = e.payload->>'round_id', unit_id = (e.payload->>'unit_id')::uuid
FROM events e
WHERE e.event_type = 'clues.ClueRegistered' AND e.stream_id = v.clue_id::text
  AND v.round_id IS NULL AND v.unit_id IS NULL;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("clues", 1, "clue_view_registered_on", REGISTERED_ON_SQL),
    Migration("clues", 2, "clue_view_status_since", STATUS_SINCE_SQL),
    # (3 is findings' group_unit_view_starts_on: the service applies both lists in order)
    Migration("clues", 4, "clue_view_round_and_unit", ROUND_AND_UNIT_SQL),
)


@dataclass(frozen=True)
class ClueRow:
    clue_id: UUID
    jurisdiction: str
    owner: str
    unit: str
    status: str
    category: str | None
    city_managed: bool
    needs_escalation: bool
    escalated_to: str | None
    department: str | None
    registered_at: datetime | None
    updated_at: datetime | None
    version: int
    summary: str | None = None
    group_id: UUID | None = None
    registered_on: date | None = None  # 补录 (R26): the day written on the registration
    status_since: datetime | None = None  # when it took its status (what a stub shows of time)
    round_id: str | None = None  # the round it was registered in (an id, or older words)
    unit_id: UUID | None = None  # the unit it is about, when registered by id
    #: R3's clock of a transferred clue, as the list reads it (``page``): its last day and state
    result_due_date: date | None = None
    result_state: str | None = None

    @classmethod
    def of(cls, clue: Clue) -> ClueRow:
        assert clue.clue_id is not None
        return cls(
            clue_id=clue.clue_id,
            jurisdiction=clue.jurisdiction,
            owner=clue.owner,
            unit=clue.unit,
            status=clue.status.value,
            category=clue.category.value if clue.category else None,
            city_managed=clue.city_managed,
            needs_escalation=clue.needs_escalation,
            escalated_to=clue.escalated_to,
            department=clue.department.value if clue.department else None,
            registered_at=clue.registered_at,
            updated_at=clue.updated_at,
            version=clue.version,
            summary=clue.summary or None,
            group_id=clue.group_id,
            registered_on=clue.registered_on,
            status_since=clue.status_since,
            round_id=clue.round_id,
            unit_id=clue.unit_id,
        )


class ClueReadModel(Protocol):
    async def upsert(self, conn: Any, clue: Clue) -> None: ...

    async def transfer_event_id(self, clue_id: UUID) -> UUID | None:
        """The id of the clue's ``clues.ClueTransferred`` event (its feed item's source)."""
        ...

    async def clue_of_transfer(self, conn: Any, transfer_event_id: UUID) -> UUID | None:
        """The clue whose ``clues.ClueTransferred`` event has this id (a feed item's source)."""
        ...

    async def list(
        self,
        pattern: str,
        *,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        department: str | None = None,
    ) -> list[ClueRow]:
        """Clues registered in, or escalated to, a jurisdiction matching the SQL LIKE
        ``pattern`` (a six-digit code matches itself only), newest first."""
        ...

    async def page(self, query: ClueQuery) -> tuple[builtins.list[ClueRow], int]:
        """One page of ``list`` filtered and sorted (``ClueQuery``), and how many match."""
        ...


@dataclass(frozen=True)
class ClueQuery:
    """A page of the clue list. ``pattern`` is what is listed (as ``list``); ``own`` the SQL LIKE
    of the owners whose clues the reader sees in full: the unit and category filters and the
    unit and category sort keys apply only to those (a stub's unit never orders nor filters)."""

    pattern: str
    own: str
    order_by: str  # from xuncha_shared.http.paging.Sort.sql over SORT_COLUMNS
    status: str | None = None
    category: str | None = None  # "none": not yet classified
    unit: str | None = None  # contained in the unit's name
    limit: int = 100
    offset: int = 0
    #: a receiving department reads only the clues transferred to it
    department: str | None = None
    #: a group-bound member reads its group's clues and the others of its group's round
    #: (``group_round``, None: the group not known yet) about its units or none in particular
    group_id: UUID | None = None
    group_round: str | None = None
    group_units: tuple[UUID, ...] = ()


#: the clue list's sort keys -> SQL (unit and category only where the reader sees them: $2);
#: a 补录 clue is ordered by the day written on paper (its start in Beijing time), as shown
SORT_COLUMNS: dict[str, str] = {
    "registered_at": (
        "COALESCE(registered_on::timestamp AT TIME ZONE 'Asia/Shanghai', registered_at)"
    ),
    # a stub (another office's clue) is ordered by when it took its status, as it shows
    "updated_at": "(CASE WHEN owner LIKE $2 THEN updated_at ELSE status_since END)",
    "jurisdiction": "jurisdiction",
    "status": "status",
    "unit": "(CASE WHEN owner LIKE $2 THEN unit END)",
    "category": "(CASE WHEN owner LIKE $2 THEN category END)",
}
CLUE_TIEBREAK = "clue_id"


_TRANSFERRED = "clues.ClueTransferred"

_COLUMNS = (
    "clue_id, jurisdiction, owner, unit, status, category, city_managed, needs_escalation, "
    "escalated_to, department, registered_at, updated_at, version, summary, group_id, "
    "registered_on, status_since, round_id, unit_id"
)


def group_sees_sql(n: int) -> str:
    """What a group-bound member's list keeps to (``domain.scope.group_sees_clue`` in SQL):
    ``$n`` its group, ``$n+1`` that group's round, ``$n+2`` its units."""
    g, r, u = f"${n}", f"${n + 1}", f"${n + 2}"
    return (
        f"({g}::uuid IS NULL OR group_id = {g} OR (group_id IS NULL AND round_id = {r}"
        f" AND (unit_id IS NULL OR unit_id = ANY({u}::uuid[]))))"
    )


class SqlClueReadModel(PoolRepository):
    async def upsert(self, conn: Any, clue: Clue) -> None:
        row = ClueRow.of(clue)
        async with self._conn(conn) as c:
            await c.execute(
                f"""
                INSERT INTO clue_view ({_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                        $18, $19)
                ON CONFLICT (clue_id) DO UPDATE SET
                    owner = EXCLUDED.owner, unit = EXCLUDED.unit, status = EXCLUDED.status,
                    category = EXCLUDED.category, city_managed = EXCLUDED.city_managed,
                    needs_escalation = EXCLUDED.needs_escalation,
                    escalated_to = EXCLUDED.escalated_to, department = EXCLUDED.department,
                    updated_at = EXCLUDED.updated_at, version = EXCLUDED.version,
                    summary = EXCLUDED.summary, group_id = EXCLUDED.group_id,
                    registered_on = EXCLUDED.registered_on, status_since = EXCLUDED.status_since,
                    round_id = EXCLUDED.round_id, unit_id = EXCLUDED.unit_id
                WHERE clue_view.version < EXCLUDED.version
                """,
                row.clue_id,
                row.jurisdiction,
                row.owner,
                row.unit,
                row.status,
                row.category,
                row.city_managed,
                row.needs_escalation,
                row.escalated_to,
                row.department,
                row.registered_at,
                row.updated_at,
                row.version,
                row.summary,
                row.group_id,
                row.registered_on,
                row.status_since,
                row.round_id,
                row.unit_id,
            )

    async def transfer_event_id(self, clue_id: UUID) -> UUID | None:
        value: UUID | None = await self.pool.fetchval(
            "SELECT event_id FROM events WHERE stream_id = $1 AND event_type = $2 "
            "ORDER BY stream_version LIMIT 1",
            str(clue_id),
            _TRANSFERRED,
        )
        return value

    async def clue_of_transfer(self, conn: Any, transfer_event_id: UUID) -> UUID | None:
        async with self._conn(conn) as c:
            stream_id = await c.fetchval(
                "SELECT stream_id FROM events WHERE event_id = $1 AND event_type = $2",
                transfer_event_id,
                _TRANSFERRED,
            )
        return UUID(stream_id) if stream_id else None

    async def list(
        self,
        pattern: str,
        *,
        status: str | None = None,
        limit: int = 100,
        offset: int = 0,
        department: str | None = None,
    ) -> list[ClueRow]:
        rows = await self.pool.fetch(
            f"""
            SELECT {_COLUMNS} FROM clue_view
            WHERE (jurisdiction LIKE $1 OR owner LIKE $1) AND ($2::text IS NULL OR status = $2)
              AND ($5::text IS NULL OR department = $5)
            ORDER BY registered_at DESC NULLS LAST, clue_id
            LIMIT $3 OFFSET $4
            """,
            pattern,
            status,
            limit,
            offset,
            department,
        )
        return [_clue_row(r) for r in rows]

    async def page(self, query: ClueQuery) -> tuple[builtins.list[ClueRow], int]:
        rows = await self.pool.fetch(
            f"""
            SELECT {_COLUMNS}, count(*) OVER () AS total FROM clue_view
            WHERE (jurisdiction LIKE $1 OR owner LIKE $1) AND ($3::text IS NULL OR status = $3)
              AND ($4::text IS NULL OR (owner LIKE $2 AND (
                   CASE WHEN $4 = 'none' THEN category IS NULL ELSE category = $4 END)))
              AND ($5::text IS NULL OR (owner LIKE $2 AND strpos(unit, $5) > 0))
              AND ($8::text IS NULL OR department = $8) AND {group_sees_sql(9)}
            ORDER BY {query.order_by}
            LIMIT $6 OFFSET $7
            """,
            query.pattern,
            query.own,
            query.status,
            query.category,
            query.unit,
            query.limit,
            query.offset,
            query.department,
            query.group_id,
            query.group_round,
            list(query.group_units),
        )
        total = int(rows[0]["total"]) if rows else await self._count(query)
        return await self._with_result_clocks([_clue_row(r) for r in rows]), total

    async def _with_result_clocks(self, rows: builtins.list[ClueRow]) -> builtins.list[ClueRow]:
        """The page's transferred clues with R3's clock (its last day and state), read for the
        page only, not for every clue the filters match."""
        keys = [str(r.clue_id) for r in rows if r.department is not None]
        if not keys:
            return rows
        clocks = {
            c["key"]: c
            for c in await self.pool.fetch(
                "SELECT key, due_date, state FROM deadlines WHERE kind = $1 AND key = ANY($2)",
                TRANSFER_RESULT.name,
                keys,
            )
        }
        return [
            replace(r, result_due_date=c["due_date"], result_state=c["state"])
            if (c := clocks.get(str(r.clue_id)))
            else r
            for r in rows
        ]

    async def _count(self, query: ClueQuery) -> int:
        """The total when the page is empty (an offset beyond the end)."""
        if query.offset == 0:
            return 0
        return int(
            await self.pool.fetchval(
                f"""
                SELECT count(*) FROM clue_view
                WHERE (jurisdiction LIKE $1 OR owner LIKE $1) AND ($3::text IS NULL OR status = $3)
                  AND ($4::text IS NULL OR (owner LIKE $2 AND (
                       CASE WHEN $4 = 'none' THEN category IS NULL ELSE category = $4 END)))
                  AND ($5::text IS NULL OR (owner LIKE $2 AND strpos(unit, $5) > 0))
                  AND ($6::text IS NULL OR department = $6) AND {group_sees_sql(7)}
                """,
                query.pattern,
                query.own,
                query.status,
                query.category,
                query.unit,
                query.department,
                query.group_id,
                query.group_round,
                list(query.group_units),
            )
        )


def _clue_row(r: Any) -> ClueRow:
    return ClueRow(
        clue_id=r["clue_id"],
        jurisdiction=str(r["jurisdiction"]),
        owner=str(r["owner"]),
        unit=r["unit"],
        status=r["status"],
        category=r["category"],
        city_managed=r["city_managed"],
        needs_escalation=r["needs_escalation"],
        escalated_to=str(r["escalated_to"]) if r["escalated_to"] else None,
        department=r["department"],
        registered_at=r["registered_at"],
        updated_at=r["updated_at"],
        version=r["version"],
        summary=r["summary"],
        group_id=r["group_id"],
        registered_on=r["registered_on"],
        status_since=r["status_since"],
        round_id=r["round_id"],
        unit_id=r["unit_id"],
    )
