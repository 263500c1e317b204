"""Counters that an alert or a dashboard takes ``increase()``/``rate()`` of exist at 0 from the
moment the thing that counts them exists. Prometheus sees no increase in a series whose first
sample is already 1, so `XunchaDeadLetters` (deploy/prometheus/rules.yml) would stay silent on a
process's first dead letter — which it did, until these series started at 0."""

from __future__ import annotations

import pytest
from faststream.kafka import KafkaRouter
from prometheus_client.parser import text_string_to_metric_families
from xuncha_shared import metrics
from xuncha_shared.clocks.deadlines import Clocks
from xuncha_shared.clocks.worker import DeadlineWorker
from xuncha_shared.consumer import InboxConsumer, subscribe

pytestmark = pytest.mark.unit


def _samples() -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(metrics.render().decode()):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


async def _sink(**_: object) -> None:
    return None


async def _nothing(*_: object) -> None:
    return None


def test_a_subscribed_consumer_counts_from_zero_on_each_topic() -> None:
    metrics.setup_metrics("test")
    consumer = InboxConsumer(
        name="zerotest.consumer", pool=None, registry=None, handler=_nothing, dead_letter=_sink
    )  # type: ignore[arg-type]
    subscribe(KafkaRouter(), ["zerotest.a.v1", "zerotest.b.v1"], consumer)
    samples = _samples()
    for topic in ("zerotest.a.v1", "zerotest.b.v1"):
        labels = {("group", "zerotest.consumer"), ("topic", topic)}
        assert samples[("xuncha_dead_letters_total", frozenset(labels))] == 0
        assert samples[("xuncha_consumer_redeliveries_total", frozenset(labels))] == 0
        handled = frozenset(labels | {("outcome", "processed")})
        assert samples[("xuncha_consumer_handled_total", handled)] == 0


def test_a_deadline_worker_counts_every_stage_from_zero() -> None:
    metrics.setup_metrics("test")
    DeadlineWorker(None, None, Clocks("zerotest"), [])  # type: ignore[arg-type]
    samples = _samples()
    for stage in ("yellow", "red", "overdue"):
        key = frozenset({("service", "zerotest"), ("stage", stage)})
        assert samples[("xuncha_deadlines_fired_total", key)] == 0
