"""Rectification's other tables:

* ``heard_report``: the hearings rectification learnt from ``clues.inspection-report.v1``
  (consumer ``rectification.hearings``), written in the inbox's transaction; R16 asks it whether
  a unit's report of a round was heard.
* ``known_clue``: the clues rectification learnt from ``clues.clue.v1`` (consumer
  ``rectification.clues``) with the jurisdictions they belong to (the registering one; the city
  too once a clue is escalated); R25 asks it whether a feedback's ``clue_ids`` are the
  jurisdiction's own.
* ``round_name`` and ``round_unit`` (intake's rounds and their units): ``adapters/rounds.py``.
* ``plan_view``: one row per plan (unit and round), the office's list of plans to review.
* ``evidence``: uploaded evidence (佐证材料), the bytes in PostgreSQL with their SHA-256.
* ``oversight_view``: supervisions and red-line warnings per unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.clues import InspectionReportHeard
from xuncha_shared.contracts.intake import RoundKind
from xuncha_shared.contracts.rectification import RedLineWarningIssued, SupervisionOrdered
from xuncha_shared.db import PoolRepository

from xuncha_rectification.domain.plans import Oversight, Plan
from xuncha_rectification.domain.rounds import HoldingRound, KnownRound

TABLES_DDL = """
CREATE TABLE IF NOT EXISTS heard_report (
    hearing_id   uuid        PRIMARY KEY,
    report_id    uuid        NOT NULL,
    round_id     uuid        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    kind         text        NOT NULL,
    unit_ids     uuid[]      NOT NULL DEFAULT '{}',
    meeting      text        NOT NULL,
    held_on      date        NOT NULL,
    source_event uuid        NOT NULL
);
CREATE INDEX IF NOT EXISTS heard_report_round ON heard_report (round_id);
CREATE TABLE IF NOT EXISTS known_clue (
    clue_id      uuid    NOT NULL,
    jurisdiction char(6) NOT NULL,
    source_event uuid    NOT NULL,
    PRIMARY KEY (clue_id, jurisdiction)
);
CREATE TABLE IF NOT EXISTS plan_view (
    plan_id            uuid    PRIMARY KEY,
    round_id           uuid    NOT NULL,
    unit_id            uuid    NOT NULL,
    jurisdiction       char(6) NOT NULL,
    unit               text    NOT NULL,
    responsible_leader text    NOT NULL,
    status             text    NOT NULL,
    revision           integer NOT NULL,
    tasks              integer NOT NULL,
    version            bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS plan_view_jurisdiction ON plan_view (jurisdiction, status);
CREATE TABLE IF NOT EXISTS evidence (
    evidence_id  uuid        PRIMARY KEY,
    jurisdiction char(6)     NOT NULL,
    unit_id      uuid        NULL,
    filename     text        NOT NULL,
    media_type   text        NOT NULL,
    size         integer     NOT NULL,
    sha256       char(64)    NOT NULL,
    content      bytea       NOT NULL,
    uploaded_by  text        NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS oversight_view (
    oversight_id uuid        PRIMARY KEY,
    kind         text        NOT NULL,
    jurisdiction char(6)     NOT NULL,
    unit_id      uuid        NOT NULL,
    unit         text        NOT NULL,
    issue_ids    uuid[]      NOT NULL,
    detail       text        NOT NULL,
    note         text        NOT NULL,
    due_on       date        NULL,
    version      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS oversight_view_unit ON oversight_view (unit_id);
"""


async def record_hearing(conn: Any, event_id: UUID, heard: InspectionReportHeard) -> None:
    """Keep a hearing (idempotent: a redelivered one changes nothing)."""
    units = list(dict.fromkeys([*heard.unit_ids, *([heard.unit_id] if heard.unit_id else [])]))
    await conn.execute(
        """
        INSERT INTO heard_report (hearing_id, report_id, round_id, jurisdiction, kind, unit_ids,
                                  meeting, held_on, source_event)
        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
        ON CONFLICT (hearing_id) DO NOTHING
        """,
        heard.hearing_id,
        heard.report_id,
        heard.round_id,
        heard.jurisdiction,
        heard.kind.value,
        units,
        heard.meeting.value,
        heard.held_on,
        event_id,
    )


async def record_clue(conn: Any, event_id: UUID, clue_id: UUID, jurisdiction: str) -> None:
    """Keep that ``clue_id`` belongs to ``jurisdiction`` (idempotent)."""
    await conn.execute(
        """
        INSERT INTO known_clue (clue_id, jurisdiction, source_event) VALUES ($1, $2, $3)
        ON CONFLICT (clue_id, jurisdiction) DO NOTHING
        """,
        clue_id,
        jurisdiction,
        event_id,
    )


@dataclass(frozen=True)
class EvidenceRow:
    evidence_id: UUID
    jurisdiction: str
    unit_id: UUID | None
    filename: str
    media_type: str
    size: int
    sha256: str
    uploaded_by: str
    uploaded_at: datetime


@dataclass(frozen=True)
class PlanRow:
    plan_id: UUID
    round_id: UUID
    unit_id: UUID
    jurisdiction: str
    unit: str
    responsible_leader: str
    status: str
    revision: int
    tasks: int


@dataclass(frozen=True)
class OversightRow:
    oversight_id: UUID
    kind: str
    jurisdiction: str
    unit_id: UUID
    unit: str
    issue_ids: tuple[UUID, ...]
    detail: str
    note: str
    due_on: date | None


class RectificationTables(PoolRepository):
    # --- hearings (R16) ---

    async def heard(self, round_id: UUID, unit_id: UUID) -> bool:
        """Whether a hearing of a report of ``round_id`` covering ``unit_id`` is known."""
        value = await self.pool.fetchval(
            "SELECT EXISTS (SELECT 1 FROM heard_report WHERE round_id = $1 AND $2 = ANY(unit_ids))",
            round_id,
            unit_id,
        )
        return bool(value)

    # --- clues (R25) ---

    async def clues_of(self, jurisdiction: str, clue_ids: Sequence[UUID]) -> frozenset[UUID]:
        """Those of ``clue_ids`` known to belong to ``jurisdiction``."""
        rows = await self.pool.fetch(
            "SELECT clue_id FROM known_clue WHERE jurisdiction = $1 AND clue_id = ANY($2::uuid[])",
            jurisdiction,
            list(clue_ids),
        )
        return frozenset(r["clue_id"] for r in rows)

    # --- rounds (their names) ---

    async def round_closed(self, round_id: UUID) -> bool:
        """Whether intake closed the round (a round not known here: not closed)."""
        closed = await self.pool.fetchval(
            "SELECT closed FROM round_name WHERE round_id = $1", round_id
        )
        return bool(closed)

    async def holding_round(
        self, round_id: UUID, jurisdiction: str | None, unit_id: UUID
    ) -> HoldingRound | None:
        """``round_id`` as a round of ``jurisdiction`` (None: of any) holding a 回头看 of
        ``unit_id`` (R18): its days and the unit's mode in it; None when no such round has this
        id (or intake's ``RoundPlanned`` has not reached rectification yet)."""
        row = await self.pool.fetchrow(
            """
            SELECT r.jurisdiction, r.term_no, r.round_no, r.kind, r.starts_on, r.ends_on, u.mode
            FROM round_name r
            LEFT JOIN round_unit u ON u.round_id = r.round_id AND u.unit_id = $3
            WHERE r.round_id = $1 AND ($2::char(6) IS NULL OR r.jurisdiction = $2)
            """,
            round_id,
            jurisdiction,
            unit_id,
        )
        if row is None:
            return None
        known = KnownRound(
            jurisdiction=str(row["jurisdiction"]),
            term_no=row["term_no"],
            round_no=row["round_no"],
            kind=RoundKind(row["kind"]),
        )
        return HoldingRound(
            round_id=round_id,
            round=known,
            starts_on=row["starts_on"],
            ends_on=row["ends_on"],
            unit_mode=row["mode"],
        )

    async def round_names(self, round_ids: Sequence[UUID | None]) -> dict[UUID, str]:
        """The names of those of ``round_ids`` whose ``intake.RoundPlanned`` is known; of the
        others, the name a feedback gave its round (one intake does not plan: a provincial
        review's, ``IssueFedBack.round_name``)."""
        wanted = list({r for r in round_ids if r is not None})
        if not wanted:
            return {}
        rows = await self.pool.fetch(
            "SELECT round_id, jurisdiction, term_no, round_no, kind FROM round_name "
            "WHERE round_id = ANY($1::uuid[])",
            wanted,
        )
        names = {
            r["round_id"]: KnownRound(
                jurisdiction=str(r["jurisdiction"]),
                term_no=r["term_no"],
                round_no=r["round_no"],
                kind=RoundKind(r["kind"]),
            ).name
            for r in rows
        }
        if unnamed := [r for r in wanted if r not in names]:
            fed_back = await self.pool.fetch(
                "SELECT DISTINCT ON (round_id) round_id, round_name FROM issue_view "
                "WHERE round_id = ANY($1::uuid[]) AND round_name IS NOT NULL "
                "ORDER BY round_id, fed_back_at, issue_id",
                unnamed,
            )
            names |= {r["round_id"]: r["round_name"] for r in fed_back}
        return names

    async def round_name(self, round_id: UUID | None) -> str | None:
        """The name of ``round_id``, None when it is None or its round is not known yet."""
        if round_id is None:
            return None
        return (await self.round_names([round_id])).get(round_id)

    # --- issues (their text) ---

    async def descriptions(self, issue_ids: Sequence[UUID]) -> dict[UUID, str]:
        """Each issue's problem as fed back: the description of its first event
        (``IssueFedBack``), read from the store (the ledger's rows do not keep the text)."""
        if not issue_ids:
            return {}
        rows = await self.pool.fetch(
            "SELECT stream_id, payload->>'description' AS description FROM events "
            "WHERE stream_id = ANY($1::text[]) AND stream_version = 1",
            [str(i) for i in issue_ids],
        )
        return {UUID(r["stream_id"]): r["description"] or "" for r in rows}

    # --- evidence ---

    async def add_evidence(self, row: EvidenceRow, content: bytes) -> None:
        await self.pool.execute(
            """
            INSERT INTO evidence (evidence_id, jurisdiction, unit_id, filename, media_type, size,
                                  sha256, content, uploaded_by, uploaded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """,
            row.evidence_id,
            row.jurisdiction,
            row.unit_id,
            row.filename,
            row.media_type,
            row.size,
            row.sha256,
            content,
            row.uploaded_by,
            row.uploaded_at,
        )

    async def evidence(self, evidence_id: UUID) -> EvidenceRow | None:
        r = await self.pool.fetchrow(
            "SELECT evidence_id, jurisdiction, unit_id, filename, media_type, size, sha256, "
            "uploaded_by, uploaded_at FROM evidence WHERE evidence_id = $1",
            evidence_id,
        )
        if r is None:
            return None
        return EvidenceRow(
            evidence_id=r["evidence_id"],
            jurisdiction=str(r["jurisdiction"]),
            unit_id=r["unit_id"],
            filename=r["filename"],
            media_type=r["media_type"],
            size=r["size"],
            sha256=str(r["sha256"]),
            uploaded_by=r["uploaded_by"],
            uploaded_at=r["uploaded_at"],
        )

    async def evidence_content(self, evidence_id: UUID) -> bytes | None:
        value = await self.pool.fetchval(
            "SELECT content FROM evidence WHERE evidence_id = $1", evidence_id
        )
        return bytes(value) if value is not None else None

    # --- plans ---

    async def plans(
        self, pattern: str, unit_id: UUID | None = None, status: str | None = None
    ) -> list[PlanRow]:
        rows = await self.pool.fetch(
            """
            SELECT plan_id, round_id, unit_id, jurisdiction, unit, responsible_leader, status,
                   revision, tasks
            FROM plan_view
            WHERE jurisdiction LIKE $1 AND ($2::uuid IS NULL OR unit_id = $2)
              AND ($3::text IS NULL OR status = $3)
            ORDER BY jurisdiction, unit, round_id
            LIMIT 1000
            """,
            pattern,
            unit_id,
            status,
        )
        return [
            PlanRow(
                plan_id=r["plan_id"],
                round_id=r["round_id"],
                unit_id=r["unit_id"],
                jurisdiction=str(r["jurisdiction"]),
                unit=r["unit"],
                responsible_leader=r["responsible_leader"],
                status=r["status"],
                revision=r["revision"],
                tasks=r["tasks"],
            )
            for r in rows
        ]

    # --- oversight ---

    async def oversight(self, unit_id: UUID) -> list[OversightRow]:
        rows = await self.pool.fetch(
            "SELECT oversight_id, kind, jurisdiction, unit_id, unit, issue_ids, detail, note, "
            "due_on FROM oversight_view WHERE unit_id = $1 ORDER BY oversight_id",
            unit_id,
        )
        return [
            OversightRow(
                oversight_id=r["oversight_id"],
                kind=r["kind"],
                jurisdiction=str(r["jurisdiction"]),
                unit_id=r["unit_id"],
                unit=r["unit"],
                issue_ids=tuple(r["issue_ids"]),
                detail=r["detail"],
                note=r["note"],
                due_on=r["due_on"],
            )
            for r in rows
        ]


class SqlPlanReadModel(PoolRepository):
    """``plan_view``, written in the plan's unit of work."""

    async def upsert(self, conn: Any, plan: Plan) -> None:
        assert plan.plan_id is not None
        assert plan.round_id is not None
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO plan_view (plan_id, round_id, unit_id, jurisdiction, unit,
                                       responsible_leader, status, revision, tasks, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                ON CONFLICT (plan_id) DO UPDATE SET
                    responsible_leader = EXCLUDED.responsible_leader, status = EXCLUDED.status,
                    revision = EXCLUDED.revision, tasks = EXCLUDED.tasks,
                    version = EXCLUDED.version
                WHERE plan_view.version < EXCLUDED.version
                """,
                plan.plan_id,
                plan.round_id,
                plan.unit_id,
                plan.jurisdiction,
                plan.unit,
                plan.responsible_leader,
                plan.status.value,
                plan.revision,
                len(plan.tasks),
                plan.version,
            )


class SqlOversightReadModel(PoolRepository):
    """``oversight_view``: the state carries only ids; the rows come from the events."""

    async def upsert(self, conn: Any, state: Oversight) -> None:
        return None

    async def __call__(self, conn: Any, state: Oversight, recorded: Sequence[Any]) -> None:
        """A reaction of the command loop: one row per supervision or warning recorded."""
        for _envelope, event in recorded:
            if isinstance(event, SupervisionOrdered | RedLineWarningIssued):
                await self.record(conn, event)

    async def record(self, conn: Any, event: SupervisionOrdered | RedLineWarningIssued) -> None:
        if isinstance(event, SupervisionOrdered):
            oid, kind, detail = event.supervision_id, "supervision", event.kind.value
            due: date | None = event.due_on
        else:
            oid, kind, detail, due = event.warning_id, "red_line", event.finding.value, None
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO oversight_view (oversight_id, kind, jurisdiction, unit_id, unit,
                                            issue_ids, detail, note, due_on, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 1)
                ON CONFLICT (oversight_id) DO NOTHING
                """,
                oid,
                kind,
                event.jurisdiction,
                event.unit_id,
                event.unit,
                list(event.issue_ids),
                detail,
                event.note,
                due,
            )
