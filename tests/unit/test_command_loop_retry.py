"""The shared command loop (``xuncha_shared.aggregates``) tries a unit of work again when the
database rolled it back to break a deadlock: nothing of it was committed, so the command is
loaded, decided and recorded anew, once; anything else, or a caller's transaction, is raised."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import pytest
from xuncha_shared.aggregates import Aggregates
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import EventPayload
from xuncha_shared.unit_of_work import TRANSIENT_ATTEMPTS

from tests.support.events import ACTOR, petition
from tests.support.fakes import InMemoryEventStore, no_transaction

pytestmark = pytest.mark.unit


@dataclass
class Tally:
    version: int = 0


def _evolve(state: Tally, event: EventPayload, at: datetime | None) -> Tally:
    state.version += 1
    return state


KIND = AggregateKind("petition", Tally, _evolve, lambda state, event: "361002")


class FailingStore(InMemoryEventStore):
    """Refuses the first ``failures`` appends the way PostgreSQL reports ``error``."""

    def __init__(self, failures: int, error: type[Exception]) -> None:
        super().__init__()
        self.failures = failures
        self.error = error
        self.attempts = 0

    async def append(self, *args: Any, **kwargs: Any) -> Any:
        self.attempts += 1
        if self.attempts <= self.failures:
            raise self.error("deadlock detected")
        return await super().append(*args, **kwargs)


def loop(store: InMemoryEventStore) -> Aggregates[Tally]:
    return Aggregates(KIND, store, no_transaction)


def decide_once(state: Tally) -> list[EventPayload]:
    return [] if state.version else [petition().payload]


async def test_a_deadlock_victim_is_tried_again_and_recorded_once() -> None:
    store = FailingStore(1, asyncpg.exceptions.DeadlockDetectedError)
    state = await loop(store).execute("s-1", decide_once, Meta(actor=ACTOR))
    assert state.version == 1
    assert store.attempts == 2
    assert len(await store.read_stream("s-1")) == 1


async def test_it_gives_up_after_the_last_attempt() -> None:
    store = FailingStore(TRANSIENT_ATTEMPTS, asyncpg.exceptions.SerializationError)
    with pytest.raises(asyncpg.exceptions.SerializationError):
        await loop(store).execute("s-2", decide_once, Meta(actor=ACTOR))
    assert store.attempts == TRANSIENT_ATTEMPTS == 5
    assert await store.read_stream("s-2") == []


async def test_other_errors_and_a_callers_transaction_are_not_retried() -> None:
    store = FailingStore(1, asyncpg.exceptions.UniqueViolationError)
    with pytest.raises(asyncpg.exceptions.UniqueViolationError):
        await loop(store).execute("s-3", decide_once, Meta(actor=ACTOR))
    assert store.attempts == 1
    store = FailingStore(1, asyncpg.exceptions.DeadlockDetectedError)
    with pytest.raises(asyncpg.exceptions.DeadlockDetectedError):
        await loop(store).execute("s-4", decide_once, Meta(actor=ACTOR), conn=object())
    assert store.attempts == 1
