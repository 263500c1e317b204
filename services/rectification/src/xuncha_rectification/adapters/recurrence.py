"""``issue_topic``: the topics of each fed-back issue with its unit, written in the feedback's
unit of work (a reaction of the issue command loop); R19 asks it which closed-out issues of a
unit share a topic with a new one (joined with ``issue_view``'s status)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.rectification import IssueFedBack
from xuncha_shared.db import PoolRepository

from xuncha_rectification.domain.common_lists import CommonList
from xuncha_rectification.domain.issue import Issue
from xuncha_rectification.domain.revisits import ClosedIssue

ISSUE_TOPIC_DDL = """
CREATE TABLE IF NOT EXISTS issue_topic (
    issue_id     uuid    NOT NULL,
    topic        text    NOT NULL,
    jurisdiction char(6) NOT NULL,
    unit_id      uuid    NULL,
    unit         text    NOT NULL,
    PRIMARY KEY (issue_id, topic)
);
CREATE INDEX IF NOT EXISTS issue_topic_unit ON issue_topic (jurisdiction, unit, topic);
"""


class SqlIssueTopics(PoolRepository):
    async def __call__(self, conn: Any, state: Issue, recorded: Sequence[Any]) -> None:
        """A reaction of the issue command loop: the topics of a fed-back issue."""
        for _envelope, event in recorded:
            if isinstance(event, IssueFedBack):
                for topic in event.topics:
                    await conn.execute(
                        """
                        INSERT INTO issue_topic (issue_id, topic, jurisdiction, unit_id, unit)
                        VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING
                        """,
                        event.issue_id,
                        topic,
                        event.jurisdiction,
                        event.unit_id,
                        event.unit,
                    )

    async def closed_out(
        self, jurisdiction: str, unit_id: UUID | None, unit: str, topics: Sequence[str]
    ) -> list[ClosedIssue]:
        """The unit's closed-out issues with one of ``topics`` (the unit by id when known, else
        by name within the jurisdiction)."""
        if not topics:
            return []
        rows = await self.pool.fetch(
            """
            SELECT t.issue_id, array_agg(t.topic ORDER BY t.topic) AS topics
            FROM issue_topic t JOIN issue_view v ON v.issue_id = t.issue_id
            WHERE v.status = 'closed_out' AND t.jurisdiction = $1
              AND (($2::uuid IS NOT NULL AND t.unit_id = $2)
                   OR ($2::uuid IS NULL AND t.unit = $3))
              AND t.topic = ANY($4::text[])
            GROUP BY t.issue_id ORDER BY t.issue_id
            """,
            jurisdiction,
            unit_id,
            unit,
            list(topics),
        )
        return [ClosedIssue(issue_id=r["issue_id"], topics=tuple(r["topics"])) for r in rows]


COMMON_LIST_DDL = """
CREATE TABLE IF NOT EXISTS common_list_view (
    list_id      uuid    PRIMARY KEY,
    jurisdiction char(6) NOT NULL,
    term_no      integer NOT NULL,
    unit_ids     uuid[]  NOT NULL,
    checked_ids  uuid[]  NOT NULL DEFAULT '{}',
    version      bigint  NOT NULL
);
CREATE INDEX IF NOT EXISTS common_list_view_jurisdiction ON common_list_view (jurisdiction);
"""


class SqlCommonListReadModel(PoolRepository):
    """``common_list_view``: the lists, the units they went to and those that self-checked,
    written in the list's unit of work."""

    async def upsert(self, conn: Any, state: CommonList) -> None:
        async with self._conn(conn) as c:
            await c.execute(
                """
                INSERT INTO common_list_view (list_id, jurisdiction, term_no, unit_ids,
                                              checked_ids, version)
                VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT (list_id) DO UPDATE SET checked_ids = EXCLUDED.checked_ids,
                    version = EXCLUDED.version
                WHERE common_list_view.version < EXCLUDED.version
                """,
                state.list_id,
                state.jurisdiction,
                state.term_no,
                list(state.unit_ids),
                list(state.self_checks),
                state.version,
            )

    async def list_ids(self, pattern: str, unit_id: UUID | None) -> list[UUID]:
        """The lists of the jurisdictions matching ``pattern`` (only those sent to ``unit_id``
        when given), newest first."""
        rows = await self.pool.fetch(
            """
            SELECT list_id FROM common_list_view
            WHERE jurisdiction LIKE $1 AND ($2::uuid IS NULL OR $2 = ANY(unit_ids))
            ORDER BY list_id DESC LIMIT 200
            """,
            pattern,
            unit_id,
        )
        return [r["list_id"] for r in rows]
