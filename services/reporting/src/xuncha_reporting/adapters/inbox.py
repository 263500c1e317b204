"""The inbox row of a consumed event (``inbox``: consumer, event_id, topic).

The shared ``InboxConsumer`` records every event it processed in the same transaction as the
effect; reporting's 签收 records its own event for the projection consumer the same way, since
it applies the event at once. One statement for both (``xuncha_shared.consumer`` is to call
this too).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

INBOX_INSERT_SQL = "INSERT INTO inbox (consumer, event_id, topic) VALUES ($1, $2, $3)"


async def record_processed(conn: Any, consumer: str, event_id: UUID, topic: str) -> None:
    """Record in ``conn``'s transaction that ``consumer`` has processed ``event_id`` (from
    ``topic``); a second record raises ``asyncpg.UniqueViolationError``."""
    await conn.execute(INBOX_INSERT_SQL, consumer, event_id, topic)
