"""The metadata of the events one command (or one consumed event) appends.

``Meta`` is what a handler passes to the command loop besides the decision: who acts, the
correlation and causation ids and, when the caller has one, the W3C trace context. It is pure:
the entrypoints fill ``traceparent`` from the current span (``xuncha_shared.http.requests``,
``xuncha_shared.consumer``); the domain never reads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from xuncha_shared.envelope import Actor, EventEnvelope

__all__ = ["Meta"]


@dataclass(frozen=True)
class Meta:
    """Envelope metadata of the events one command (or one consumed event) appends."""

    actor: Actor
    correlation_id: UUID | None = None
    causation_id: UUID | None = None
    traceparent: str | None = None
    #: when the command took effect (its events' ``occurred_at``); ``None``: when recorded. A
    #: handler sets it from the service's clock when a deadline starts or ends at that moment.
    occurred_at: datetime | None = None

    @classmethod
    def caused_by(
        cls, envelope: EventEnvelope, actor: Actor, traceparent: str | None = None
    ) -> Meta:
        """For an append in reaction to ``envelope``: same correlation, caused by it, and the
        given trace context (the consumer's span), else the consumed event's."""
        return cls(
            actor=actor,
            correlation_id=envelope.correlation_id,
            causation_id=envelope.event_id,
            traceparent=traceparent or envelope.traceparent,
        )
