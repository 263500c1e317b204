"""Kafka consumers of the reporting service: the projection of every service's events."""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.runtime import ServiceContext

from xuncha_reporting.adapters.projection_tables import ProjectionTables
from xuncha_reporting.handlers import projection_handler
from xuncha_reporting.settings import PROJECTION_CONSUMER, projection_topics


def build_consumers(broker: KafkaBroker, ctx: ServiceContext) -> None:
    """Subscribe the projection consumer (group ``reporting.projections``) to the petition,
    clue, issue and share topics; the inbox row and the projection update share one
    transaction, so a redelivered event changes nothing. It is kept in ``ctx.consumers``, as
    every inbox consumer is, so the service's sampler reports its lag."""
    consumer = InboxConsumer(
        name=PROJECTION_CONSUMER,
        pool=ctx.pool,
        registry=ctx.registry,
        handler=projection_handler(ProjectionTables()),
        dead_letter=broker_dead_letter_sink(broker),
    )
    ctx.consumers[PROJECTION_CONSUMER] = consumer
    subscribe(
        broker,
        projection_topics(ctx.settings.topic_prefix),
        consumer,
        group_prefix=ctx.settings.topic_prefix,
    )
