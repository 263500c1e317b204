"""Tracing: one OpenTelemetry provider per process and W3C trace-context propagation.

One command is one trace, from the HTTP request to the last consumer that reacts to its events:

1. **HTTP request span** (``SERVER``): :class:`xuncha_shared.http.tracing.TraceMiddleware`
   continues an incoming ``traceparent`` header (or starts a trace) and makes the span current for
   the handler.
2. **append span** (``INTERNAL``, child of 1): the event store appends inside it and stores
   :func:`current_traceparent` in each envelope's ``traceparent`` field (transport metadata, not
   hashed). The trace context thus survives the commit, however long the relay takes.
3. **relay publish span** (``PRODUCER``): the relay opens it with
   ``span_from_traceparent(f"{topic} publish", envelope.traceparent, SpanKind.PRODUCER)`` -- a
   child of the context parsed from the envelope, not of the relay's own loop -- and sends the
   message with a ``traceparent`` Kafka header naming that span
   (:func:`kafka_headers_with_trace`, or ``current_traceparent()``).
4. **consumer span** (``CONSUMER``): FastStream's ``KafkaTelemetryMiddleware``
   (:func:`kafka_telemetry_middleware`) extracts the W3C ``traceparent`` (and ``tracestate``)
   *Kafka header* with ``TraceContextTextMapPropagator`` and opens ``"{topic} process"`` as its
   child; the handler runs with that span current.
5. **handler spans**: whatever the handler opens with :func:`tracer` (appends of its own follow
   step 2 again, so the chain goes on across services).

How FastStream 0.7.8 carries the context (read from ``faststream/opentelemetry/middleware.py``):

* the header is the plain W3C name ``traceparent`` (``tracestate`` when there is one); FastStream's
  Kafka parser decodes every header to ``str`` before the propagator reads it;
* on *consume*, a message without a valid ``traceparent`` gets a fresh ``"{topic} create"`` root
  span, so every handler has a trace;
* on *publish through a FastStream broker* with the middleware, FastStream opens its own
  ``"{topic} create"``/``"{topic} publish"`` producer spans as children of the current context and
  **overwrites** any ``traceparent`` header the caller set (inside a handler it propagates the
  consumer's origin context). Publish inside the right span (step 3) and the trace id is kept.
  The relay sends with a plain aiokafka producer, where nothing is overwritten.
* batch subscribers get no parent: the process span starts a new trace with *links* to each
  message's span.

The provider is global and installed once: later calls of :func:`setup_telemetry` only swap the
exporter behind it (tracers created earlier keep working), so the ``service.name`` of the first
call stays for the life of the process. ``"memory"`` keeps finished spans for tests
(:func:`memory_exporter`); :func:`reset_for_tests` clears them and goes back to ``"none"``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace import Span as SdkSpan
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
)
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from opentelemetry.util.types import Attributes

if TYPE_CHECKING:
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

__all__ = [
    "EXPORTERS",
    "TRACEPARENT_HEADER",
    "TRACESTATE_HEADER",
    "KafkaHeaders",
    "attach_kafka_context",
    "context_from_traceparent",
    "current_trace_ids",
    "current_traceparent",
    "extract_from_kafka_headers",
    "kafka_headers_with_trace",
    "kafka_telemetry_middleware",
    "memory_exporter",
    "reset_for_tests",
    "setup_telemetry",
    "span_from_traceparent",
    "trace_id_of",
    "tracer",
    "tracer_provider",
]

log = logging.getLogger("xuncha.telemetry")

EXPORTERS: tuple[str, ...] = ("none", "console", "otlp", "memory")
TRACEPARENT_HEADER = "traceparent"
TRACESTATE_HEADER = "tracestate"

_PROPAGATOR = TraceContextTextMapPropagator()
_lock = threading.Lock()


class _SwitchableSpanProcessor(SpanProcessor):
    """The provider's only processor; forwards to the exporter chosen by the latest set-up."""

    def __init__(self) -> None:
        self.delegate: SpanProcessor | None = None

    def swap(self, delegate: SpanProcessor | None) -> None:
        old, self.delegate = self.delegate, delegate
        if old is not None:
            old.shutdown()

    def on_start(self, span: SdkSpan, parent_context: Context | None = None) -> None:
        if (delegate := self.delegate) is not None:
            delegate.on_start(span, parent_context=parent_context)

    def _on_ending(self, span: SdkSpan) -> None:
        if (delegate := self.delegate) is not None:
            delegate._on_ending(span)

    def on_end(self, span: ReadableSpan) -> None:
        if (delegate := self.delegate) is not None:
            delegate.on_end(span)

    def shutdown(self) -> None:
        self.swap(None)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        delegate = self.delegate
        return delegate.force_flush(timeout_millis) if delegate is not None else True


