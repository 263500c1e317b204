"""Metrics: one OpenTelemetry meter provider per process, read by Prometheus and (optionally) OTLP.

:func:`setup_metrics` installs (once) the global ``MeterProvider`` with a
``PrometheusMetricReader`` on a registry of our own, which ``GET /metrics`` renders in the
Prometheus text format (:func:`render`, served by :mod:`xuncha_shared.http.app`); with
``XUNCHA_OTEL_EXPORTER=otlp`` the same instruments are also pushed over OTLP/HTTP every
``OTEL_METRIC_EXPORT_INTERVAL`` ms (the standard ``OTEL_EXPORTER_OTLP_*`` variables apply).

The instruments (Prometheus names after the exporter's mapping; every one has a ``service``
label where the service is known):

| instrument | Prometheus | labels |
|---|---|---|
| HTTP requests | ``xuncha_http_requests_total`` | method, route (template), status |
| HTTP latency | ``xuncha_http_request_duration_seconds`` (histogram) | method, route, status |
| events appended | ``xuncha_events_appended_total`` | event_type |
| relay lag | ``xuncha_relay_lag_events`` (committed, not yet on Kafka) | |
| events published | ``xuncha_relay_published_total`` | |
| publish latency | ``xuncha_relay_publish_latency_seconds`` (commit → Kafka ack) | |
| consumer lag | ``xuncha_consumer_lag_messages`` | group, topic, partition |
| consumed | ``xuncha_consumer_handled_total`` | group, topic, outcome |
| redeliveries | ``xuncha_consumer_redeliveries_total`` | group, topic |
| dead letters | ``xuncha_dead_letters_total`` | group, topic (the original topic) |
| deadlines due | ``xuncha_deadlines_due`` (due, not yet fired) | |
| deadlines fired | ``xuncha_deadlines_fired_total`` | stage |
| identity reads | ``xuncha_informant_identity_reads_total`` | outcome |
| kept views | ``xuncha_view_cache_lookups_total`` | view, outcome (hit, stale, shared, computed) |
| database pool | ``xuncha_db_pool_connections`` | state (in_use, idle, max) |

Counters are recorded where the thing happens (an append is counted once its transaction
committed, see :func:`counting_appends`); the gauges that need a query (relay lag, consumer lag,
deadlines due) are sampled by :class:`Sampler` every ``XUNCHA_METRICS_INTERVAL_SECONDS`` and
read back by the scrape. Labels never hold a token, a principal id or informant data.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import threading
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation
from opentelemetry.sdk.metrics import (
    AlwaysOffExemplarFilter,
    AlwaysOnExemplarFilter,
    ExemplarFilter,
    MeterProvider,
    TraceBasedExemplarFilter,
)
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

__all__ = [
    "CONTENT_TYPE",
    "Sampler",
    "counting_appends",
    "record_appended",
    "render",
    "setup_metrics",
    "watch_pool",
    "write_textfile",
]

log = logging.getLogger("xuncha.metrics")

_lock = threading.Lock()
_meter = metrics.get_meter("xuncha")

#: latency buckets (seconds) for HTTP and publish latency: 2.5 ms … 30 s
LATENCY_BUCKETS = (
    0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
)  # fmt: skip


class _State:
    provider: MeterProvider | None = None
    registry: Any = None
    exporter: str | None = None


def setup_metrics(service_name: str, exporter: str | None = None) -> MeterProvider:
    """Install (once per process) the global meter provider: Prometheus always, OTLP as well
    when ``exporter`` (default ``XUNCHA_OTEL_EXPORTER``) is ``otlp``. Later calls return the
    provider of the first one."""
    if exporter is None:
        from xuncha_shared.settings import Settings

        exporter = Settings().otel_exporter
    exporter = (exporter or "none").strip().lower()
    with _lock:
        if _State.provider is not None:
            return _State.provider
        from opentelemetry.exporter.prometheus import PrometheusMetricReader
        from prometheus_client import CollectorRegistry

        registry = CollectorRegistry(auto_describe=True)
        prometheus = PrometheusMetricReader(registry=registry, scope_info_enabled=False)
        readers: list[MetricReader] = [prometheus]
        if exporter == "otlp":
            from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

            readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
        views = [
            View(
                instrument_name=name,
                aggregation=ExplicitBucketHistogramAggregation(LATENCY_BUCKETS),
            )
            for name in ("xuncha.http.request.duration", "xuncha.relay.publish.latency")
        ]
        provider = MeterProvider(
            metric_readers=readers,
            resource=Resource.create({"service.name": f"xuncha-{service_name}"}),
            views=views,
            exemplar_filter=_exemplar_filter(exporter),
        )
        metrics.set_meter_provider(provider)
        _State.provider, _State.registry, _State.exporter = provider, registry, exporter
        return provider


def _exemplar_filter(exporter: str) -> ExemplarFilter:
    """Exemplars (a sampled trace id kept beside a measurement) only where they can leave the
    process: the Prometheus text on ``/metrics`` carries none, so without OTLP they are not
    collected (their sampling costs a few per cent of a cheap request). With OTLP, the SDK's
    ``OTEL_METRICS_EXEMPLAR_FILTER`` (default ``trace_based``)."""
    if exporter != "otlp":
        return AlwaysOffExemplarFilter()
    choice = os.environ.get("OTEL_METRICS_EXEMPLAR_FILTER", "trace_based").strip().lower()
    return {"always_on": AlwaysOnExemplarFilter(), "always_off": AlwaysOffExemplarFilter()}.get(
        choice, TraceBasedExemplarFilter()
    )


CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def render(textfile_dir: str | Path | None = None) -> bytes:
    """Every metric of this process in the Prometheus text format (empty before set-up), then
    the ``*.prom`` files of ``textfile_dir`` (written by tools such as ``xuncha audit verify
    --metrics-file``; the node-exporter "textfile" convention)."""
    data = b""
    if _State.registry is not None:
        from prometheus_client import generate_latest

        data = generate_latest(_State.registry)
    if textfile_dir is not None:
        folder = Path(textfile_dir)
        for path in sorted(folder.glob("*.prom")) if folder.is_dir() else ():
            with contextlib.suppress(OSError):
                text = path.read_bytes()
                data += text if text.endswith(b"\n") or not text else text + b"\n"
    return data


def write_textfile(path: str | Path, gauges: Mapping[str, tuple[str, float]]) -> None:
    """Write ``{name: (help, value)}`` as Prometheus gauges to ``path`` atomically (a scrape
    never reads half a file)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for name, (help_, value) in gauges.items():
        lines += [f"# HELP {name} {help_}", f"# TYPE {name} gauge", f"{name} {value!r}"]
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.replace(tmp, target)


