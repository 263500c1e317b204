"""干部任用征求巡察意见 (R4): ``cadre_opinion_view``, one row per request, written in the
transaction of its events (the command loop's ``upsert``); and what an answer needs to know of
the unit's inspections (``record``: its issues and red-line warnings)."""

from __future__ import annotations

import builtins
from datetime import date
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import OpinionConclusion, OpinionPurpose
from xuncha_shared.db import PoolRepository

from xuncha_rectification.adapters.publications import DONE
from xuncha_rectification.domain.cadre_opinion import CadreOpinion, UnitRecord

CADRE_OPINION_DDL = """
CREATE TABLE IF NOT EXISTS cadre_opinion_view (
    request_id        uuid        PRIMARY KEY,
    jurisdiction      char(6)     NOT NULL,
    department        text        NOT NULL,
    unit_id           uuid        NULL,
    unit              text        NOT NULL,
    cadre_name        text        NOT NULL,
    cadre_post        text        NOT NULL,
    purpose           text        NOT NULL,
    requested_on      date        NOT NULL,
    reply_by          date        NULL,
    note              text        NULL,
    requested_at      timestamptz NULL,
    conclusion        text        NULL,
    text              text        NULL,
    given_on          date        NULL,
    issues            integer     NULL,
    done              integer     NULL,
    red_line_warnings integer     NULL,
    version           bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS cadre_opinion_by_place
    ON cadre_opinion_view (jurisdiction, requested_on DESC);
-- rectification.CadreOpinionWithdrawn: the department withdrew it before an answer
ALTER TABLE cadre_opinion_view ADD COLUMN IF NOT EXISTS withdrawn_on date NULL;
ALTER TABLE cadre_opinion_view ADD COLUMN IF NOT EXISTS withdrawal_reason text NULL;
"""

SCHEMA: tuple[str, ...] = (CADRE_OPINION_DDL,)

_COLUMNS = (
    "request_id",
    "jurisdiction",
    "department",
    "unit_id",
    "unit",
    "cadre_name",
    "cadre_post",
    "purpose",
    "requested_on",
    "reply_by",
    "note",
    "requested_at",
    "conclusion",
    "text",
    "given_on",
    "issues",
    "done",
    "red_line_warnings",
    "withdrawn_on",
    "withdrawal_reason",
    "version",
)


