"""``xuncha dlq``: inspect and replay dead letters (``<topic>.dlq``)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import typer
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import KafkaError

from xuncha_shared.cli.common import console, fail, run, settings
from xuncha_shared.contracts.topics import DLQ_SUFFIX, all_topics
from xuncha_shared.kafka import (
    client_options,
    client_security,
    header,
    make_producer,
    topic_partitions,
)

app = typer.Typer(help="Dead-letter topics.", no_args_is_help=True)

REPLAY_GROUP = "xuncha.dlq-replay"


@dataclass(frozen=True)
class DeadLetter:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    reason: str
    consumer: str
    original_topic: str
    event_id: str | None

    @classmethod
    def of(cls, record: ConsumerRecord) -> DeadLetter:
        h = record.headers
        return cls(
            topic=record.topic,
            partition=record.partition,
            offset=record.offset,
            timestamp_ms=record.timestamp,
            reason=header(h, "dlq_reason") or "",
            consumer=header(h, "dlq_consumer") or "",
            original_topic=header(h, "original_topic") or record.topic.removesuffix(DLQ_SUFFIX),
            event_id=header(h, "event_id"),
        )


def _dlq_topics(prefix: str, topic: str | None) -> list[str]:
    topics = [t for t in all_topics(prefix) if t.endswith(DLQ_SUFFIX)]
    if topic is None:
        return topics
    wanted = topic if topic.endswith(DLQ_SUFFIX) else topic + DLQ_SUFFIX
    if not wanted.startswith(prefix):
        wanted = prefix + wanted
    if wanted not in topics:
        raise fail(f"unknown topic {topic!r}; dead-letter topics: {', '.join(topics)}")
    return [wanted]


async def read_dead_letters(
    bootstrap: str, topics: list[str], *, group: str | None = None
) -> list[tuple[DeadLetter, ConsumerRecord]]:
    """Every record of ``topics`` from the start (or from ``group``'s committed offsets) up to
    the end offsets as of now."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        **client_options(),
        group_id=group,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    out: list[tuple[DeadLetter, ConsumerRecord]] = []
    try:
        partitions = [tp for t in topics for tp in await topic_partitions(consumer, t)]
        if not partitions:
            return out
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        if group is None:
            await consumer.seek_to_beginning(*partitions)
        remaining = {tp for tp in partitions if ends[tp] > await consumer.position(tp)}
        while remaining:
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < ends[tp]:
                        out.append((DeadLetter.of(record), record))
            for tp in list(remaining):
                if await consumer.position(tp) >= ends[tp]:
                    remaining.discard(tp)
        if group is not None:
            out.sort(key=lambda x: (x[1].topic, x[1].partition, x[1].offset))
        return out
    finally:
        await consumer.stop()


@app.command("list")
def list_(
    topic: str = typer.Option(None, "--topic", "-t", help="a topic (with or without .dlq)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """List dead letters with their reasons."""
    cfg = settings()
    topics = _dlq_topics(cfg.topic_prefix, topic)
    try:
        letters = run(read_dead_letters(cfg.kafka_bootstrap, topics))
    except KafkaError as exc:
        raise fail(f"cannot reach Kafka at {cfg.kafka_bootstrap}: {exc}") from None
    for dl, _ in letters:
        if as_json:
            console.print(json.dumps(dl.__dict__, ensure_ascii=False), markup=False)
        else:
            console.print(
                f"{dl.topic}[{dl.partition}]@{dl.offset} consumer={dl.consumer} "
                f"event={dl.event_id or '-'} reason={dl.reason}",
                markup=False,
                highlight=False,
            )
    if not as_json:
        console.print(f"{len(letters)} dead letter(s)")


@app.command()
def replay(
    topic: str = typer.Option(None, "--topic", "-t", help="a topic (with or without .dlq)"),
) -> None:
    """Send dead letters not replayed before back to their original topic.

    Progress is kept as the offsets of the consumer group ``xuncha.dlq-replay``, committed only
    after Kafka acknowledged the re-sent messages; consumers drop duplicates by event_id.
    """
    cfg = settings()
    topics = _dlq_topics(cfg.topic_prefix, topic)

    async def main() -> int:
        letters = await read_dead_letters(cfg.kafka_bootstrap, topics, group=REPLAY_GROUP)
        if not letters:
            return 0
        producer = make_producer(
            cfg.kafka_bootstrap, client_id="xuncha.dlq-replay", security=client_security(cfg)
        )
        await producer.start()
        try:
            futures = []
            for dl, record in letters:
                headers = [(k, v) for k, v in record.headers if not k.startswith("dlq_")]
                headers.append(("dlq_replayed_from", f"{dl.topic}@{dl.offset}".encode()))
                futures.append(
                    await producer.send(
                        dl.original_topic, value=record.value, key=record.key, headers=headers
                    )
                )
            for f in futures:
                await f
        finally:
            await producer.stop()
        committer = AIOKafkaConsumer(
            bootstrap_servers=cfg.kafka_bootstrap,
            **client_options(cfg),
            group_id=REPLAY_GROUP,
            enable_auto_commit=False,
        )
        await committer.start()
        try:
            last: dict[TopicPartition, int] = {}
            for _, record in letters:
                last[TopicPartition(record.topic, record.partition)] = record.offset + 1
            committer.assign(list(last))
            await committer.commit(last)
        finally:
            await committer.stop()
        return len(letters)

    try:
        count = run(main())
    except KafkaError as exc:
        raise fail(f"cannot reach Kafka at {cfg.kafka_bootstrap}: {exc}") from None
    console.print(f"replayed {count} dead letter(s)")
