"""The HTTP app every service shares: app factory, problem responses, tracing, health.

* Every error is an RFC 9457 problem (``application/problem+json``) with ``type``, ``title``,
  ``status``, ``detail``, ``instance`` (the request path) and ``trace_id``; validation problems
  add ``errors`` (``[{"field": "body.jurisdiction", "msg": ..., "type": ...}]``). Unhandled
  exceptions become a generic 500 (logged with the traceback, which is never sent).
* :class:`TraceMiddleware` (pure ASGI) opens one ``SERVER`` span per request, continuing an
  incoming ``traceparent``, current while the handler runs (event appends become its children);
  the response carries ``X-Trace-Id``.
* :class:`~xuncha_shared.http.gate.GateMiddleware` checks the URL, authenticates (before the
  body is read), rate-limits and bounds the body (413) of every request.
* ``GET /healthz`` (liveness) and ``GET /readyz`` (the ``readiness`` checks; 503 when one fails).
* ``GET /metrics``: the process's metrics in the Prometheus text format
  (:mod:`xuncha_shared.metrics`), without a token from ``XUNCHA_METRICS_ALLOW`` (loopback by
  default) when no proxy forwarded the request, else with ``Authorization: Bearer
  $XUNCHA_METRICS_TOKEN``; every request is counted by route template and status with its
  latency, and logged as one ``access`` line (method, route, status, duration, trace id,
  principal id; never the path's values, a query string, a token or a body).
* Domain refusals (``xuncha_shared.domain.errors.DomainError``) raised by a route become the
  problem of their status (``xuncha_shared.http.problems.problem_of``).

Serving the app is :mod:`xuncha_shared.http.server`'s.
"""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from http import HTTPStatus
from typing import Any

import asyncpg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.telemetry import TelemetryConfig
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xuncha_shared.domain.errors import DomainError
from xuncha_shared.http.config import HttpSettings
from xuncha_shared.http.gate import GateMiddleware
from xuncha_shared.http.openapi import describe_problems
from xuncha_shared.http.problems import TYPE_VALIDATION, ProblemError, problem_of, problem_type
from xuncha_shared.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from xuncha_shared.metrics import HTTP_DURATION, HTTP_REQUESTS
from xuncha_shared.metrics import render as render_metrics
from xuncha_shared.telemetry import context_from_traceparent

__all__ = [
    "PROBLEM_CONTENT_TYPE",
    "ProblemResponse",
    "Readiness",
    "TraceMiddleware",
    "create_app",
    "problem_response",
]

log = logging.getLogger("xuncha.http")
access_log = logging.getLogger("xuncha.access")

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_MALFORMED = problem_type("malformed-json")
TYPE_INTERNAL = problem_type("internal-error")
TYPE_NOT_READY = problem_type("not-ready")
TYPE_UNAVAILABLE = problem_type("service-unavailable")

#: the database (or another dependency) is down, restarting or recovering: answered at once as
#: 503 with Retry-After (the client may try again), never as a 500 or a hang
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,  # connection refused or reset
    TimeoutError,
    asyncpg.exceptions.PostgresConnectionError,  # SQLSTATE class 08
    asyncpg.exceptions.OperatorInterventionError,  # class 57: shutdown, crash, recovery
    asyncpg.exceptions.ConnectionDoesNotExistError,  # the connection closed mid-query
)
RETRY_AFTER_S = 5