class SqlCadreOpinions(PoolRepository):
    async def upsert(self, conn: Any, state: CadreOpinion) -> None:
        assert state.department is not None
        assert state.purpose is not None
        values = [
            state.request_id,
            state.jurisdiction,
            state.department.value,
            state.unit_id,
            state.unit,
            state.cadre_name,
            state.cadre_post,
            state.purpose.value,
            state.requested_on,
            state.reply_by,
            state.note,
            state.requested_at,
            state.conclusion.value if state.conclusion else None,
            state.text,
            state.given_on,
            state.issues,
            state.done,
            state.red_line_warnings,
            state.withdrawn_on,
            state.withdrawal_reason,
            state.version,
        ]
        placeholders = ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in _COLUMNS[12:])
        async with self._conn(conn) as c:
            await c.execute(
                f"INSERT INTO cadre_opinion_view ({', '.join(_COLUMNS)}) VALUES ({placeholders}) "
                f"ON CONFLICT (request_id) DO UPDATE SET {updates} "
                "WHERE cadre_opinion_view.version < EXCLUDED.version",
                *values,
            )

    async def record(
        self, jurisdiction: str, unit_id: UUID | None, unit: str, today: date
    ) -> tuple[UnitRecord, builtins.list[UUID]]:
        """The unit's inspections in ``jurisdiction`` (by its id, else by the name intake
        registered, else by the name its issues give it), and the ids of the rounds that
        inspected it: those that fed issues back to it, and those begun by ``today`` that were
        assigned it (a round may inspect a unit and feed nothing back). Issues of a review
        intake does not plan (``round_name``: the provincial review of the office itself) are
        not the office's inspections: left out. ``unit`` of the record is the unit's name as
        intake registered it or its issues give it; None for a unit neither knows."""
        async with self._conn(None) as c:
            if unit_id is None:
                unit_id = await c.fetchval(
                    "SELECT unit_id FROM known_unit WHERE jurisdiction = $1 AND name = $2",
                    jurisdiction,
                    unit,
                )
            row = await c.fetchrow(
                """
                WITH mine AS (
                    SELECT * FROM issue_view
                    WHERE jurisdiction = $1 AND round_name IS NULL
                      AND (unit_id = $2 OR ((unit_id IS NULL OR $2::uuid IS NULL) AND unit = $3))
                ), assigned AS (
                    SELECT u.round_id FROM round_unit u JOIN round_name r USING (round_id)
                    WHERE u.unit_id = $2 AND r.jurisdiction = $1 AND r.starts_on <= $5
                )
                SELECT COALESCE((SELECT name FROM known_unit WHERE unit_id = $2),
                                (SELECT min(unit) FROM mine)) AS unit,
                       (SELECT count(*) FROM mine) AS issues,
                       (SELECT count(*) FROM mine WHERE status = ANY($4)) AS done,
                       ARRAY(SELECT round_id FROM mine WHERE round_id IS NOT NULL
                             UNION SELECT round_id FROM assigned) AS round_ids,
                       ARRAY(SELECT o.detail FROM oversight_view o
                             WHERE o.kind = 'red_line' AND o.jurisdiction = $1
                               AND (o.unit_id = $2 OR ($2::uuid IS NULL AND o.unit = $3))
                             ORDER BY o.version) AS red
                """,
                jurisdiction,
                unit_id,
                unit,
                list(DONE),
                today,
            )
        assert row is not None
        record = UnitRecord(
            unit_id=unit_id,
            unit=row["unit"],
            issues=row["issues"],
            done=row["done"],
            red_line_warnings=len(row["red"]),
            red_line_findings=tuple(row["red"]),
        )
        return record, list(row["round_ids"] or ())

    async def units(
        self, jurisdiction_like: str, today: date
    ) -> builtins.list[tuple[str, UUID, str, bool]]:
        """The units of the caller's areas, each with whether the inspections of its area
        inspected it (``record``'s sense, by ``today``): those intake registered (but the
        inspection offices themselves, R28), and those fed back to or warned that it did not."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                """
                SELECT DISTINCT ON (jurisdiction, unit_id) jurisdiction, unit_id, unit,
                       EXISTS (SELECT 1 FROM issue_view i
                               WHERE i.unit_id = u.unit_id AND i.round_name IS NULL)
                       OR EXISTS (SELECT 1 FROM round_unit ru JOIN round_name r USING (round_id)
                                  WHERE ru.unit_id = u.unit_id AND r.starts_on <= $2
                                    AND r.jurisdiction = u.jurisdiction) AS inspected
                FROM (
                    SELECT jurisdiction, unit_id, name AS unit FROM known_unit
                    WHERE kind <> 'inspection_office'
                    UNION ALL
                    SELECT jurisdiction, unit_id, unit FROM issue_view
                    WHERE unit_id IS NOT NULL AND round_name IS NULL
                      AND unit_id NOT IN (SELECT unit_id FROM known_unit)
                    UNION ALL
                    SELECT jurisdiction, unit_id, unit FROM oversight_view
                    WHERE unit_id NOT IN (SELECT unit_id FROM known_unit)
                ) u WHERE jurisdiction LIKE $1
                ORDER BY jurisdiction, unit_id, unit
                """,
                jurisdiction_like,
                today,
            )
        units = [(r["jurisdiction"].strip(), r["unit_id"], r["unit"], r["inspected"]) for r in rows]
        return sorted(units, key=lambda u: (u[0], u[2]))

    async def pending(
        self, jurisdiction: str, unit: str, cadre_name: str, purpose: OpinionPurpose
    ) -> date | None:
        """The day of a request about the same cadre of the unit for the same purpose that is
        neither answered nor withdrawn, if there is one."""
        async with self._conn(None) as c:
            day: date | None = await c.fetchval(
                "SELECT min(requested_on) FROM cadre_opinion_view WHERE jurisdiction = $1 "
                "AND unit = $2 AND cadre_name = $3 AND purpose = $4 AND conclusion IS NULL "
                "AND withdrawn_on IS NULL",
                jurisdiction,
                unit,
                cadre_name,
                purpose.value,
            )
        return day

    async def get(self, request_id: UUID) -> CadreOpinion | None:
        async with self._conn(None) as c:
            row = await c.fetchrow(
                "SELECT * FROM cadre_opinion_view WHERE request_id = $1", request_id
            )
        return _state(row) if row is not None else None

    async def list(
        self,
        jurisdiction_like: str,
        *,
        department: Department | None = None,
        answered: bool | None = None,
        limit: int = 500,
    ) -> builtins.list[CadreOpinion]:
        """The requests of the jurisdictions matching ``jurisdiction_like`` (of one
        department's asking, when given), the newest first; ``answered`` false: those waiting
        (neither answered nor withdrawn)."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                """
                SELECT * FROM cadre_opinion_view
                WHERE jurisdiction LIKE $1 AND ($2::text IS NULL OR department = $2)
                  AND ($3::boolean IS NULL OR (conclusion IS NOT NULL) = $3)
                  AND ($3::boolean IS DISTINCT FROM false OR withdrawn_on IS NULL)
                ORDER BY requested_on DESC, requested_at DESC, request_id
                LIMIT $4
                """,
                jurisdiction_like,
                department.value if department else None,
                answered,
                limit,
            )
        return [_state(r) for r in rows]


def _state(r: Any) -> CadreOpinion:
    return CadreOpinion(
        request_id=r["request_id"],
        jurisdiction=r["jurisdiction"].strip(),
        department=Department(r["department"]),
        unit_id=r["unit_id"],
        unit=r["unit"],
        cadre_name=r["cadre_name"],
        cadre_post=r["cadre_post"],
        purpose=OpinionPurpose(r["purpose"]),
        requested_on=r["requested_on"],
        reply_by=r["reply_by"],
        note=r["note"],
        requested_at=r["requested_at"],
        conclusion=OpinionConclusion(r["conclusion"]) if r["conclusion"] else None,
        text=r["text"],
        given_on=r["given_on"],
        issues=r["issues"],
        done=r["done"],
        red_line_warnings=r["red_line_warnings"],
        withdrawn_on=r["withdrawn_on"],
        withdrawal_reason=r["withdrawal_reason"],
        version=r["version"],
    )
