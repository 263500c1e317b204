"""7. The cost of authentication and of the consumers' checks (``security``).

a) SASL/SCRAM-SHA-512 against PLAINTEXT, same run, same broker: a throwaway single-node broker
   (the jars of ``.xuncha/kafka/libs``, its own ports and folder, removed at the end) listens
   both ways; a producer with the code's configuration (``producer_config``: idempotent,
   acks=all) sends the same ``events`` messages (the envelopes the relay would send) over each
   listener, alternating rounds. Subject: SASL; baseline: PLAINTEXT. The local deployment's
   broker has no unauthenticated listener any more, hence the throwaway one.
b) The consumers' inbound checks: decoding ``events`` envelopes from the wire with the checks
   (``inbound_checks.checked_envelope``: hash recomputed, owner, stream type) against the bare
   decoding (``EventEnvelope.from_wire``) the consumer did before, alternating rounds.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.envelope import EventEnvelope
from xuncha_shared.inbound_checks import checked_envelope
from xuncha_shared.kafka import KafkaSecurity, make_producer

from bench.common import (
    STREAM_TYPE,
    BenchResult,
    Env,
    Metric,
    new_stream_id,
    paired_rounds,
    params_dict,
    sealed_stream,
)
from bench.ports import free_port

REPO = Path(__file__).resolve().parents[1]
USER, PASSWORD = "bench", "bench-" + os.urandom(12).hex()


@dataclass(frozen=True)
class SecurityParams:
    events: int = 50_000
    batch: int = 1000
    check_events: int = 50_000
    rounds: int = 3

    @classmethod
    def quick(cls) -> SecurityParams:
        return cls(events=2_000, check_events=2_000, rounds=1)


def _cluster_id() -> str:
    """A cluster id as ``kafka-storage random-uuid`` makes one (Kafka's ``Uuid.randomUuid``: 16
    random bytes, URL-safe base64 without padding, never starting with "-"), without starting
    a JVM for it."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode("ascii")
        if not cid.startswith("-"):
            return cid


