"""What the shared command loop (``xuncha_shared.aggregates``) needs to know of an aggregate.

An aggregate's state is a plain object with a ``version`` (the number of events it has seen);
its ``domain/model.py`` declares one :class:`AggregateKind`: the stream type, an empty state, the
pure ``evolve`` and the envelope jurisdiction of a new event. ``replay`` folds events into a
state: the one replay every aggregate shares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from xuncha_shared.envelope import EventPayload

__all__ = ["AggregateKind", "State"]


class State(Protocol):
    """An aggregate's state: ``version`` is 0 for a stream that does not exist yet."""

    version: int


S = TypeVar("S", bound=State)


@dataclass(frozen=True)
class AggregateKind(Generic[S]):
    """One kind of aggregate: its streams and the pure functions the command loop calls."""

    #: the ``stream_type`` of its events (``clue``, ``issue``, ``petition``)
    stream_type: str
    #: a state before any event
    initial: Callable[[], S]
    #: applies one event (recorded at ``at``, when known) and returns the state
    evolve: Callable[[S, EventPayload, datetime | None], S]
    #: the envelope jurisdiction of ``event`` appended to ``state``
    jurisdiction_of: Callable[[S, EventPayload], str]

    def replay(self, events: Iterable[EventPayload]) -> S:
        """The state after ``events`` (no recording times)."""
        state = self.initial()
        for event in events:
            self.evolve(state, event, None)
        return state