# --- instruments recorded where things happen ---------------------------------------------------

HTTP_REQUESTS = _meter.create_counter(
    "xuncha.http.requests", unit="", description="HTTP requests answered, by route and status"
)
HTTP_DURATION = _meter.create_histogram(
    "xuncha.http.request.duration", unit="s", description="HTTP request latency"
)
EVENTS_APPENDED = _meter.create_counter(
    "xuncha.events.appended", description="events committed to the service's store, by type"
)
RELAY_PUBLISHED = _meter.create_counter(
    "xuncha.relay.published", description="events the relay published (acknowledged by Kafka)"
)
RELAY_LATENCY = _meter.create_histogram(
    "xuncha.relay.publish.latency",
    unit="s",
    description="from an event's commit to Kafka's acknowledgement of it",
)
CONSUMER_HANDLED = _meter.create_counter(
    "xuncha.consumer.handled", description="messages handled by an inbox consumer, by outcome"
)
CONSUMER_REDELIVERIES = _meter.create_counter(
    "xuncha.consumer.redeliveries",
    description="messages delivered again (already in the inbox, or retried after a failure)",
)
DEAD_LETTERS = _meter.create_counter(
    "xuncha.dead_letters", description="messages sent to a dead-letter topic, by original topic"
)
DEADLINES_FIRED = _meter.create_counter(
    "xuncha.deadlines.fired", description="deadline stages fired as events"
)
VIEW_CACHE_LOOKUPS = _meter.create_counter(
    "xuncha.view_cache.lookups",
    description="views asked of a per-generation cache, by view and outcome (hit: kept; "
    "stale: kept, expired, while it is refreshed; shared: another request's computation; "
    "computed)",
)
IDENTITY_READS = _meter.create_counter(
    "xuncha.informant.identity_reads", description="informant identity reads, by outcome"
)

# --- sampled gauges --------------------------------------------------------------------------

#: gauge name -> {attributes (sorted pairs) -> value}; written by samplers, read by the scrape
_gauges: dict[str, dict[tuple[tuple[str, str], ...], float]] = {}
_pools: dict[str, Any] = {}


