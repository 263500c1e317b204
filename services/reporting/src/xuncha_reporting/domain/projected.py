"""The envelope as the projection sees it: the only fields of an event's envelope that
``domain.project`` and its steps read.

The live consumer hands them a whole ``EventEnvelope``; a rebuild or an as-of replay hands them
a ``projection_chunks.HistoryEvent``, read from the stores with these columns only (less to
read, send to a worker and build per event). Typing the steps with this protocol, not with
``EventEnvelope``, makes mypy refuse a step that reads a field a history row does not carry.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol
from uuid import UUID


class ProjectedActor(Protocol):
    """Who caused the event, as far as the projection cares (the demo mark, acknowledgers)."""

    @property
    def principal_id(self) -> str: ...


class ProjectedEnvelope(Protocol):
    """The envelope fields a projection step may read (read-only)."""

    @property
    def event_id(self) -> UUID: ...

    @property
    def event_type(self) -> str: ...

    @property
    def stream_id(self) -> str: ...

    @property
    def occurred_at(self) -> datetime: ...

    @property
    def jurisdiction(self) -> str: ...

    @property
    def actor(self) -> ProjectedActor: ...
