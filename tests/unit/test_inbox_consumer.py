"""``InboxConsumer`` wired by ``subscribe`` on FastStream's in-memory ``TestKafkaBroker``: each
event's effect runs once (the inbox drops a redelivery), an undecodable message and a handler
that keeps failing go to the dead-letter topic with their reason. (Against the real Kafka and
PostgreSQL: tests/integration/test_relay_and_consumers.py.)"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from xuncha_shared.consumer import (
    BATCH_WAIT_MS,
    FETCHER_IDLE_MS,
    MAX_BATCH,
    Delivery,
    InboxConsumer,
    broker_dead_letter_sink,
    subscribe,
)
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.envelope import GENESIS_HASH, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import ConcurrencyError, seal_events
from xuncha_shared.failures import redeliverable

from tests.support.events import petition
from tests.support.fakes import FakeInboxPool

pytestmark = pytest.mark.unit

TOPIC = "unit.intake.petition.v1"


def _wire(envelope: EventEnvelope) -> bytes:
    return envelope.to_wire()


def _envelope() -> EventEnvelope:
    [sealed] = seal_events(
        "petition", str(uuid.uuid4()), 1, GENESIS_HASH, [petition()], datetime.now(UTC)
    )
    return sealed.model_copy(update={"global_position": 1, "tx_id": 1})


async def test_inbox_consumer_on_the_test_broker() -> None:
    broker = KafkaBroker()
    pool = FakeInboxPool()
    effects: list[uuid.UUID] = []
    failing: set[uuid.UUID] = set()
    dead: list[dict[str, Any]] = []

    async def handler(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        if envelope.event_id in failing:
            raise RuntimeError("the handler cannot take this one")
        effects.append(envelope.event_id)

    consumer = InboxConsumer(
        name="unit.effects",
        pool=pool,  # type: ignore[arg-type]
        registry=REGISTRY,
        handler=handler,
        dead_letter=broker_dead_letter_sink(broker),
        max_attempts=2,
        retry_delay=0.0,
    )
    subscribe(broker, [TOPIC], consumer)

    @broker.subscriber(f"{TOPIC}.dlq")
    async def on_dead_letter(message: KafkaMessage) -> None:
        dead.append(dict(message.headers))

    first, bad = _envelope(), _envelope()
    failing.add(bad.event_id)
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(_wire(first), topic=TOPIC)
        await test_broker.publish(_wire(first), topic=TOPIC)  # redelivered
        await test_broker.publish(b"{not an envelope", topic=TOPIC)
        await test_broker.publish(_wire(bad), topic=TOPIC)

    assert effects == [first.event_id]
    assert ("unit.effects", first.event_id) in pool.inbox
    assert ("unit.effects", bad.event_id) not in pool.inbox
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (1, 1, 2)
    assert [h["dlq_consumer"] for h in dead] == ["unit.effects", "unit.effects"]
    assert dead[0]["dlq_reason"].startswith("undecodable")
    assert dead[1]["dlq_reason"].startswith("handler failed: RuntimeError")
    assert dead[1]["event_id"] == str(bad.event_id)
    assert {h["original_topic"] for h in dead} == {TOPIC}


def _consumer(
    name: str, pool: FakeInboxPool, handler: Any, dead: list[dict[str, str]], max_attempts: int
) -> InboxConsumer:
    """An InboxConsumer on the fake pool whose dead letters' headers go to ``dead``."""

    async def sink(*, topic: str, key: bytes | None, value: bytes, headers: dict[str, str]) -> None:
        dead.append(headers)

    return InboxConsumer(
        name=name,
        pool=pool,  # type: ignore[arg-type]
        registry=REGISTRY,
        handler=handler,
        dead_letter=sink,
        max_attempts=max_attempts,
        retry_delay=0.0,
    )


def _delivery(value: bytes, offset: int) -> Delivery:
    return Delivery(topic=TOPIC, partition=0, offset=offset, key=None, value=value)