def set_gauge(name: str, value: float, **attributes: str) -> None:
    _gauges.setdefault(name, {})[tuple(sorted(attributes.items()))] = value


def clear_gauge(name: str, **match: str) -> None:
    """Forget the values of ``name`` whose attributes include ``match``."""
    values = _gauges.get(name, {})
    for key in [k for k in values if set(match.items()) <= set(k)]:
        del values[key]


def gauge_value(name: str, **attributes: str) -> float | None:
    return _gauges.get(name, {}).get(tuple(sorted(attributes.items())))


def _observe(name: str) -> Callable[[CallbackOptions], Iterable[Observation]]:
    def callback(options: CallbackOptions) -> Iterable[Observation]:
        return [Observation(v, dict(k)) for k, v in list(_gauges.get(name, {}).items())]

    return callback


def _observe_pools(options: CallbackOptions) -> Iterable[Observation]:
    out: list[Observation] = []
    for service, pool in list(_pools.items()):
        with contextlib.suppress(Exception):
            size, idle = pool.get_size(), pool.get_idle_size()
            out.append(Observation(size - idle, {"service": service, "state": "in_use"}))
            out.append(Observation(idle, {"service": service, "state": "idle"}))
            out.append(Observation(pool.get_max_size(), {"service": service, "state": "max"}))
    return out


_meter.create_observable_gauge(
    "xuncha.relay.lag_events",
    callbacks=[_observe("relay_lag")],
    description="events committed to the store but not yet acknowledged by Kafka",
)
_meter.create_observable_gauge(
    "xuncha.consumer.lag_messages",
    callbacks=[_observe("consumer_lag")],
    description="messages on a partition after the consumer group's committed offset",
)
_meter.create_observable_gauge(
    "xuncha.deadlines.due",
    callbacks=[_observe("deadlines_due")],
    description="deadline stages whose time has come and that have not fired yet",
)
_meter.create_observable_gauge(
    "xuncha.db.pool.connections",
    callbacks=[_observe_pools],
    description="database pool connections by state (in_use, idle, max)",
)


def watch_pool(service: str, pool: Any | None) -> None:
    """Report ``pool``'s use under ``service`` (``None`` stops reporting it)."""
    if pool is None:
        _pools.pop(service, None)
    else:
        _pools[service] = pool


# --- appends, counted once committed ----------------------------------------------------------

_pending: ContextVar[list[tuple[str, str]] | None] = ContextVar(
    "xuncha_pending_appends", default=None
)


def record_appended(service: str, event_types: Iterable[str]) -> None:
    """Count appended events: at once, or at the commit of the enclosing
    :func:`counting_appends` (a rolled-back transaction's events are not counted)."""
    pending = _pending.get()
    if pending is not None:
        pending.extend((service, t) for t in event_types)
        return
    _count_appended((service, t) for t in event_types)


def _count_appended(appended: Iterable[tuple[str, str]]) -> None:
    # one add per (service, type): a batch of a thousand events costs a few calls, not a thousand
    for (service, event_type), n in Counter(appended).items():
        EVENTS_APPENDED.add(n, {"service": service, "event_type": event_type})


@contextlib.contextmanager
def counting_appends() -> Iterator[None]:
    """Hold the counts of appends made inside until the block ends without an exception (wrap a
    transaction with it: ``async with pool.acquire() as conn, conn.transaction()``, inside)."""
    if _pending.get() is not None:  # nested: the outermost block counts
        yield
        return
    pending: list[tuple[str, str]] = []
    token = _pending.set(pending)
    try:
        yield
    finally:
        _pending.reset(token)
    _count_appended(pending)


# --- the sampler ----------------------------------------------------------------------------

SampleFn = Callable[[], Awaitable[None]]


class Sampler:
    """Runs sampling functions (queries for the gauges) every ``interval`` seconds; a failing
    one is logged at debug level and tried again next time."""

    def __init__(self, interval: float = 15.0) -> None:
        self.interval = interval
        self.samples: list[SampleFn] = []
        #: called once when ``run`` ends (clients a sampling function keeps open)
        self.closers: list[SampleFn] = []

    def add(self, fn: SampleFn) -> None:
        self.samples.append(fn)

    async def sample_once(self) -> None:
        for fn in self.samples:
            try:
                await fn()
            except Exception as exc:
                log.debug("metrics sample %s failed: %r", getattr(fn, "__name__", fn), exc)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                await self.sample_once()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval)
        finally:
            for close in self.closers:
                with contextlib.suppress(Exception):
                    await close()
