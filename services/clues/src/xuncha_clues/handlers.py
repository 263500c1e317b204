"""Service layer of clues: command handlers (HTTP) and event handlers (Kafka consumers).

Every command loads the clue's stream, lets the pure model decide, and appends with the
version it read (a concurrent writer makes the append fail with ``ConcurrencyError`` → 409);
the ``clue_view`` row is updated in the same transaction.

The consumer ``clues.register-from-petitions`` registers one clue per ``PetitionReceived``. The
clue id is derived from the petition id (uuid5), so a petition delivered twice (a relay replay,
a second consumer copy) still makes one clue: the inbox drops the duplicate event, and a stream
that already exists decides nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from xuncha_shared.contracts import REGISTRY, EventRegistry
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore import NO_STREAM, EventStore, NewEvent
from xuncha_shared.runtime import ServiceContext
from xuncha_shared.service import Meta, TxFactory, pg_transaction

from xuncha_clues.adapters.views import ClueViews, SqlClueViews
from xuncha_clues.domain import model
from xuncha_clues.domain.model import Clue, Office

#: consumer group (and inbox name) registering clues from petitions
REGISTER_CONSUMER = "clues.register-from-petitions"
#: the actor of events the service appends on its own, in reaction to another event
CONSUMER_ACTOR = Actor(principal_id=f"service:{REGISTER_CONSUMER}", role="system")

EventHandler = Callable[[Any, EventEnvelope, EventPayload], Awaitable[None]]


Decision = Callable[[Clue], list[EventPayload]]


@dataclass
class ClueHandlers:
    store: EventStore
    views: ClueViews
    transaction: TxFactory
    registry: EventRegistry = REGISTRY

    async def load(self, clue_id: UUID) -> Clue:
        state = Clue()
        for envelope in await self.store.read_stream(str(clue_id)):
            model.evolve(state, self.registry.decode(envelope), envelope.recorded_at)
        return state

    async def get(self, clue_id: UUID) -> Clue:
        state = await self.load(clue_id)
        if not state.exists:
            raise model.UnknownClue(f"未找到线索 {clue_id} / unknown clue {clue_id}")
        return state

    async def _execute(
        self, clue_id: UUID, decide: Decision, meta: Meta, *, conn: Any = None
    ) -> Clue:
        state = await self.load(clue_id)
        events = decide(state)
        if not events:
            return state
        expected = state.version if state.exists else NO_STREAM
        new_events = []
        for event in events:
            new_events.append(meta.new_event(event, model.event_jurisdiction(state, event)))
        if conn is not None:
            return await self._commit(conn, clue_id, state, expected, events, new_events)
        async with self.transaction() as tx:
            return await self._commit(tx, clue_id, state, expected, events, new_events)

    async def _commit(
        self,
        conn: Any,
        clue_id: UUID,
        state: Clue,
        expected: int,
        events: list[EventPayload],
        new_events: list[NewEvent],
    ) -> Clue:
        stored = await self.store.append(
            model.STREAM_TYPE, str(clue_id), expected, new_events, conn=conn
        )
        for envelope, event in zip(stored, events, strict=True):
            model.evolve(state, event, envelope.recorded_at)
        await self.views.upsert(conn, state)
        return state

    # --- commands -----------------------------------------------------------------------------

    async def register(self, cmd: model.RegisterClue, meta: Meta, *, conn: Any = None) -> Clue:
        return await self._execute(
            cmd.clue_id, lambda s: model.decide_register(s, cmd), meta, conn=conn
        )

    async def classify(
        self, clue_id: UUID, cmd: model.ClassifyClue, office: Office, meta: Meta
    ) -> Clue:
        return await self._execute(clue_id, lambda s: model.decide_classify(s, cmd, office), meta)

    async def escalate(
        self, clue_id: UUID, cmd: model.EscalateClue, office: Office, meta: Meta
    ) -> Clue:
        return await self._execute(clue_id, lambda s: model.decide_escalate(s, cmd, office), meta)

    async def transfer(
        self, clue_id: UUID, cmd: model.TransferClue, office: Office, meta: Meta
    ) -> Clue:
        return await self._execute(clue_id, lambda s: model.decide_transfer(s, cmd, office), meta)


def handlers_from_context(ctx: ServiceContext) -> ClueHandlers:
    return ClueHandlers(
        store=ctx.store,
        views=SqlClueViews(ctx.pool),
        transaction=pg_transaction(ctx.pool),
        registry=ctx.registry,
    )


# --- event handlers (consumers) ---------------------------------------------------------------


def register_from_petitions(handlers: ClueHandlers) -> EventHandler:
    """``PetitionReceived`` → ``ClueRegistered`` (deterministic clue id), in the consumer's
    transaction, caused by the petition event and in its correlation."""

    async def handle(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if not isinstance(payload, PetitionReceived):
            return
        cmd = model.RegisterClue(
            clue_id=model.clue_id_for_petition(payload.petition_id),
            jurisdiction=payload.jurisdiction,
            unit=payload.unit,
            summary=payload.summary,
            source_event_id=envelope.event_id,
            source_petition_id=payload.petition_id,
            round_id=payload.round_id,
        )
        await handlers.register(cmd, Meta.caused_by(envelope, CONSUMER_ACTOR), conn=conn)

    return handle
