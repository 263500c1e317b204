"""Telemetry: provider set-up, W3C propagation helpers, FastStream consumer spans, JSON logs."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from faststream.kafka import KafkaBroker
from faststream.kafka.testing import TestKafkaBroker
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from xuncha_shared.logs import JsonFormatter, configure_logging
from xuncha_shared.telemetry import (
    context_from_traceparent,
    current_trace_ids,
    current_traceparent,
    extract_from_kafka_headers,
    kafka_headers_with_trace,
    kafka_telemetry_middleware,
    memory_exporter,
    reset_for_tests,
    setup_telemetry,
    span_from_traceparent,
    trace_id_of,
    tracer,
    tracer_provider,
)

pytestmark = pytest.mark.unit

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TP = f"00-{TRACE_ID}-{PARENT_ID}-01"


@pytest.fixture(autouse=True)
def _no_exporter_afterwards() -> Iterator[None]:
    yield
    reset_for_tests()


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    setup_telemetry("test", "memory")
    exporter = memory_exporter()
    exporter.clear()
    yield exporter
    reset_for_tests()  # back to exporting nothing, spans dropped


def _hex_trace(span: Any) -> str:
    return format(span.context.trace_id, "032x")


def _hex_span(span_id: int) -> str:
    return format(span_id, "016x")


# --- provider ---------------------------------------------------------------------------------


def test_setup_is_idempotent_and_switches_exporters() -> None:
    reset_for_tests()
    first = setup_telemetry("test", "memory")
    assert setup_telemetry("test", "memory") is first
    assert trace.get_tracer_provider() is first
    assert tracer_provider() is first
    assert str(first.resource.attributes["service.name"]).startswith("xuncha-")

    exporter = memory_exporter()
    with tracer("t").start_as_current_span("kept") as kept:
        assert kept.is_recording()
    assert [s.name for s in exporter.get_finished_spans()] == ["kept"]

    # "none" still makes valid ids (logs carry them) but exports nothing
    assert setup_telemetry("test", "none") is first
    with pytest.raises(RuntimeError):
        memory_exporter()
    with tracer("t").start_as_current_span("dropped"):
        assert current_trace_ids() is not None
    assert [s.name for s in exporter.get_finished_spans()] == ["kept"]

    setup_telemetry("test", "memory")
    reset_for_tests()
    with pytest.raises(RuntimeError):
        memory_exporter()


def test_setup_reads_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUNCHA_OTEL_EXPORTER", "memory")
    setup_telemetry("test")
    assert isinstance(memory_exporter(), InMemorySpanExporter)


def test_unknown_exporter_is_refused() -> None:
    with pytest.raises(ValueError, match="jaeger"):
        setup_telemetry("test", "jaeger")


def test_console_exporter_can_be_selected() -> None:
    provider = setup_telemetry("test", "console")
    assert setup_telemetry("test", "memory") is provider


# --- W3C propagation --------------------------------------------------------------------------


def test_current_traceparent_outside_and_inside_a_span(spans: InMemorySpanExporter) -> None:
    assert current_traceparent() is None
    with tracer("t").start_as_current_span("s") as span:
        tp = current_traceparent()
        assert tp is not None
        version, trace_id, span_id, flags = tp.split("-")
        assert version == "00"
        assert int(flags, 16) & 1  # sampled (the SDK also sets W3C level 2's "random" bit)
        assert trace_id == format(span.get_span_context().trace_id, "032x")
        assert span_id == format(span.get_span_context().span_id, "016x")
        assert trace_id_of(tp) == trace_id
        assert current_trace_ids() == (trace_id, span_id)
    assert current_trace_ids() is None


def test_span_from_traceparent_continues_the_trace(spans: InMemorySpanExporter) -> None:
    with (
        tracer("t").start_as_current_span("unrelated ambient span"),
        span_from_traceparent("topic publish", TP, SpanKind.PRODUCER) as span,
    ):
        assert trace_id_of(current_traceparent()) == TRACE_ID
    finished = next(s for s in spans.get_finished_spans() if s.name == "topic publish")
    assert finished is not None
    assert span.get_span_context().trace_id == int(TRACE_ID, 16)
    assert finished.kind is SpanKind.PRODUCER
    assert finished.parent is not None
    assert _hex_span(finished.parent.span_id) == PARENT_ID
    assert finished.parent.is_remote


@pytest.mark.parametrize("bad", [None, "", "garbage", "00-" + "0" * 32 + "-" + "0" * 16 + "-01"])
def test_missing_or_invalid_traceparent_starts_a_new_trace(
    spans: InMemorySpanExporter, bad: str | None
) -> None:
    assert len(context_from_traceparent(bad)) == 0
    assert trace_id_of(bad) is None
    with span_from_traceparent("root", bad) as root_span:
        assert trace.get_current_span() is root_span
    (root,) = spans.get_finished_spans()
    assert root.parent is None
    assert root.context.trace_id != 0


def test_kafka_headers_round_trip(spans: InMemorySpanExporter) -> None:
    stale = "00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    with span_from_traceparent("publish", TP, SpanKind.PRODUCER) as span:
        headers = kafka_headers_with_trace({"event_id": b"e-1", "traceparent": stale.encode()})
        own = current_traceparent()
    assert ("event_id", b"e-1") in headers
    assert [v for k, v in headers if k == "traceparent"] == [own.encode() if own else b""]
    ctx = extract_from_kafka_headers(headers)
    parent = trace.get_current_span(ctx).get_span_context()
    assert parent.trace_id == int(TRACE_ID, 16)
    assert parent.span_id == span.get_span_context().span_id

    # FastStream hands headers over as a dict of str
    as_str = {k: v.decode() for k, v in headers}
    assert trace.get_current_span(extract_from_kafka_headers(as_str)).get_span_context() == parent
    assert len(extract_from_kafka_headers([("event_id", b"x")])) == 0
    assert len(extract_from_kafka_headers(None)) == 0
    # outside any span nothing is added, and list input works too
    assert kafka_headers_with_trace([("a", "b")]) == [("a", b"b")]


# --- FastStream ---------------------------------------------------------------------------------


def _record(topic: str, headers: list[tuple[str, bytes]], value: bytes = b'{"n": 1}') -> Any:
    """A record exactly as aiokafka delivers what the relay sent."""
    return ConsumerRecord(
        topic=topic,
        partition=0,
        offset=0,
        timestamp=0,
        timestamp_type=0,
        key=b"stream-1",
        value=value,
        checksum=None,
        serialized_key_size=8,
        serialized_value_size=len(value),
        headers=headers,
    )


def _broker(provider: Any) -> KafkaBroker:
    return KafkaBroker(
        "localhost:9092",
        middlewares=[kafka_telemetry_middleware(provider)],
        logger=logging.getLogger("test.faststream"),
    )


async def test_consumer_span_continues_the_relay_header(spans: InMemorySpanExporter) -> None:
    """The relay writes a ``traceparent`` Kafka header (plain aiokafka producer); FastStream's
    middleware makes the consumer span its child, current while the handler runs."""
    broker = _broker(tracer_provider())
    seen: dict[str, Any] = {}
    subscriber = broker.subscriber("t.cases", group_id="g")

    @subscriber
    async def handle(body: dict[str, int]) -> None:
        seen["ids"] = current_trace_ids()
        seen["tp"] = current_traceparent()
        with tracer("handler").start_as_current_span("handler work") as work:
            seen["work_trace_id"] = work.get_span_context().trace_id

    with span_from_traceparent("t.cases publish", TP, SpanKind.PRODUCER) as publish_span:
        headers = kafka_headers_with_trace({"event_id": b"e-1"})

    async with TestKafkaBroker(broker):
        await subscriber.process_message(_record("t.cases", headers))

    finished = {s.name: s for s in spans.get_finished_spans()}
    consumer = finished["t.cases process"]
    assert consumer.kind is SpanKind.CONSUMER
    assert _hex_trace(consumer) == TRACE_ID
    assert consumer.parent is not None
    assert consumer.parent.span_id == publish_span.get_span_context().span_id
    assert seen["ids"] == (TRACE_ID, _hex_span(consumer.context.span_id))
    assert trace_id_of(seen["tp"]) == TRACE_ID
    work = finished["handler work"]
    assert work.parent is not None
    assert work.parent.span_id == consumer.context.span_id
    assert seen["work_trace_id"] == consumer.context.trace_id  # the handler's span joined it


async def test_publish_through_faststream_inside_the_relay_span(
    spans: InMemorySpanExporter,
) -> None:
    """Publishing through a FastStream broker overwrites ``traceparent`` with its own producer
    span -- a child of the current one, so the trace id survives."""
    broker = _broker(tracer_provider())
    seen: dict[str, Any] = {}

    @broker.subscriber("t.clues", group_id="g")
    async def handle(body: dict[str, int]) -> None:
        seen["ids"] = current_trace_ids()

    async with TestKafkaBroker(broker):
        with span_from_traceparent("relay publish", TP, SpanKind.PRODUCER):
            await broker.publish({"n": 1}, "t.clues", headers={"traceparent": "bogus"})

    finished = {s.name: s for s in spans.get_finished_spans()}
    assert _hex_trace(finished["t.clues publish"]) == TRACE_ID
    assert _hex_trace(finished["t.clues process"]) == TRACE_ID
    assert seen["ids"][0] == TRACE_ID


async def test_message_without_header_gets_a_new_trace(spans: InMemorySpanExporter) -> None:
    broker = _broker(tracer_provider())
    subscriber = broker.subscriber("t.plain", group_id="g")
    seen: dict[str, Any] = {}

    @subscriber
    async def handle(body: dict[str, int]) -> None:
        seen["ids"] = current_trace_ids()

    async with TestKafkaBroker(broker):
        await subscriber.process_message(_record("t.plain", [("event_id", b"e-2")]))

    consumer = next(s for s in spans.get_finished_spans() if s.name == "t.plain process")
    assert seen["ids"][0] == _hex_trace(consumer)
    assert _hex_trace(consumer) != TRACE_ID


# --- JSON logs ----------------------------------------------------------------------------------


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    stream = io.StringIO()
    handler = configure_logging("testsvc", "DEBUG", stream=stream)
    yield stream
    root.removeHandler(handler)
    root.handlers[:] = before[0]
    root.setLevel(before[1])


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line]


def test_json_log_lines_carry_trace_ids_and_extras(
    json_log: io.StringIO, spans: InMemorySpanExporter
) -> None:
    log = logging.getLogger("xuncha.test")
    log.info("outside %s", "span", extra={"event_id": "e-1", "stream_id": "case-1"})
    with tracer("t").start_as_current_span("s") as span:
        log.warning("inside", extra={"count": 3, "service": "clash", "obj": object()})
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")

    outside, inside, failed = _lines(json_log)
    assert outside["msg"] == "outside span"
    assert outside["level"] == "INFO"
    assert outside["logger"] == "xuncha.test"
    assert outside["service"] == "testsvc"
    assert outside["event_id"] == "e-1"
    assert outside["stream_id"] == "case-1"
    assert outside["ts"].endswith("+00:00")
    assert "trace_id" not in outside

    span_ctx = span.get_span_context()
    assert inside["trace_id"] == format(span_ctx.trace_id, "032x")
    assert inside["span_id"] == format(span_ctx.span_id, "016x")
    assert inside["count"] == 3
    assert inside["msg"] == "inside"
    assert inside["extra.service"] == "clash"
    assert inside["service"] == "testsvc"
    assert inside["obj"].startswith("<object")
    assert "ValueError: boom" in failed["exc_info"]
    assert "Traceback" in failed["exc_info"]


def test_configure_logging_is_idempotent(json_log: io.StringIO) -> None:
    stream = io.StringIO()
    handler = configure_logging("testsvc", "INFO", stream=stream)
    try:
        ours = [h for h in logging.getLogger().handlers if isinstance(h.formatter, JsonFormatter)]
        assert ours == [handler]
        assert logging.getLogger("aiokafka").level == logging.WARNING
        logging.getLogger("xuncha.test").debug("hidden")
        logging.getLogger("xuncha.test").info("shown")
        assert [line["msg"] for line in _lines(stream)] == ["shown"]
        assert json_log.getvalue() == ""
    finally:
        logging.getLogger().removeHandler(handler)