class _State:
    provider: TracerProvider | None = None
    processor: _SwitchableSpanProcessor | None = None
    exporter: str | None = None
    memory: InMemorySpanExporter | None = None


def _make_processor(exporter: str) -> tuple[SpanProcessor | None, InMemorySpanExporter | None]:
    if exporter == "none":
        return None, None
    if exporter == "console":
        # one JSON object per line, like the logs (the default formatter indents over lines)
        exporter_ = ConsoleSpanExporter(formatter=lambda span: span.to_json(indent=None) + "\n")
        return SimpleSpanProcessor(exporter_), None
    if exporter == "memory":
        memory = InMemorySpanExporter()
        return SimpleSpanProcessor(memory), memory
    if exporter == "otlp":
        # endpoint, headers and timeout come from the standard OTEL_EXPORTER_OTLP_* variables
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return BatchSpanProcessor(OTLPSpanExporter()), None
    raise ValueError(f"unknown OpenTelemetry exporter {exporter!r}; expected one of {EXPORTERS}")


def setup_telemetry(service_name: str, exporter: str | None = None) -> TracerProvider:
    """Install (once) the global tracer provider and select its exporter.

    ``exporter`` defaults to ``Settings().otel_exporter`` (``XUNCHA_OTEL_EXPORTER``): ``none``
    (spans and ids still generated, so logs carry trace ids; nothing exported), ``console``,
    ``otlp`` (OTLP over HTTP to ``OTEL_EXPORTER_OTLP_ENDPOINT``) or ``memory`` (tests; see
    :func:`memory_exporter`). Calling it again is safe: the same provider is returned, with the
    exporter switched if a different one was asked for.
    """
    if exporter is None:
        from xuncha_shared.settings import Settings

        exporter = Settings().otel_exporter
    exporter = exporter.strip().lower() or "none"
    if exporter not in EXPORTERS:
        raise ValueError(
            f"unknown OpenTelemetry exporter {exporter!r}; expected one of {EXPORTERS}"
        )
    with _lock:
        if _State.provider is None or _State.processor is None:
            resource = Resource.create({"service.name": f"xuncha-{service_name}"})
            processor = _SwitchableSpanProcessor()
            provider = TracerProvider(resource=resource)
            provider.add_span_processor(processor)
            trace.set_tracer_provider(provider)
            if trace.get_tracer_provider() is not provider:
                log.warning("a global tracer provider was already set; xuncha's is not global")
            _State.provider, _State.processor = provider, processor
        elif _State.exporter == exporter:
            return _State.provider
        delegate, memory = _make_processor(exporter)
        _State.processor.swap(delegate)
        _State.exporter, _State.memory = exporter, memory
        return _State.provider


def tracer_provider() -> TracerProvider | None:
    """The provider installed by :func:`setup_telemetry`, if any."""
    return _State.provider


def memory_exporter() -> InMemorySpanExporter:
    """The in-memory exporter of a ``setup_telemetry(..., "memory")`` process (tests)."""
    if _State.memory is None:
        raise RuntimeError('telemetry is not set up with the "memory" exporter')
    return _State.memory


def reset_for_tests() -> None:
    """Drop collected spans and go back to exporting nothing (the provider stays installed)."""
    with _lock:
        if _State.processor is not None:
            _State.processor.swap(None)
        _State.exporter, _State.memory = "none", None


def tracer(name: str = "xuncha") -> Tracer:
    """A tracer of the global provider (a proxy until :func:`setup_telemetry` ran)."""
    return trace.get_tracer(name)


