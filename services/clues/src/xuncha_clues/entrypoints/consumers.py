"""Kafka consumers of the clues service.

``clues.register-from-petitions`` follows intake's petition topic and registers one clue per
petition (deterministic id, inbox in the same transaction as the append).
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.runtime import ServiceContext

from xuncha_clues.handlers import REGISTER_CONSUMER, handlers_from_context, register_from_petitions


def build_consumers(broker: KafkaBroker, ctx: ServiceContext) -> None:
    consumer = InboxConsumer(
        name=REGISTER_CONSUMER,
        pool=ctx.pool,
        registry=ctx.registry,
        handler=register_from_petitions(handlers_from_context(ctx)),
        dead_letter=broker_dead_letter_sink(broker),
    )
    ctx.extras["register_consumer"] = consumer
    subscribe(
        broker,
        [topic_for("petition", ctx.settings.topic_prefix)],
        consumer,
        group_prefix=ctx.settings.topic_prefix,
    )
