"""Kafka consumers of the intake service.

``intake.receipt-status`` follows the clues service's clue topic and moves each receipt's public
status forward (registered → escalated → transferred). The inbox row and the receipt update
share one transaction, so a redelivered event changes nothing.
"""

from __future__ import annotations

from faststream.kafka import KafkaBroker
from xuncha_shared.consumer import InboxConsumer, broker_dead_letter_sink, subscribe
from xuncha_shared.contracts.topics import topic_for
from xuncha_shared.runtime import ServiceContext

from xuncha_intake.adapters.receipts import SqlReceipts
from xuncha_intake.handlers import RECEIPT_STATUS_CONSUMER, receipt_status_handler


def build_consumers(broker: KafkaBroker, ctx: ServiceContext) -> None:
    consumer = InboxConsumer(
        name=RECEIPT_STATUS_CONSUMER,
        pool=ctx.pool,
        registry=ctx.registry,
        handler=receipt_status_handler(SqlReceipts(ctx.pool)),
        dead_letter=broker_dead_letter_sink(broker),
    )
    ctx.extras["receipt_status_consumer"] = consumer
    subscribe(
        broker,
        [topic_for("clue", ctx.settings.topic_prefix)],
        consumer,
        group_prefix=ctx.settings.topic_prefix,
    )
