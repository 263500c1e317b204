"""The service layer every service shares: domain errors, the event store it needs, transactions
and the envelope metadata of the events a command (or a consumed event) appends. (What the
handlers need of an event store is ``xuncha_shared.eventstore.EventStore``.)

* :class:`DomainError` and its kinds carry the HTTP status and title to answer with
  (``xuncha_shared.api.domain_errors`` maps them to problem responses); a service subclasses
  them for its own refusals (``class UnknownClue(NotFoundError): ...``).
* :func:`pg_transaction` opens a transaction on a pool and yields its connection;
  :func:`no_transaction` stands in for it with the in-memory fakes of the unit tests.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg

from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent
from xuncha_shared.telemetry import current_traceparent

__all__ = [
    "DomainError",
    "InvalidCommand",
    "Meta",
    "NotAllowed",
    "NotFoundError",
    "RuleViolation",
    "TxFactory",
    "no_transaction",
    "pg_transaction",
]

#: a factory of transactions yielding the connection (``None`` with the in-memory fakes)
TxFactory = Callable[[], AbstractAsyncContextManager[Any]]


# --- domain errors ----------------------------------------------------------------------------


class DomainError(Exception):
    """A rule of the domain refuses a command. ``status`` is the HTTP status to answer with."""

    status = 409
    title = "Conflict"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The command names an aggregate that does not exist (404)."""

    status = 404
    title = "Not found"


class InvalidCommand(DomainError):
    """The command is malformed or names something unknown (422)."""

    status = 422
    title = "Unprocessable content"


class RuleViolation(DomainError):
    """The command is well formed but the aggregate's state forbids it (409)."""

    status = 409
    title = "Conflict"


class NotAllowed(DomainError):
    """The caller's office may not act on this aggregate (any more) (403)."""

    status = 403
    title = "Forbidden"


# --- transactions -----------------------------------------------------------------------------


def pg_transaction(pool: asyncpg.Pool) -> TxFactory:
    """A factory of transactions on ``pool`` yielding the connection."""

    @asynccontextmanager
    async def transaction() -> AsyncIterator[asyncpg.Connection]:
        async with pool.acquire() as conn, conn.transaction():
            yield conn

    return transaction


@asynccontextmanager
async def no_transaction() -> AsyncIterator[None]:
    """For the in-memory fakes of the unit tests."""
    yield None


# --- envelope metadata ------------------------------------------------------------------------


@dataclass(frozen=True)
class Meta:
    """Envelope metadata of the events one command (or one consumed event) appends."""

    actor: Actor
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    traceparent: str | None = None

    def new_event(self, payload: EventPayload, jurisdiction: str) -> NewEvent:
        return NewEvent(
            payload=payload,
            jurisdiction=jurisdiction,
            actor=self.actor,
            correlation_id=self.correlation_id,
            causation_id=self.causation_id,
            traceparent=self.traceparent,
        )

    @classmethod
    def caused_by(cls, envelope: EventEnvelope, actor: Actor) -> Meta:
        """For an append in reaction to ``envelope``: same correlation, caused by it, and the
        current (consumer) span's trace context, else the consumed event's."""
        return cls(
            actor=actor,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
            traceparent=current_traceparent() or envelope.traceparent,
        )