def _launch(libs: Path, folder: Path, props: Path) -> subprocess.Popen[bytes]:
    """Format the storage (with the bench's SCRAM user) and start the broker."""
    cp = f"{libs}/*"
    cid = _cluster_id()
    subprocess.run(
        ["java", "-cp", cp, "kafka.tools.StorageTool", "format", "--standalone", "-t", cid,
         "-c", str(props), "--add-scram",
         f"SCRAM-SHA-512=[name={USER},iterations=4096,password={PASSWORD}]"],
        check=True, capture_output=True,
    )  # fmt: skip
    with open(folder / "kafka.out", "ab") as out:
        proc = subprocess.Popen(
            ["java", "-Xms256m", "-Xmx512m", "-cp", cp, "kafka.Kafka", str(props)],
            stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    return proc


@contextlib.asynccontextmanager
async def two_listener_broker() -> AsyncIterator[tuple[str, str]]:
    """A throwaway broker: ``(plaintext bootstrap, sasl bootstrap)``."""
    libs = Path(os.environ.get("XUNCHA_LOCAL_STATE") or REPO / ".xuncha") / "kafka" / "libs"
    folder = Path(tempfile.mkdtemp(prefix="xuncha-bench-kafka-"))
    plain, sasl, controller = free_port(), free_port(), free_port()
    props = folder / "server.properties"
    props.write_text(
        "\n".join(
            [
                "process.roles=broker,controller",
                "node.id=1",
                f"controller.quorum.bootstrap.servers=127.0.0.1:{controller}",
                f"listeners=PLAIN://127.0.0.1:{plain},SASL://127.0.0.1:{sasl},"
                f"CONTROLLER://127.0.0.1:{controller}",
                f"advertised.listeners=PLAIN://127.0.0.1:{plain},SASL://127.0.0.1:{sasl},"
                f"CONTROLLER://127.0.0.1:{controller}",
                "listener.security.protocol.map=PLAIN:PLAINTEXT,SASL:SASL_PLAINTEXT,"
                "CONTROLLER:PLAINTEXT",
                "inter.broker.listener.name=PLAIN",
                "controller.listener.names=CONTROLLER",
                "listener.name.sasl.sasl.enabled.mechanisms=SCRAM-SHA-512",
                "listener.name.sasl.scram-sha-512.sasl.jaas.config="
                "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                f"log.dirs={folder / 'data'}",
                "num.partitions=6",
                "offsets.topic.replication.factor=1",
                "transaction.state.log.replication.factor=1",
                "transaction.state.log.min.isr=1",
                "share.coordinator.state.topic.replication.factor=1",
                "share.coordinator.state.topic.min.isr=1",
                "auto.create.topics.enable=false",
                "log.cleaner.dedupe.buffer.size=16777216",
            ]
        )
        + "\n"
    )
    proc = await asyncio.to_thread(_launch, libs, folder, props)
    try:
        deadline = time.monotonic() + 120
        while True:
            admin = AIOKafkaAdminClient(bootstrap_servers=f"127.0.0.1:{plain}")
            try:
                await admin.start()
                await admin.describe_cluster()
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                await asyncio.sleep(0.5)
            finally:
                await admin.close()
        yield f"127.0.0.1:{plain}", f"127.0.0.1:{sasl}"
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(folder, ignore_errors=True)


async def _produce(
    bootstrap: str, security: KafkaSecurity, messages: list[Any], batch: int
) -> float:
    producer = make_producer(bootstrap, client_id="bench.security", security=security)
    await producer.start()
    try:
        started = time.perf_counter()
        for i in range(0, len(messages), batch):
            pending = [
                await producer.send(topic, value=value, key=key)
                for topic, value, key in messages[i : i + batch]
            ]
            await asyncio.gather(*pending)
        return len(messages) / (time.perf_counter() - started)
    finally:
        await producer.stop()


def _envelopes(count: int) -> list[EventEnvelope]:
    out: list[EventEnvelope] = []
    now = datetime.now(UTC)
    while len(out) < count:
        out.extend(sealed_stream(new_stream_id(), 10, now))
    return out[:count]


async def _decode_rate(wires: list[bytes], topic: str, *, checked: bool) -> float:
    started = time.perf_counter()
    for wire in wires:
        if checked:
            checked_envelope(wire, topic)
        else:
            EventEnvelope.from_wire(wire)
    await asyncio.sleep(0)
    return len(wires) / (time.perf_counter() - started)


async def run(env: Env, params: SecurityParams, log: Callable[[str], None] = print) -> BenchResult:
    started = time.perf_counter()
    topic = topic_for(STREAM_TYPE)
    envelopes = _envelopes(max(params.events, params.check_events))
    messages = [(topic, e.to_wire(), e.stream_id.encode()) for e in envelopes[: params.events]]
    async with two_listener_broker() as (plain, sasl):
        admin = AIOKafkaAdminClient(bootstrap_servers=plain)
        await admin.start()
        try:
            await admin.create_topics([NewTopic(topic, 6, 1)])
        finally:
            await admin.close()
        await asyncio.sleep(1)  # leaders elected
        scram = KafkaSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", USER, PASSWORD)
        sasl_rounds, plain_rounds = await paired_rounds(
            params.rounds,
            lambda r: _produce(sasl, scram, messages, params.batch),
            lambda r: _produce(plain, KafkaSecurity("PLAINTEXT"), messages, params.batch),
            log,
            "security.sasl",
        )
    wires = [e.to_wire() for e in envelopes[: params.check_events]]
    checked_rounds, bare_rounds = await paired_rounds(
        params.rounds,
        lambda r: _decode_rate(wires, topic, checked=True),
        lambda r: _decode_rate(wires, topic, checked=False),
        log,
        "security.checks",
    )
    return BenchResult(
        name="security",
        title="Authentication and consumer checks",
        params=params_dict(params),
        metrics=[
            Metric(
                key="sasl",
                label=f"producer over SASL/SCRAM-SHA-512, {len(messages):,} envelopes",
                unit="events/s",
                subject_rounds=sasl_rounds,
                baseline_rounds=plain_rounds,
                baseline_label="same producer and messages over PLAINTEXT, same broker",
            ),
            Metric(
                key="checks",
                label=f"decode + inbound checks, {len(wires):,} envelopes",
                unit="events/s",
                subject_rounds=checked_rounds,
                baseline_rounds=bare_rounds,
                baseline_label="decode only (EventEnvelope.from_wire)",
            ),
        ],
        info={"events": len(messages), "check_events": len(wires)},
        seconds=time.perf_counter() - started,
    )
