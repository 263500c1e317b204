"""The event store: its interface (``base``) and the PostgreSQL store. (The in-memory fake of
the unit tests is ``tests/support/fakes.py``.)"""

from xuncha_shared.eventstore.base import (
    ANY_VERSION,
    NO_STREAM,
    START,
    ConcurrencyError,
    EventStore,
    NewEvent,
    Position,
)
from xuncha_shared.eventstore.postgres import COMMITTED, PostgresEventStore, envelope_from_record

__all__ = [
    "ANY_VERSION",
    "COMMITTED",
    "NO_STREAM",
    "START",
    "ConcurrencyError",
    "EventStore",
    "NewEvent",
    "Position",
    "PostgresEventStore",
    "envelope_from_record",
]
