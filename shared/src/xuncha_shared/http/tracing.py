"""Request tracing, metrics and the access log: :class:`TraceMiddleware` (pure ASGI) opens one
``SERVER`` span per request, continuing an incoming ``traceparent``, current while the handler
runs (event appends become its children); the response carries ``X-Trace-Id``. Every request
is counted by route template and status with its latency, and logged as one ``access`` line
(method, route, status, duration, trace id, principal id; never the path's values, a query
string, a token or a body). An exception that escapes the app is logged once and answered with
a generic 500 problem (a 503 when a dependency is unavailable).
"""

from __future__ import annotations

import contextlib
import logging
import time
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xuncha_shared.failures import dependency_unavailable
from xuncha_shared.http.responses import (
    RETRY_AFTER_S,
    TYPE_INTERNAL,
    TYPE_UNAVAILABLE,
    problem_response,
)
from xuncha_shared.metrics import HTTP_DURATION, HTTP_REQUESTS
from xuncha_shared.telemetry import context_from_traceparent

log = logging.getLogger("xuncha.http")
access_log = logging.getLogger("xuncha.access")


class TraceMiddleware:
    """One ``SERVER`` span per HTTP request; unhandled errors become a 500 problem here.

    It sits inside Starlette's ``ServerErrorMiddleware``, so an exception that escapes the app is
    caught, logged once with its traceback (with the request's trace id) and answered with a
    generic problem, instead of reaching the server's own error log.
    """

    def __init__(
        self,
        app: ASGIApp,
        tracer_provider: TracerProvider | None = None,
        service: str = "",
        access: bool = True,
    ) -> None:
        self.app = app
        self._tracer = trace.get_tracer("xuncha.http", tracer_provider=tracer_provider)
        self.service = service
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method: str = scope["method"]
        path: str = scope["path"]
        traceparent = tracestate = None
        for key, value in scope.get("headers") or ():
            if key == b"traceparent":
                traceparent = value.decode("latin-1")
            elif key == b"tracestate":
                tracestate = value.decode("latin-1")
        parent = context_from_traceparent(traceparent, tracestate)
        started = time.perf_counter()
        with self._tracer.start_as_current_span(
            f"HTTP {method}",
            context=parent,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method, "url.path": path},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            span_ctx = span.get_span_context()
            trace_header = format(span_ctx.trace_id, "032x").encode() if span_ctx.is_valid else b""
            status_code: int | None = None

            async def send_with_trace(message: Message) -> None:
                nonlocal status_code
                if message["type"] == "http.response.start":
                    status_code = int(message["status"])
                    if trace_header:
                        headers = [*message.get("headers", ()), (b"x-trace-id", trace_header)]
                        message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, receive, send_with_trace)
            except Exception as exc:
                span.record_exception(exc)
                span.set_status(Status(StatusCode.ERROR, type(exc).__name__))
                if dependency_unavailable(exc):
                    answer = "503" if status_code is None else f"its {status_code} cut short"
                    log.warning("%s %s: dependency unavailable: %r (%s)", method, path, exc, answer)
                else:
                    log.exception("unhandled error in %s %s", method, path)
                if status_code is not None:  # the response already started: nothing to send
                    raise
                if dependency_unavailable(exc):
                    await problem_response(
                        503,
                        title="Service Unavailable",
                        detail="数据库暂时不可用，请稍后重试 / a dependency (the database) is "
                        "unavailable or restarting; try again shortly",
                        type_=TYPE_UNAVAILABLE,
                        instance=path,
                        headers={"Retry-After": str(RETRY_AFTER_S)},
                    )(scope, receive, send_with_trace)
                    return
                await problem_response(
                    500,
                    title="Internal Server Error",
                    detail="an unexpected error occurred; quote the trace id when reporting it",
                    type_=TYPE_INTERNAL,
                    instance=path,
                )(scope, receive, send_with_trace)
            finally:
                route_path = getattr(scope.get("route"), "path", None)
                if isinstance(route_path, str):
                    span.update_name(f"HTTP {method} {route_path}")
                    span.set_attribute("http.route", route_path)
                if status_code is not None:
                    span.set_attribute("http.response.status_code", status_code)
                    if status_code >= 500:
                        span.set_status(Status(StatusCode.ERROR))
                self._record(scope, method, route_path, status_code, started)

    def _record(
        self,
        scope: Scope,
        method: str,
        route_path: object,
        status_code: int | None,
        started: float,
    ) -> None:
        """Count the request and write its access line (inside the span: it has the trace id).

        The route is the template (``/api/v1/petitions/{petition_id}``), never the path's
        values; requests that matched no route count as ``unmatched``."""
        duration = time.perf_counter() - started
        route = route_path if isinstance(route_path, str) else _route_template(scope)
        status = str(status_code) if status_code is not None else "none"
        labels = {"service": self.service, "method": method, "route": route, "status": status}
        HTTP_REQUESTS.add(1, labels)
        HTTP_DURATION.record(duration, labels)
        if not self.access or route in _QUIET_ROUTES:
            return
        principal = (scope.get("state") or {}).get("principal")
        fields: dict[str, Any] = {
            "method": method,
            "route": route,
            "status": status_code,
            "duration_ms": round(duration * 1000, 2),
            "principal_id": getattr(principal, "id", None),
        }
        if (caller := _caller_correlation(scope)) is not None:
            fields["caller_correlation_id"] = caller
        access_log.info("access", extra=fields)


def _route_template(scope: Scope) -> str:
    """The template of the route a request refused at the door (401, 429, 413) would have
    reached; ``unmatched`` when none would (or the router cannot tell)."""
    path: str = scope.get("path", "")
    method: str = scope.get("method", "")
    partial: str | None = None
    for regex, template, methods in _flat_routes(getattr(scope.get("app"), "routes", ())):
        if regex.match(path):
            if not methods or method in methods or (method == "HEAD" and "GET" in methods):
                return template
            partial = partial or template
    return partial or "unmatched"


def _flat_routes(routes: Any) -> list[tuple[Any, str, frozenset[str]]]:
    """(path regex, template, methods) of every route, included routers' routes too (FastAPI
    keeps those in ``effective_candidates``)."""
    out: list[tuple[Any, str, frozenset[str]]] = []
    for route in routes or ():
        regex = getattr(route, "path_regex", None)
        template = getattr(route, "path_format", None) or getattr(route, "path", None)
        if regex is not None and isinstance(template, str):
            out.append((regex, template, frozenset(getattr(route, "methods", None) or ())))
            continue
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            with contextlib.suppress(Exception):
                out.extend(_flat_routes(candidates()))
    return out


#: probes and scrapes, every few seconds: counted, not logged
_QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def _caller_correlation(scope: Scope) -> str | None:
    for key, value in scope.get("headers") or ():
        if key == b"x-correlation-id":
            text = value.decode("latin-1")[:64]
            return text if text.isprintable() else None
    return None
