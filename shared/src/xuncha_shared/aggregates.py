"""The command loop every service shares (cosmicpython's handler + unit of work, eventsourcing's
``repository.get`` / ``save``):

1. load the aggregate's stream and replay it (:meth:`Aggregates.load`);
2. call a pure ``decide(state) -> events`` of the domain;
3. in one unit of work: append the events with the version that was read (a concurrent writer
   makes the append fail with ``ConcurrencyError``, 409 at the HTTP layer), evolve the state with
   the recorded events, update the service's own read model and run its reactions (deadlines
   started or satisfied by these events);
4. return the new state.

``execute`` runs it all; a handler method is one line::

    return await self.clues.execute(clue_id, lambda s: model.decide_classify(s, cmd, office), meta)

With ``conn`` the unit of work is the caller's open transaction (a consumer's, which also records
the inbox row), otherwise a new one. Commands whose decision needs work inside the transaction
(intake seals a reporter identity first) use :meth:`Aggregates.transaction` and
:meth:`Aggregates.record` themselves: the same path, split where the service needs it.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from xuncha_shared.contracts import REGISTRY, EventRegistry
from xuncha_shared.domain.aggregates import AggregateKind, State
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NO_STREAM, EventStore, NewEvent
from xuncha_shared.unit_of_work import TRANSIENT_ATTEMPTS, UnitOfWork, joined, transient

__all__ = ["Aggregates", "NoReadModel", "Reaction", "ReadModel", "Recorded", "new_events"]

S = TypeVar("S", bound=State)
S_contra = TypeVar("S_contra", contravariant=True)

Decision = Callable[[S], Sequence[EventPayload]]


class ReadModel(Protocol[S_contra]):
    """The service's own query tables, updated in the unit of work of the events."""

    async def upsert(self, conn: Any, state: S_contra) -> None: ...


#: one recorded event: its stored envelope and its payload
Recorded = tuple[EventEnvelope, EventPayload]


class Reaction(Protocol[S_contra]):
    """Work done in the unit of work of recorded events, after the read model (a service's
    deadlines: started by one event, satisfied by another, in the same transaction)."""

    async def __call__(self, conn: Any, state: S_contra, recorded: Sequence[Recorded]) -> None: ...


class NoReadModel:
    """For an aggregate without query tables of its own."""

    async def upsert(self, conn: Any, state: object) -> None:
        return None


def new_events(
    meta: Meta, events: Sequence[EventPayload], jurisdiction: Callable[[EventPayload], str]
) -> list[NewEvent]:
    """The store's ``NewEvent`` of each event, with ``meta``'s envelope metadata."""
    return [
        NewEvent(
            payload=event,
            jurisdiction=jurisdiction(event),
            actor=meta.actor,
            correlation_id=meta.correlation_id,
            causation_id=meta.causation_id,
            traceparent=meta.traceparent,
            occurred_at=meta.occurred_at,
        )
        for event in events
    ]


@dataclass
class Aggregates(Generic[S]):
    """The aggregates of one kind in one service's event store."""

    kind: AggregateKind[S]
    store: EventStore
    unit_of_work: UnitOfWork
    read_model: ReadModel[S] = NoReadModel()  # noqa: RUF009  (stateless, shared)
    registry: EventRegistry = REGISTRY
    #: run after the read model, in the same unit of work, for every recorded batch
    reactions: Sequence[Reaction[S]] = ()
    #: the service's clock: the events' ``occurred_at`` when ``meta`` does not set one (so a
    #: test that moves the clock also moves when commands take effect)
    clock: Callable[[], datetime] | None = None

    async def load(self, stream_id: object, *, conn: Any = None) -> S:
        """The state of a stream (the initial state when it does not exist); read on the
        caller's connection ``conn`` when given, so that a transaction holding a lock never
        waits for a second connection of the pool."""
        state = self.kind.initial()
        for envelope in await self.store.read_stream(str(stream_id), conn=conn):
            self.kind.evolve(state, self.registry.decode(envelope), envelope.recorded_at)
        return state

    def transaction(self, conn: Any = None) -> AbstractAsyncContextManager[Any]:
        """The caller's transaction ``conn``, or a new unit of work."""
        return joined(conn) if conn is not None else self.unit_of_work()

    async def record(
        self, conn: Any, stream_id: object, state: S, events: Sequence[EventPayload], meta: Meta
    ) -> list[EventEnvelope]:
        """Inside the transaction ``conn``: append ``events`` at ``state``'s version, evolve
        ``state`` with the recorded events, update the read model."""
        if not events:
            return []
        expected = state.version if state.version > 0 else NO_STREAM
        if meta.occurred_at is None and self.clock is not None:
            meta = replace(meta, occurred_at=self.clock())
        stored = await self.store.append(
            self.kind.stream_type,
            str(stream_id),
            expected,
            new_events(meta, events, lambda event: self.kind.jurisdiction_of(state, event)),
            conn=conn,
        )
        for envelope, event in zip(stored, events, strict=True):
            self.kind.evolve(state, event, envelope.recorded_at)
        await self.read_model.upsert(conn, state)
        recorded = list(zip(stored, events, strict=True))
        for reaction in self.reactions:
            await reaction(conn, state, recorded)
        return stored

    async def execute(
        self, stream_id: object, decide: Decision[S], meta: Meta, *, conn: Any = None
    ) -> S:
        """Load, decide, and record what was decided in one unit of work; the new state.

        In a unit of work of its own, a transaction the database rolled back to break a
        deadlock (two commands closing the same deadlines in another order, say) is tried again
        from the load: it committed nothing. In the caller's transaction the caller decides."""
        attempt = 1
        while True:
            state = await self.load(stream_id, conn=conn)
            events = decide(state)
            if not events:
                return state
            try:
                async with self.transaction(conn) as tx:
                    await self.record(tx, stream_id, state, events, meta)
                return state
            except Exception as exc:
                if conn is not None or attempt >= TRANSIENT_ATTEMPTS or not transient(exc):
                    raise
                attempt += 1
                await asyncio.sleep(random.uniform(0.01, 0.05) * attempt)
