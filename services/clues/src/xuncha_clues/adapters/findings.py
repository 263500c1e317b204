"""The read models of step 7 and the immediate consultation: ``problem_view``,
``inspection_report_view``, ``consultation_view`` (one row per aggregate, written in the unit
of work of its events, a version guard against older states), ``group_unit_view`` (the units of
each group, from intake's ``GroupFormed``: what a group-bound member sees) and the clue lookup the
commands need (``clue_view``, the clue aggregate's own read model, read only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from xuncha_shared.db import PoolRepository
from xuncha_shared.migrations import Migration

from xuncha_clues.domain.consultation import Consultation
from xuncha_clues.domain.inspection_report import InspectionReport
from xuncha_clues.domain.problem import Problem
from xuncha_clues.domain.scope import RegisteringGroup

FINDINGS_DDL = """
CREATE TABLE IF NOT EXISTS problem_view (
    problem_id   uuid        PRIMARY KEY,
    round_id     uuid        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    unit_id      uuid        NOT NULL,
    group_id     uuid        NULL,
    title        text        NOT NULL,
    topics       text[]      NOT NULL,
    clue_ids     uuid[]      NOT NULL,
    pointed      boolean     NOT NULL,
    recorded_at  timestamptz NULL,
    version      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS problem_view_jurisdiction ON problem_view (jurisdiction, round_id);
CREATE TABLE IF NOT EXISTS inspection_report_view (
    report_id    uuid        PRIMARY KEY,
    round_id     uuid        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    kind         text        NOT NULL,
    unit_id      uuid        NULL,
    unit_ids     uuid[]      NOT NULL,
    problem_ids  uuid[]      NOT NULL,
    status       text        NOT NULL,
    hearings     jsonb       NOT NULL,
    drafted_at   timestamptz NULL,
    updated_at   timestamptz NULL,
    version      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS inspection_report_view_jurisdiction
    ON inspection_report_view (jurisdiction, round_id);
CREATE TABLE IF NOT EXISTS consultation_view (
    consultation_id uuid        PRIMARY KEY,
    jurisdiction    char(6)     NOT NULL,
    clue_ids        uuid[]      NOT NULL,
    held_on         date        NOT NULL,
    participants    text[]      NOT NULL,
    decision        text        NOT NULL,
    recorded_at     timestamptz NULL,
    version         bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS consultation_view_jurisdiction
    ON consultation_view (jurisdiction, held_on);
CREATE TABLE IF NOT EXISTS group_unit_view (
    group_id     uuid    PRIMARY KEY,
    round_id     uuid    NOT NULL,
    jurisdiction char(6) NOT NULL,
    unit_ids     uuid[]  NOT NULL
);
"""

SCHEMA: tuple[str, ...] = (FINDINGS_DDL,)

#: the group's round's first day (``GroupFormed.starts_on``), which a clue the group registers
#: on paper is not dated before (R26); groups recorded before the column keep NULL (their
#: clues' days are checked against today and the term only)
GROUP_STARTS_ON_SQL = """
ALTER TABLE group_unit_view ADD COLUMN IF NOT EXISTS starts_on date NULL;
"""

MIGRATIONS: tuple[Migration, ...] = (
    Migration("clues", 3, "group_unit_view_starts_on", GROUP_STARTS_ON_SQL),
)


@dataclass(frozen=True)
class ClueRef:
    """What a problem or a consultation needs of a clue: where it was registered and who owns
    it now, and the group, round and unit it was registered by, in and about (for the caller's
    visibility)."""

    clue_id: UUID
    jurisdiction: str
    owner: str
    group_id: UUID | None = None
    round_id: str | None = None
    unit_id: UUID | None = None


@dataclass(frozen=True)
class GroupUnits:
    group_id: UUID
    round_id: UUID
    jurisdiction: str
    unit_ids: frozenset[UUID]
    starts_on: date | None = None


@dataclass(frozen=True)
class ProblemRow:
    problem_id: UUID
    round_id: UUID
    jurisdiction: str
    unit_id: UUID
    group_id: UUID | None
    title: str
    topics: list[str]
    clue_ids: list[UUID]
    pointed: bool
    recorded_at: datetime | None


@dataclass(frozen=True)
class ReportRow:
    report_id: UUID
    round_id: UUID
    jurisdiction: str
    kind: str
    unit_id: UUID | None
    unit_ids: list[UUID]
    problem_ids: list[UUID]
    status: str
    hearings: list[dict[str, Any]]
    drafted_at: datetime | None
    updated_at: datetime | None


@dataclass(frozen=True)
class ConsultationRow:
    consultation_id: UUID
    jurisdiction: str
    clue_ids: list[UUID]
    held_on: date
    participants: list[str]
    decision: str
    recorded_at: datetime | None


class SqlProblemReadModel(PoolRepository):
    async def upsert(self, conn: Any, p: Problem) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO problem_view (problem_id, round_id, jurisdiction, unit_id, group_id,
                    title, topics, clue_ids, pointed, recorded_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                ON CONFLICT (problem_id) DO UPDATE SET
                    title = EXCLUDED.title, topics = EXCLUDED.topics,
                    clue_ids = EXCLUDED.clue_ids, pointed = EXCLUDED.pointed,
                    version = EXCLUDED.version
                WHERE problem_view.version < EXCLUDED.version
                """,
                p.problem_id,
                p.round_id,
                p.jurisdiction,
                p.unit_id,
                p.group_id,
                p.title,
                p.topics,
                p.clue_ids,
                p.pointed,
                p.recorded_at,
                p.version,
            )

    async def list(
        self, pattern: str, *, round_id: UUID | None, unit_id: UUID | None, limit: int, offset: int
    ) -> list[ProblemRow]:
        rows = await self.pool.fetch(
            """
            SELECT * FROM problem_view
            WHERE jurisdiction LIKE $1 AND ($2::uuid IS NULL OR round_id = $2)
              AND ($3::uuid IS NULL OR unit_id = $3)
            ORDER BY recorded_at DESC NULLS LAST, problem_id LIMIT $4 OFFSET $5
            """,
            pattern,
            round_id,
            unit_id,
            limit,
            offset,
        )
        return [
            ProblemRow(
                problem_id=r["problem_id"],
                round_id=r["round_id"],
                jurisdiction=str(r["jurisdiction"]),
                unit_id=r["unit_id"],
                group_id=r["group_id"],
                title=r["title"],
                topics=list(r["topics"]),
                clue_ids=list(r["clue_ids"]),
                pointed=r["pointed"],
                recorded_at=r["recorded_at"],
            )
            for r in rows
        ]


def _hearings(report: InspectionReport) -> str:
    return json.dumps(
        [
            {
                "hearing_id": str(h.hearing_id),
                "meeting": h.meeting.value,
                "held_on": h.held_on.isoformat(),
                "pointed_problem_ids": [str(p) for p in h.pointed_problem_ids],
                "decisions": h.decisions,
            }
            for h in report.hearings
        ],
        ensure_ascii=False,
    )


class SqlReportReadModel(PoolRepository):
    async def upsert(self, conn: Any, r: InspectionReport) -> None:
        assert r.kind is not None
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO inspection_report_view (report_id, round_id, jurisdiction, kind,
                    unit_id, unit_ids, problem_ids, status, hearings, drafted_at, updated_at,
                    version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10, $11, $12)
                ON CONFLICT (report_id) DO UPDATE SET
                    status = EXCLUDED.status, hearings = EXCLUDED.hearings,
                    updated_at = EXCLUDED.updated_at, version = EXCLUDED.version
                WHERE inspection_report_view.version < EXCLUDED.version
                """,
                r.report_id,
                r.round_id,
                r.jurisdiction,
                r.kind.value,
                r.unit_id,
                r.unit_ids,
                r.problem_ids,
                r.status.value,
                _hearings(r),
                r.drafted_at,
                r.updated_at,
                r.version,
            )

    async def list(
        self, pattern: str, *, round_id: UUID | None, limit: int, offset: int
    ) -> list[ReportRow]:
        rows = await self.pool.fetch(
            """
            SELECT * FROM inspection_report_view
            WHERE jurisdiction LIKE $1 AND ($2::uuid IS NULL OR round_id = $2)
            ORDER BY drafted_at DESC NULLS LAST, report_id LIMIT $3 OFFSET $4
            """,
            pattern,
            round_id,
            limit,
            offset,
        )
        return [
            ReportRow(
                report_id=r["report_id"],
                round_id=r["round_id"],
                jurisdiction=str(r["jurisdiction"]),
                kind=r["kind"],
                unit_id=r["unit_id"],
                unit_ids=list(r["unit_ids"]),
                problem_ids=list(r["problem_ids"]),
                status=r["status"],
                hearings=json.loads(r["hearings"]),
                drafted_at=r["drafted_at"],
                updated_at=r["updated_at"],
            )
            for r in rows
        ]


class SqlConsultationReadModel(PoolRepository):
    async def upsert(self, conn: Any, s: Consultation) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO consultation_view (consultation_id, jurisdiction, clue_ids, held_on,
                    participants, decision, recorded_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                ON CONFLICT (consultation_id) DO NOTHING
                """,
                s.consultation_id,
                s.jurisdiction,
                s.clue_ids,
                s.held_on,
                s.participants,
                s.decision,
                s.recorded_at,
                s.version,
            )

    async def list(self, pattern: str, *, limit: int, offset: int) -> list[ConsultationRow]:
        rows = await self.pool.fetch(
            """
            SELECT * FROM consultation_view WHERE jurisdiction LIKE $1
            ORDER BY held_on DESC, consultation_id LIMIT $2 OFFSET $3
            """,
            pattern,
            limit,
            offset,
        )
        return [
            ConsultationRow(
                consultation_id=r["consultation_id"],
                jurisdiction=str(r["jurisdiction"]),
                clue_ids=list(r["clue_ids"]),
                held_on=r["held_on"],
                participants=list(r["participants"]),
                decision=r["decision"],
                recorded_at=r["recorded_at"],
            )
            for r in rows
        ]


def _group_units(r: Any) -> GroupUnits:
    return GroupUnits(
        r["group_id"],
        r["round_id"],
        str(r["jurisdiction"]),
        frozenset(r["unit_ids"]),
        r["starts_on"],
    )


class SqlLookups(PoolRepository):
    """The clues and groups the commands check against."""

    async def clues(self, clue_ids: list[UUID]) -> dict[UUID, ClueRef]:
        rows = await self.pool.fetch(
            "SELECT clue_id, jurisdiction, owner, group_id, round_id, unit_id FROM clue_view "
            "WHERE clue_id = ANY($1::uuid[])",
            clue_ids,
        )
        return {
            r["clue_id"]: ClueRef(
                r["clue_id"],
                str(r["jurisdiction"]),
                str(r["owner"]),
                r["group_id"],
                r["round_id"],
                r["unit_id"],
            )
            for r in rows
        }

    async def group(self, group_id: UUID) -> GroupUnits | None:
        r = await self.pool.fetchrow(
            "SELECT group_id, round_id, jurisdiction, unit_ids, starts_on FROM group_unit_view "
            "WHERE group_id = $1",
            group_id,
        )
        return None if r is None else _group_units(r)

    async def registering_group(self, group_id: UUID) -> RegisteringGroup | None:
        """The group a clue is registered by, as the registration checks it."""
        group = await self.group(group_id)
        if group is None:
            return None
        return RegisteringGroup(group.round_id, group.jurisdiction, group.unit_ids, group.starts_on)

    async def round_groups(self, round_id: UUID) -> list[GroupUnits]:
        """The groups of a round that clues knows of (intake's ``GroupFormed``)."""
        rows = await self.pool.fetch(
            "SELECT group_id, round_id, jurisdiction, unit_ids, starts_on FROM group_unit_view "
            "WHERE round_id = $1",
            round_id,
        )
        return [_group_units(r) for r in rows]

    async def record_group(
        self,
        conn: Any,
        group_id: UUID,
        round_id: UUID,
        jurisdiction: str,
        unit_ids: list[UUID],
        starts_on: date | None = None,
    ) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO group_unit_view (group_id, round_id, jurisdiction, unit_ids, starts_on)
                VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (group_id) DO UPDATE
                    SET unit_ids = EXCLUDED.unit_ids,
                        starts_on = COALESCE(EXCLUDED.starts_on, group_unit_view.starts_on)
                """,
                group_id,
                round_id,
                jurisdiction,
                unit_ids,
                starts_on,
            )