# --- W3C trace context ----------------------------------------------------------------------


def current_traceparent(ctx: Context | None = None) -> str | None:
    """The current span (or ``ctx``'s) as a W3C ``traceparent`` string, ``None`` outside one."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=ctx)
    return carrier.get(TRACEPARENT_HEADER)


def context_from_traceparent(traceparent: str | None, tracestate: str | None = None) -> Context:
    """A context whose remote parent is ``traceparent``; empty (a new root) if absent/invalid."""
    if not traceparent:
        return Context()
    carrier = {TRACEPARENT_HEADER: traceparent}
    if tracestate:
        carrier[TRACESTATE_HEADER] = tracestate
    return _PROPAGATOR.extract(carrier, context=Context())


def trace_id_of(traceparent: str | None) -> str | None:
    """The 32-hex trace id of a valid ``traceparent``."""
    span_ctx = trace.get_current_span(context_from_traceparent(traceparent)).get_span_context()
    return format(span_ctx.trace_id, "032x") if span_ctx.is_valid else None


def current_trace_ids() -> tuple[str, str] | None:
    """(trace_id, span_id) of the current span as hex, ``None`` when there is no valid span."""
    span_ctx = trace.get_current_span().get_span_context()
    if not span_ctx.is_valid:
        return None
    return format(span_ctx.trace_id, "032x"), format(span_ctx.span_id, "016x")


@contextmanager
def span_from_traceparent(
    name: str,
    traceparent: str | None,
    kind: SpanKind = SpanKind.INTERNAL,
    *,
    attributes: Attributes = None,
    tracer_: Tracer | None = None,
) -> Iterator[Span]:
    """Open a current span whose parent is ``traceparent`` (not the ambient context).

    Without a (valid) ``traceparent`` the span starts a new trace.
    """
    parent = context_from_traceparent(traceparent)
    with (tracer_ or tracer("xuncha")).start_as_current_span(
        name, context=parent, kind=kind, attributes=attributes
    ) as span:
        yield span


# --- Kafka headers --------------------------------------------------------------------------

KafkaHeaders = Mapping[str, bytes | str] | Iterable[tuple[str, bytes | str]]


def kafka_headers_with_trace(
    headers: KafkaHeaders | None = None, ctx: Context | None = None
) -> list[tuple[str, bytes]]:
    """``headers`` as aiokafka's list of pairs, plus ``traceparent`` (and ``tracestate``) of the
    current span or ``ctx``; any trace headers already there are replaced."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier, context=ctx)
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    out = [
        (key, value.encode() if isinstance(value, str) else bytes(value))
        for key, value in items
        if key not in (TRACEPARENT_HEADER, TRACESTATE_HEADER)
    ]
    out.extend((key, value.encode()) for key, value in carrier.items())
    return out


def extract_from_kafka_headers(headers: KafkaHeaders | None) -> Context:
    """The trace context carried by Kafka headers (aiokafka pairs or FastStream's ``str`` dict);
    an empty context when they carry none."""
    items = headers.items() if isinstance(headers, Mapping) else (headers or ())
    carrier: dict[str, str] = {}
    for key, value in items:
        if key in (TRACEPARENT_HEADER, TRACESTATE_HEADER):
            carrier[key] = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return _PROPAGATOR.extract(carrier, context=Context())


def attach_kafka_context(headers: KafkaHeaders | None) -> object:
    """Make the headers' context current (for consumers outside FastStream); returns the token
    for ``opentelemetry.context.detach``."""
    return otel_context.attach(extract_from_kafka_headers(headers))


def kafka_telemetry_middleware(
    provider: TracerProvider | None = None,
) -> KafkaTelemetryMiddleware:
    """FastStream's Kafka tracing middleware bound to ``provider`` (default: the global one).

    Pass it as ``KafkaBroker(..., middlewares=[kafka_telemetry_middleware()])``. Messages counters
    go to the global meter provider (a no-op unless one is configured).
    """
    from faststream.kafka.opentelemetry import KafkaTelemetryMiddleware

    return KafkaTelemetryMiddleware(tracer_provider=provider or _State.provider)
