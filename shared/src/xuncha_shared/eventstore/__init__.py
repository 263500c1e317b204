"""Event stores: PostgreSQL for real, in memory for unit tests."""

from xuncha_shared.eventstore.base import (
    ANY_VERSION,
    NO_STREAM,
    START,
    ConcurrencyError,
    EventStore,
    NewEvent,
    Position,
)
from xuncha_shared.eventstore.memory import InMemoryEventStore
from xuncha_shared.eventstore.postgres import PostgresEventStore, envelope_from_record

__all__ = [
    "ANY_VERSION",
    "NO_STREAM",
    "START",
    "ConcurrencyError",
    "EventStore",
    "InMemoryEventStore",
    "NewEvent",
    "Position",
    "PostgresEventStore",
    "envelope_from_record",
]
