"""Deadlines started and satisfied by a service's own events, in the unit of work that records
them: a :class:`DeadlineReactions` is a reaction of the shared command loop
(``Aggregates.reactions``), so a handler stays one line and the deadline row commits (or rolls
back) with the event.

A service declares which of its events start which deadline (:class:`Starts`) and which satisfy
or cancel one (:class:`Ends`); see docs/clocks.md, "What each service runs".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from xuncha_shared.clocks.deadlines import Clocks, Deadline, DeadlineKind
from xuncha_shared.envelope import EventEnvelope, EventPayload


def _always(*_: Any) -> bool:
    return True


@dataclass(frozen=True)
class Starts:
    """An event of type ``event`` starts a deadline of ``kind`` (when ``when(event, state)``
    holds, ``state`` being the aggregate after the event), keyed by ``key`` (default: the stream
    id) and owned by ``owner`` (a unit, a department, an office). It counts from the event's
    ``occurred_at`` unless ``since`` names an earlier moment of the state (R7 counts from the
    registration) or ``at`` a moment the event names (R14 counts from the stationing's first
    day). With ``due_date``, the event carries its own due date, which must be the
    deadline's."""

    event: type[EventPayload]
    kind: DeadlineKind
    owner: Callable[[Any, Any], str]
    key: Callable[[Any, EventEnvelope], str] | None = None
    when: Callable[[Any, Any], bool] = _always
    since: Callable[[Any], datetime | None] | None = None
    due_date: Callable[[Any], date | None] | None = None
    at: Callable[[Any], datetime] | None = None


@dataclass(frozen=True)
class Ends:
    """An event of type ``event`` satisfies (or, with ``cancel``, cancels) the open deadline of
    ``kind`` keyed by ``key`` (default: the stream id), when ``when(event, state)`` holds, at
    the event's ``occurred_at`` or the moment ``at(event)`` names (a notice's sending day)."""

    event: type[EventPayload]
    kind: DeadlineKind
    key: Callable[[Any, EventEnvelope], str] | None = None
    when: Callable[[Any, Any], bool] = _always
    cancel: bool = False
    at: Callable[[Any], datetime] | None = None


class DeadlineDisagreementError(RuntimeError):
    """An event's own due date differs from the due date its deadline's rule computes."""


class DeadlineReactions:
    """Starts and ends a service's deadlines from the events the command loop records."""

    def __init__(self, clocks: Clocks, starts: Sequence[Starts], ends: Sequence[Ends]) -> None:
        self.clocks = clocks
        self.starts = tuple(starts)
        self.ends = tuple(ends)

    async def __call__(
        self, conn: Any, state: object, recorded: Sequence[tuple[EventEnvelope, EventPayload]]
    ) -> None:
        for envelope, event in recorded:
            for start in self.starts:
                if isinstance(event, start.event) and start.when(event, state):
                    await self._start(conn, start, envelope, event, state)
            for end in self.ends:
                if isinstance(event, end.event) and end.when(event, state):
                    key = end.key(event, envelope) if end.key else envelope.stream_id
                    close = self.clocks.cancel if end.cancel else self.clocks.satisfy
                    at = end.at(event) if end.at else envelope.occurred_at
                    await close(conn, end.kind.name, key, at=at, by=envelope.event_id)

    async def _start(
        self, conn: Any, start: Starts, envelope: EventEnvelope, event: EventPayload, state: object
    ) -> Deadline:
        since = start.since(state) if start.since else None
        if since is None and start.at is not None:
            since = start.at(event)
        deadline = await self.clocks.start(
            conn,
            start.kind,
            key=start.key(event, envelope) if start.key else envelope.stream_id,
            jurisdiction=envelope.jurisdiction,
            stream_id=envelope.stream_id,
            aggregate_id=envelope.stream_id,
            owner=start.owner(event, state),
            started_at=since or envelope.occurred_at,
            started_by=envelope.event_id,
        )
        expected = start.due_date(event) if start.due_date else None
        if expected is not None and expected != deadline.due_date:
            raise DeadlineDisagreementError(
                f"{envelope.event_type} says due {expected}, rule {deadline.rule_id} "
                f"v{deadline.rule_version} says {deadline.due_date}"
            )
        return deadline
