"""The rectification service's read model: ``issue_view``, one row per fed-back issue, the
rectification ledger (整改台账) behind ``GET /api/v1/rectifications``. Written in the
transaction of the events it reflects; ``GET /api/v1/rectifications/{id}`` replays the issue's
stream instead.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol
from uuid import UUID

from xuncha_shared.db import PoolRepository
from xuncha_shared.migrations import Migration

from xuncha_rectification.domain.issue import Issue
from xuncha_rectification.domain.revisits import reopenable_since

ISSUE_VIEW_DDL = """
CREATE TABLE IF NOT EXISTS issue_view (
    issue_id         uuid        PRIMARY KEY,
    feedback_id      uuid        NOT NULL,
    jurisdiction     char(6)     NOT NULL,
    unit             text        NOT NULL,
    rect_type        text        NOT NULL,
    concerns         text[]      NOT NULL DEFAULT '{}',
    status           text        NOT NULL,
    progress_percent integer     NOT NULL DEFAULT 0,
    formal_reported  boolean     NOT NULL DEFAULT false,
    due_date         date        NULL,
    fed_back_at      timestamptz NULL,
    version          bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS issue_view_jurisdiction ON issue_view (jurisdiction, due_date);
CREATE INDEX IF NOT EXISTS issue_view_feedback ON issue_view (feedback_id);
ALTER TABLE issue_view ADD COLUMN IF NOT EXISTS round_id uuid NULL;
ALTER TABLE issue_view ADD COLUMN IF NOT EXISTS unit_id uuid NULL;
ALTER TABLE issue_view ADD COLUMN IF NOT EXISTS during_stationing boolean NOT NULL DEFAULT false;
ALTER TABLE issue_view ADD COLUMN IF NOT EXISTS plan_id uuid NULL;
ALTER TABLE issue_view ADD COLUMN IF NOT EXISTS round_name text NULL;
CREATE INDEX IF NOT EXISTS issue_view_named_round ON issue_view (round_id)
    WHERE round_name IS NOT NULL;
CREATE INDEX IF NOT EXISTS issue_view_unit ON issue_view (unit_id, round_id);
DO $$
BEGIN
    -- 核实未通过 (``Issue.returned``): added with the rows of issues sent back already filled
    -- in from their streams (the last verification rejected, not reported done since)
    IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                   WHERE table_name = 'issue_view' AND column_name = 'returned'
                     AND table_schema = current_schema()) THEN
        ALTER TABLE issue_view ADD COLUMN returned boolean NOT NULL DEFAULT false;
        UPDATE issue_view v SET returned = true
        WHERE v.status IN ('fed_back', 'planned', 'in_progress')
          AND (SELECT e.payload->>'outcome' FROM events e
               WHERE e.stream_id = v.issue_id::text
                 AND e.event_type = 'rectification.RectificationVerified'
               ORDER BY e.stream_version DESC LIMIT 1) = 'rejected';
    END IF;
END $$;
"""

SCHEMA: tuple[str, ...] = (ISSUE_VIEW_DDL,)

#: the day (China time) a verified or closed-out issue became so (``reopenable_since``): a
#: 回头看 held before it cannot reopen the issue (R18), and the workbench says so before the
#: findings are sent. Rows written before the column take it from their stored events: the
#: last close-out of a closed-out issue, the last accepted verification of a verified one
SETTLED_ON_SQL = """
ALTER TABLE issue_view ADD COLUMN IF NOT EXISTS settled_on date NULL;
UPDATE issue_view v SET settled_on = (
    SELECT (max(e.recorded_at) AT TIME ZONE 'Asia/Shanghai')::date FROM events e
    WHERE e.stream_id = v.issue_id::text
      AND (v.status = 'closed_out' AND e.event_type = 'rectification.IssueClosedOut'
           OR v.status = 'verified' AND e.event_type = 'rectification.RectificationVerified'
              AND e.payload->>'outcome' = 'accepted')
)
WHERE v.status IN ('verified', 'closed_out') AND v.settled_on IS NULL;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("rectification", 1, "issue_view_settled_on", SETTLED_ON_SQL),
)