async def test_a_batch_is_one_transaction_and_a_bad_record_only_costs_it_a_rollback() -> None:
    """The records of one fetch share one transaction (one inbox claim, the handlers in order,
    one commit). A batch with a record whose handler keeps failing is rolled back whole, then
    handled one transaction per record: the others take effect once, the bad one is
    dead-lettered alone."""
    pool = FakeInboxPool()
    effects = pool.effects  # written in the handler's transaction: gone when it rolls back
    failing: set[uuid.UUID] = set()
    dead: list[dict[str, str]] = []

    calls: list[uuid.UUID] = []

    async def handler(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        calls.append(envelope.event_id)
        conn.pool.effects.append(envelope.event_id)
        if envelope.event_id in failing:
            raise RuntimeError("the handler cannot take this one")

    consumer = _consumer("unit.batch", pool, handler, dead, max_attempts=2)
    a, b, c = _envelope(), _envelope(), _envelope()
    good = [_delivery(_wire(e), n) for n, e in enumerate((a, b, a))]
    assert await consumer.handle_batch(good) == ["processed", "processed", "duplicate"]
    assert effects == [a.event_id, b.event_id]
    assert (pool.committed, pool.rolled_back) == (1, 0)  # one transaction for the batch

    bad = _envelope()
    failing.add(bad.event_id)
    mixed = [
        _delivery(_wire(c), 3),
        _delivery(b"{not an envelope", 4),
        _delivery(_wire(bad), 5),
        _delivery(_wire(b), 6),  # processed in the first batch
    ]
    outcomes = await consumer.handle_batch(mixed)
    assert outcomes == ["processed", "dead-lettered", "dead-lettered", "duplicate"]
    assert effects == [a.event_id, b.event_id, c.event_id]  # the rollback left nothing behind
    assert ("unit.batch", c.event_id) in pool.inbox
    assert ("unit.batch", bad.event_id) not in pool.inbox
    assert pool.rolled_back >= 1
    assert calls.count(bad.event_id) == consumer.max_attempts  # the batch's try counts as one
    assert [h["dlq_reason"].split(":")[0] for h in dead] == ["undecodable", "handler failed"]
    assert (consumer.processed, consumer.duplicates, consumer.dead_lettered) == (3, 2, 2)


async def test_an_idle_batch_subscriber_waits_in_its_fetch_not_beside_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``subscribe`` replaces FastStream's batch ``get_msg`` (which sleeps the batch timeout
    after an empty fetch, so a record arriving then waits) by one that returns the empty fetch
    at once: the fetch itself waited. The consume loop must still call ``get_msg``: a FastStream
    upgrade that changes this fails here."""
    import inspect

    from faststream.kafka.subscriber import usecase

    assert "self.get_msg(consumer)" in inspect.getsource(usecase.LogicSubscriber._run_consume_loop)
    broker = KafkaBroker()
    subscribe(broker, [TOPIC], _quiet_consumer(broker))
    [subscriber] = [s for s in broker.subscribers if TOPIC in s.topic_names]
    assert "get_msg" in vars(subscriber)  # the instance's own, not the class's

    async def no_sleep(seconds: float) -> None:
        raise AssertionError(f"slept {seconds} s after an empty fetch")

    monkeypatch.setattr(usecase.anyio, "sleep", no_sleep)
    record = object()

    class Fetching:
        def __init__(self) -> None:
            self.calls: list[tuple[int, int]] = []
            self.answers: list[dict[str, list[object]]] = [{}, {"tp": [record]}]

        async def getmany(self, *, timeout_ms: int, max_records: int) -> dict[str, list[object]]:
            self.calls.append((timeout_ms, max_records))
            return self.answers.pop(0)

    fetching = Fetching()
    assert await subscriber.get_msg(fetching) == ()
    assert await subscriber.get_msg(fetching) == (record,)
    assert fetching.calls == [(BATCH_WAIT_MS, MAX_BATCH)] * 2


def test_a_subscriber_never_creates_its_topics() -> None:
    """Topics are provisioned with their partitions, replication and ACLs
    (``xuncha_shared.provision``). FastStream's subscriber creates the topics it declares when
    it starts (one partition, one replica): a service's principal is refused and logged a
    warning per topic at every start, a privileged one would create a missing topic wrongly."""
    broker = KafkaBroker()
    subscribe(broker, [TOPIC, "unit.clues.clue.v1"], _quiet_consumer(broker))
    [subscriber] = [s for s in broker.subscribers if TOPIC in s.topic_names]
    assert set(subscriber.topic_names) == {TOPIC, "unit.clues.clue.v1"}
    assert subscriber.topics_to_create == []


async def test_an_idle_consumer_s_fetch_routine_is_not_woken_by_a_short_timer() -> None:
    """aiokafka's background fetch routine wakes every ``consumer_timeout_ms`` (default 200 ms)
    besides what it waits on; ``subscribe`` hands the consumer a long one, and FastStream passes
    it through to the ``AIOKafkaConsumer`` it builds."""
    broker = KafkaBroker()
    subscribe(broker, [TOPIC], _quiet_consumer(broker))
    [subscriber] = [s for s in broker.subscribers if TOPIC in s.topic_names]
    args = subscriber._connection_args
    assert args["consumer_timeout_ms"] == FETCHER_IDLE_MS >= 1000
    consumer = AIOKafkaConsumer(TOPIC, **args)
    try:
        assert consumer._consumer_timeout == FETCHER_IDLE_MS / 1000
    finally:
        await consumer.stop()


def _quiet_consumer(broker: KafkaBroker) -> InboxConsumer:
    async def handler(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        return None

    return InboxConsumer(
        name="unit.idle",
        pool=FakeInboxPool(),  # type: ignore[arg-type]
        registry=REGISTRY,
        handler=handler,
        dead_letter=broker_dead_letter_sink(broker),
    )


@pytest.mark.parametrize(
    "down",
    [
        # a SIGKILLed PostgreSQL ends every session with 57P02, then refuses new ones with 57P03
        asyncpg.exceptions.CrashShutdownError("terminating connection because of crash"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.CannotConnectNowError("the database system is in recovery mode"),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
        ConnectionRefusedError(111, "Connection refused"),
        asyncpg.exceptions.InterfaceError("pool is closing"),
    ],
    ids=lambda e: type(e).__name__,
)
async def test_a_database_down_longer_than_the_attempts_is_never_a_dead_letter(
    down: BaseException,
) -> None:
    """A record whose every attempt meets the database down is raised (FastStream nacks it and
    Kafka delivers it again), not dead-lettered; handled again once the database is back, its
    effect happens once."""
    pool = FakeInboxPool()
    dead: list[dict[str, str]] = []
    database_up = False
    calls = 0

    async def handler(conn: Any, envelope: EventEnvelope, payload: EventPayload) -> None:
        nonlocal calls
        calls += 1
        if not database_up:
            raise down
        conn.pool.effects.append(envelope.event_id)

    consumer = _consumer("unit.down", pool, handler, dead, max_attempts=3)
    envelope = _envelope()
    with pytest.raises(type(down)):
        await consumer.handle_batch([_delivery(_wire(envelope), 0)])
    assert (calls, dead, pool.effects) == (3, [], [])
    database_up = True  # the redelivery
    assert await consumer.handle_batch([_delivery(_wire(envelope), 0)]) == ["processed"]
    assert (pool.effects, consumer.dead_lettered) == ([envelope.event_id], 0)


def test_redeliverable_is_what_goes_away_and_a_handler_s_own_error_is_not() -> None:
    wrapped = RuntimeError("could not record the clue")
    wrapped.__cause__ = asyncpg.exceptions.CrashShutdownError("terminating connection")
    assert redeliverable(wrapped)  # its cause says the database went away
    assert redeliverable(asyncpg.exceptions.DeadlockDetectedError("deadlock detected"))
    assert redeliverable(ConcurrencyError("clue-1", 2, 3))
    assert redeliverable(asyncpg.exceptions.InterfaceError("pool is closing"))  # stopping
    assert not redeliverable(ValueError("rule violated: unit unknown"))
    # asyncpg's client-side errors are the handler's bugs, not an outage
    assert not redeliverable(asyncpg.exceptions.DataError("invalid input for query argument $1"))
    assert not redeliverable(
        asyncpg.exceptions.InterfaceError("the server expects 2 arguments for this query")
    )
    # a cancelled statement (57014) would be cancelled again; a missing file is no outage
    assert not redeliverable(asyncpg.exceptions.QueryCanceledError("statement timeout"))
    assert not redeliverable(FileNotFoundError(2, "No such file or directory"))
    # a bug raised while handling an outage (not *from* it) stays a bug
    in_except = KeyError("payload")
    in_except.__context__ = ConnectionResetError(104, "Connection reset by peer")
    assert not redeliverable(in_except)
    assert not redeliverable(asyncpg.exceptions.UniqueViolationError("duplicate key value"))
    assert not redeliverable(asyncpg.exceptions.UndefinedColumnError('column "x" does not exist'))
