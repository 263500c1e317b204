"""``issue_topic``: the topics of each fed-back issue with its unit, written in the feedback's
unit of work (a reaction of the issue command loop); R19 asks it which closed-out issues of a
unit share a topic with a new one (joined with ``issue_view``'s status)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.rectification import IssueFedBack
from xuncha_shared.db import PoolRepository

from xuncha_rectification.domain.model import Issue
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