@dataclass(frozen=True)
class IssueRow:
    issue_id: UUID
    feedback_id: UUID
    jurisdiction: str
    unit: str
    rect_type: str
    concerns: tuple[str, ...]
    status: str
    progress_percent: int
    formal_reported: bool
    due_date: date | None
    fed_back_at: datetime | None
    version: int
    round_id: UUID | None = None
    unit_id: UUID | None = None
    during_stationing: bool = False
    plan_id: UUID | None = None
    #: the round's name as its feedback gave it (a round intake does not plan)
    round_name: str | None = None
    returned: bool = False
    #: the day it was verified or closed out, as it stands (``reopenable_since``)
    settled_on: date | None = None

    @classmethod
    def of(cls, issue: Issue) -> IssueRow:
        assert issue.issue_id is not None
        assert issue.feedback_id is not None
        return cls(
            issue_id=issue.issue_id,
            feedback_id=issue.feedback_id,
            jurisdiction=issue.jurisdiction,
            unit=issue.unit,
            rect_type=issue.rect_type.value,
            concerns=tuple(d.value for d in issue.concerns),
            status=issue.status.value,
            progress_percent=issue.progress_percent,
            formal_reported=issue.formal_reported,
            due_date=issue.due_date,
            fed_back_at=issue.fed_back_at,
            version=issue.version,
            round_id=issue.round_id,
            unit_id=issue.unit_id,
            during_stationing=issue.during_stationing,
            plan_id=issue.plan_id,
            round_name=issue.round_name,
            returned=issue.returned,
            settled_on=reopenable_since(issue),
        )


#: the ledger's sort keys (``?sort=``, ``xuncha_shared.http.paging``) and their SQL
SORT_COLUMNS: dict[str, str] = {
    "due_date": "due_date",
    "fed_back_at": "fed_back_at",
    "unit": "unit",
    "status": "status",
    "rect_type": "rect_type",
    "progress_percent": "progress_percent",
}
ISSUE_TIEBREAK = "fed_back_at, issue_id"


@dataclass(frozen=True)
class IssueQuery:
    """The ledger's filters and page (``GET /api/v1/rectifications``)."""

    pattern: str
    order_by: str  # from xuncha_shared.http.paging.Sort.sql over SORT_COLUMNS
    department: str | None = None
    unit: str | None = None
    unit_contains: str | None = None
    unit_id: UUID | None = None
    round_id: UUID | None = None
    status: str | None = None
    rect_type: str | None = None
    limit: int = 100
    offset: int = 0