def dependency_unavailable(exc: BaseException) -> bool:
    """``exc`` (or what caused it) says a dependency is unreachable, not that the code failed."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, _UNAVAILABLE):
            return True
        # the connection died under the request (asyncpg reports a closed connection, or a
        # protocol left mid-operation by it, as a client-side error)
        if isinstance(current, asyncpg.exceptions.InterfaceError) and "closed" in str(current):
            return True
        if isinstance(current, asyncpg.exceptions.InternalClientError):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


Readiness = Callable[[], Awaitable[dict[str, bool]]]
Lifespan = Callable[[FastAPI], Any]


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_CONTENT_TYPE


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def _trace_id() -> str | None:
    span_ctx = trace.get_current_span().get_span_context()
    return format(span_ctx.trace_id, "032x") if span_ctx.is_valid else None


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str = "",
    type_: str = "about:blank",
    instance: str | None = None,
    headers: Mapping[str, str] | None = None,
    **extensions: Any,
) -> ProblemResponse:
    """An RFC 9457 problem response; ``extensions`` become extra members."""
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    if (trace_id := _trace_id()) is not None:
        body["trace_id"] = trace_id
    body.update(extensions)
    return ProblemResponse(
        jsonable_encoder(body), status_code=status, headers=dict(headers) if headers else None
    )


# --- error handlers -------------------------------------------------------------------------


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


async def _validation_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    raw = list(exc.errors())
    if any(err.get("type") == "json_invalid" for err in raw):
        first = next(err for err in raw if err.get("type") == "json_invalid")
        reason = (first.get("ctx") or {}).get("error") or "invalid JSON"
        loc = list(first.get("loc") or ())
        where = f" at position {loc[-1]}" if len(loc) > 1 else ""
        return problem_response(
            400,
            title="Malformed JSON body",
            detail=f"the request body is not valid JSON: {reason}{where}",
            type_=TYPE_MALFORMED,
            instance=request.url.path,
        )
    errors = [
        {
            "field": _field_path(err.get("loc") or ()),
            "msg": str(err.get("msg", "")),
            "type": str(err.get("type", "")),
        }
        for err in raw
    ]
    detail = "; ".join(f"{e['field']}: {e['msg']}" for e in errors)
    return problem_response(
        422,
        title="Validation failed",
        detail=detail,
        type_=TYPE_VALIDATION,
        instance=request.url.path,
        errors=errors,
    )


_DEFAULT_DETAILS: dict[int, str] = {
    404: "there is nothing at {path}",
    405: "{method} is not allowed on {path}",
}


async def _http_exception_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    phrase = _phrase(status)
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if not detail or detail == phrase:
        detail = _DEFAULT_DETAILS.get(status, "").format(
            path=request.url.path, method=request.method
        )
    headers = getattr(exc, "headers", None)
    if status in (204, 304) or status < 200:  # no body allowed
        return Response(status_code=status, headers=headers)
    return problem_response(
        status, title=phrase, detail=detail, instance=request.url.path, headers=headers
    )


async def _problem_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ProblemError)
    extensions = {k: v for k, v in exc.extra.items() if k not in _CORE_MEMBERS}
    return problem_response(
        exc.status,
        title=exc.title or _phrase(exc.status),
        detail=exc.detail,
        type_=exc.type,
        instance=request.url.path,
        headers=exc.headers,
        **extensions,
    )


async def _gate_refusal(scope: Scope, receive: Receive, send: Send, exc: ProblemError) -> None:
    """The problem response of a refusal at the door (``xuncha_shared.http.gate``)."""
    extensions = {k: v for k, v in exc.extra.items() if k not in _CORE_MEMBERS}
    response = problem_response(
        exc.status,
        title=exc.title or _phrase(exc.status),
        detail=exc.detail,
        type_=exc.type,
        instance=scope.get("path"),
        headers=exc.headers,
        **extensions,
    )
    await response(scope, receive, send)


async def _domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return await _problem_error_handler(request, problem_of(exc))


_CORE_MEMBERS = frozenset({"type", "type_", "title", "status", "detail", "instance", "headers"})


# --- tracing --------------------------------------------------------------------------------


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
                    log.warning("%s %s: dependency unavailable: %r (503)", method, path, exc)
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


# --- app factory ----------------------------------------------------------------------------


def create_app(
    service: str,
    *,
    title: str,
    version: str = "0.1.0",
    lifespan: Lifespan | None = None,
    readiness: Readiness | None = None,
    tracer_provider: TracerProvider | None = None,
    telemetry: TelemetryConfig | None = None,
    http_settings: HttpSettings | None = None,
    metrics_textfiles: str | None = None,
    **fastapi_kwargs: Any,
) -> FastAPI:
    """A FastAPI app with xuncha's problem details, request tracing and health endpoints."""
    # FastAPI's native OpenTelemetry would open a second SERVER span around ours (and its own
    # per-operation spans): it is off unless the caller turns it on with ``telemetry=``.
    native: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}
    native.update(telemetry or {})
    app = FastAPI(
        title=title, version=version, lifespan=lifespan, telemetry=native, **fastapi_kwargs
    )
    app.state.service = service
    describe_problems(app)  # the document lists every problem response an operation gives

    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(StarletteHTTPException, _http_exception_handler)
    app.add_exception_handler(ProblemError, _problem_error_handler)
    app.add_exception_handler(DomainError, _domain_error_handler)
    # the door (inner) runs inside the request's span (outer): its refusals carry a trace id
    app.add_middleware(GateMiddleware, respond=_gate_refusal, settings=http_settings)
    settings = http_settings or HttpSettings()
    app.add_middleware(
        TraceMiddleware,
        tracer_provider=tracer_provider,
        service=service,
        access=settings.access_log,
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": service}

    @app.get("/readyz", include_in_schema=False, response_model=None)
    async def readyz(request: Request) -> Response | dict[str, Any]:
        checks: dict[str, bool] = {}
        if readiness is not None:
            try:
                checks = {name: bool(ok) for name, ok in (await readiness()).items()}
            except Exception:
                log.exception("readiness check failed")
                checks = {"readiness": False}
        failing = sorted(name for name, ok in checks.items() if not ok)
        if failing:
            return problem_response(
                503,
                title="Service not ready",
                detail="not ready: " + ", ".join(failing),
                type_=TYPE_NOT_READY,
                instance=request.url.path,
                checks=checks,
                not_ready=failing,
            )
        return {"status": "ready", "service": service, "checks": checks}

    if settings.metrics_enabled:
        _add_metrics_route(app, settings, metrics_textfiles)
    return app


def _networks(spec: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(part.strip()) for part in spec.split(",") if part.strip()]


def _add_metrics_route(app: FastAPI, settings: HttpSettings, textfiles: str | None) -> None:
    allowed = _networks(settings.metrics_allow)
    token = settings.metrics_token

    def open_to(request: Request) -> bool:
        if "x-forwarded-for" in request.headers or "forwarded" in request.headers:
            return False  # came through a proxy: the peer address is the proxy's
        host = request.client.host if request.client else None
        try:
            address = ipaddress.ip_address(host or "")
        except ValueError:
            return False
        return any(address in network for network in allowed)

    @app.get("/metrics", include_in_schema=False, response_model=None)
    async def metrics(request: Request) -> Response:
        if not open_to(request):
            sent = request.headers.get("authorization", "")
            if not token or not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
                return problem_response(
                    403,
                    title="Forbidden",
                    detail=(
                        "metrics are served without a token only to XUNCHA_METRICS_ALLOW; "
                        "send Authorization: Bearer <XUNCHA_METRICS_TOKEN> "
                        "(指标仅对允许的地址开放, 其他地址须携带指标令牌)"
                    ),
                    instance=request.url.path,
                )
        return Response(render_metrics(textfiles), media_type=METRICS_CONTENT_TYPE)
