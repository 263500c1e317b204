"""reporting.* events (owner: the reporting service)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.envelope import EventPayload


class ShareItemAcknowledged(EventPayload):
    """A receiving department acknowledged an item of its sharing feed."""

    event_type: ClassVar[str] = "reporting.ShareItemAcknowledged"
    schema_version: ClassVar[int] = 1

    item_id: str
    department: Department
    source_event_id: UUID
    note: str | None = None


MODELS: tuple[type[EventPayload], ...] = (ShareItemAcknowledged,)
