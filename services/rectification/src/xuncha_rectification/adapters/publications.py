"""两公开 (R5): ``publication_view``, one row per publication, written in the transaction of its
event (the command loop's ``upsert``); and what a publication needs to know of a unit in a
round (``subject``: intake's rounds as rectification keeps them, and the unit's issues)."""

from __future__ import annotations

import builtins
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.rectification import PublicationScope, PublicationStage
from xuncha_shared.db import PoolRepository

from xuncha_rectification.domain.issue import IssueStatus
from xuncha_rectification.domain.publication import Publication, Subject

PUBLICATION_DDL = """
CREATE TABLE IF NOT EXISTS publication_view (
    publication_id uuid        PRIMARY KEY,
    jurisdiction   char(6)     NOT NULL,
    round_id       uuid        NOT NULL,
    unit_id        uuid        NOT NULL,
    unit           text        NOT NULL,
    stage          text        NOT NULL,
    scope          text        NOT NULL,
    title          text        NOT NULL,
    text           text        NOT NULL,
    published_on   date        NOT NULL,
    exemptions     text[]      NOT NULL DEFAULT '{}',
    withheld_note  text        NULL,
    recorded_at    timestamptz NULL,
    version        bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS publication_by_place
    ON publication_view (jurisdiction, published_on DESC);
CREATE INDEX IF NOT EXISTS publication_by_unit ON publication_view (unit_id, round_id);
"""

SCHEMA: tuple[str, ...] = (PUBLICATION_DDL,)

#: an issue whose rectification the office has verified (整改完成)
DONE = (IssueStatus.VERIFIED.value, IssueStatus.CLOSED_OUT.value)


class SqlPublications(PoolRepository):
    async def upsert(self, conn: Any, state: Publication) -> None:
        assert state.stage is not None
        assert state.scope is not None
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO publication_view (publication_id, jurisdiction, round_id, unit_id,
                    unit, stage, scope, title, text, published_on, exemptions, withheld_note,
                    recorded_at, version)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
                ON CONFLICT (publication_id) DO NOTHING
                """,
                state.publication_id,
                state.jurisdiction,
                state.round_id,
                state.unit_id,
                state.unit,
                state.stage.value,
                state.scope.value,
                state.title,
                state.text,
                state.published_on,
                list(state.exemptions),
                state.withheld_note,
                state.recorded_at,
                state.version,
            )

    async def subject(self, round_id: UUID, unit_id: UUID) -> Subject | None:
        """The round (as intake planned it) and the unit's place in it; None for a round
        rectification does not know."""
        async with self._conn(None) as c:
            row = await c.fetchrow(
                """
                SELECT r.jurisdiction, r.starts_on,
                       EXISTS (SELECT 1 FROM round_unit u
                               WHERE u.round_id = r.round_id AND u.unit_id = $2) AS assigned,
                       (SELECT u.mode FROM round_unit u
                        WHERE u.round_id = r.round_id AND u.unit_id = $2) AS mode,
                       (SELECT min(i.unit) FROM issue_view i
                        WHERE i.round_id = r.round_id AND i.unit_id = $2) AS unit,
                       (SELECT count(*) FROM issue_view i
                        WHERE i.round_id = r.round_id AND i.unit_id = $2) AS issues,
                       (SELECT count(*) FROM issue_view i
                        WHERE i.round_id = r.round_id AND i.unit_id = $2
                          AND i.formal_reported) AS reported,
                       (SELECT count(*) FROM issue_view i
                        WHERE i.round_id = r.round_id AND i.unit_id = $2
                          AND i.status = ANY($3)) AS done,
                       (SELECT count(*) FROM issue_view i
                        WHERE i.round_id = r.round_id AND i.unit_id = $2
                          AND i.status = $4) AS closed_out
                FROM round_name r WHERE r.round_id = $1
                """,
                round_id,
                unit_id,
                list(DONE),
                IssueStatus.CLOSED_OUT.value,
            )
        if row is None:
            return None
        return Subject(
            jurisdiction=row["jurisdiction"].strip(),
            round_starts_on=row["starts_on"],
            assigned=row["assigned"],
            unit=row["unit"],
            issues=row["issues"],
            formally_reported=row["reported"],
            done=row["done"],
            closed_out=row["closed_out"],
            mode=row["mode"],
        )

    async def list(
        self,
        jurisdiction_like: str,
        *,
        unit_id: UUID | None = None,
        scope: PublicationScope | None = None,
        stage: PublicationStage | None = None,
        limit: int = 200,
    ) -> builtins.list[Publication]:
        """The publications of the jurisdictions matching ``jurisdiction_like``, newest first."""
        async with self._conn(None) as c:
            rows = await c.fetch(
                """
                SELECT * FROM publication_view
                WHERE jurisdiction LIKE $1 AND ($2::uuid IS NULL OR unit_id = $2)
                  AND ($3::text IS NULL OR scope = $3) AND ($4::text IS NULL OR stage = $4)
                ORDER BY published_on DESC, recorded_at DESC, publication_id
                LIMIT $5
                """,
                jurisdiction_like,
                unit_id,
                scope.value if scope else None,
                stage.value if stage else None,
                limit,
            )
        return [
            Publication(
                publication_id=r["publication_id"],
                jurisdiction=r["jurisdiction"].strip(),
                round_id=r["round_id"],
                unit_id=r["unit_id"],
                unit=r["unit"],
                stage=PublicationStage(r["stage"]),
                scope=PublicationScope(r["scope"]),
                title=r["title"],
                text=r["text"],
                published_on=r["published_on"],
                exemptions=tuple(r["exemptions"]),
                withheld_note=r["withheld_note"],
                recorded_at=r["recorded_at"],
                version=r["version"],
            )
            for r in rows
        ]