class IssueReadModel(Protocol):
    async def upsert(self, conn: Any, issue: Issue) -> None: ...

    async def list(
        self,
        pattern: str,
        *,
        department: str | None = None,
        unit: str | None = None,
        unit_id: UUID | None = None,
        round_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[IssueRow]:
        """Issues of jurisdictions matching the SQL LIKE ``pattern`` (optionally only those
        concerning ``department``, of ``unit`` (name), ``unit_id`` or ``round_id``), earliest
        due first."""
        ...

    async def page(self, query: IssueQuery) -> tuple[builtins.list[IssueRow], int]:
        """A page of the ledger and the ``total`` its filters match."""
        ...


_COLUMNS = (
    "issue_id, feedback_id, jurisdiction, unit, rect_type, concerns, status, progress_percent, "
    "formal_reported, due_date, fed_back_at, version, round_id, unit_id, during_stationing, "
    "plan_id, round_name, returned, settled_on"
)


class SqlIssueReadModel(PoolRepository):
    async def upsert(self, conn: Any, issue: Issue) -> None:
        r = IssueRow.of(issue)
        async with self._conn(conn) as c:
            await c.execute(
                f"""
                INSERT INTO issue_view ({_COLUMNS})
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,
                        $18, $19)
                ON CONFLICT (issue_id) DO UPDATE SET
                    status = EXCLUDED.status, progress_percent = EXCLUDED.progress_percent,
                    formal_reported = EXCLUDED.formal_reported, version = EXCLUDED.version,
                    plan_id = EXCLUDED.plan_id, returned = EXCLUDED.returned,
                    settled_on = EXCLUDED.settled_on
                WHERE issue_view.version < EXCLUDED.version
                """,
                r.issue_id,
                r.feedback_id,
                r.jurisdiction,
                r.unit,
                r.rect_type,
                list(r.concerns),
                r.status,
                r.progress_percent,
                r.formal_reported,
                r.due_date,
                r.fed_back_at,
                r.version,
                r.round_id,
                r.unit_id,
                r.during_stationing,
                r.plan_id,
                r.round_name,
                r.returned,
                r.settled_on,
            )

    async def list(
        self,
        pattern: str,
        *,
        department: str | None = None,
        unit: str | None = None,
        unit_id: UUID | None = None,
        round_id: UUID | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[IssueRow]:
        rows = await self.pool.fetch(
            f"""
            SELECT {_COLUMNS} FROM issue_view
            WHERE jurisdiction LIKE $1
              AND ($2::text IS NULL OR $2 = ANY(concerns))
              AND ($3::text IS NULL OR unit = $3)
              AND ($6::uuid IS NULL OR unit_id = $6)
              AND ($7::uuid IS NULL OR round_id = $7)
            ORDER BY due_date NULLS LAST, fed_back_at, issue_id
            LIMIT $4 OFFSET $5
            """,
            pattern,
            department,
            unit,
            limit,
            offset,
            unit_id,
            round_id,
        )
        return [_issue_row(r) for r in rows]

    async def page(self, query: IssueQuery) -> tuple[builtins.list[IssueRow], int]:
        rows = await self.pool.fetch(
            f"""
            SELECT {_COLUMNS}, count(*) OVER () AS total FROM issue_view
            WHERE jurisdiction LIKE $1
              AND ($2::text IS NULL OR $2 = ANY(concerns))
              AND ($3::text IS NULL OR unit = $3)
              AND ($4::text IS NULL OR strpos(unit, $4) > 0)
              AND ($5::uuid IS NULL OR unit_id = $5)
              AND ($6::uuid IS NULL OR round_id = $6)
              AND ($7::text IS NULL OR status = $7)
              AND ($8::text IS NULL OR rect_type = $8)
            ORDER BY {query.order_by}
            LIMIT $9 OFFSET $10
            """,
            query.pattern,
            query.department,
            query.unit,
            query.unit_contains,
            query.unit_id,
            query.round_id,
            query.status,
            query.rect_type,
            query.limit,
            query.offset,
        )
        if rows:
            return [_issue_row(r) for r in rows], int(rows[0]["total"])
        if query.offset == 0:
            return [], 0
        # past the end: the total still counts what the filters match
        total = await self.pool.fetchval(
            """
            SELECT count(*) FROM issue_view
            WHERE jurisdiction LIKE $1
              AND ($2::text IS NULL OR $2 = ANY(concerns))
              AND ($3::text IS NULL OR unit = $3)
              AND ($4::text IS NULL OR strpos(unit, $4) > 0)
              AND ($5::uuid IS NULL OR unit_id = $5)
              AND ($6::uuid IS NULL OR round_id = $6)
              AND ($7::text IS NULL OR status = $7)
              AND ($8::text IS NULL OR rect_type = $8)
            """,
            query.pattern,
            query.department,
            query.unit,
            query.unit_contains,
            query.unit_id,
            query.round_id,
            query.status,
            query.rect_type,
        )
        return [], int(total)


def _issue_row(r: Any) -> IssueRow:
    return IssueRow(
        issue_id=r["issue_id"],
        feedback_id=r["feedback_id"],
        jurisdiction=str(r["jurisdiction"]),
        unit=r["unit"],
        rect_type=r["rect_type"],
        concerns=tuple(r["concerns"]),
        status=r["status"],
        progress_percent=r["progress_percent"],
        formal_reported=r["formal_reported"],
        due_date=r["due_date"],
        fed_back_at=r["fed_back_at"],
        version=r["version"],
        round_id=r["round_id"],
        unit_id=r["unit_id"],
        during_stationing=r["during_stationing"],
        plan_id=r["plan_id"],
        round_name=r["round_name"],
        returned=r["returned"],
        settled_on=r["settled_on"],
    )
