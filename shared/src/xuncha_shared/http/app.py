"""The HTTP app every service shares: the app factory, health and metrics.

* Every error is an RFC 9457 problem (``application/problem+json``), built and mapped from the
  errors by :mod:`xuncha_shared.http.responses`. Unhandled exceptions become a generic 500
  (logged with the traceback, which is never sent).
* :class:`~xuncha_shared.http.tracing.TraceMiddleware` (pure ASGI) opens one ``SERVER`` span per
  request, continuing an incoming ``traceparent``, current while the handler runs (event appends
  become its children); the response carries ``X-Trace-Id``.
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

import hmac
import ipaddress
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.telemetry import TelemetryConfig
from opentelemetry.sdk.trace import TracerProvider
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from xuncha_shared.domain.errors import DomainError
from xuncha_shared.http.config import HttpSettings
from xuncha_shared.http.gate import GateMiddleware
from xuncha_shared.http.openapi import describe_problems
from xuncha_shared.http.problems import ProblemError
from xuncha_shared.http.responses import (
    TYPE_NOT_READY,
    domain_error_handler,
    gate_refusal,
    http_exception_handler,
    problem_error_handler,
    problem_response,
    validation_handler,
)
from xuncha_shared.http.tracing import TraceMiddleware
from xuncha_shared.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from xuncha_shared.metrics import render as render_metrics

__all__ = [
    "Readiness",
    "create_app",
]

log = logging.getLogger("xuncha.http")

Readiness = Callable[[], Awaitable[dict[str, bool]]]
Lifespan = Callable[[FastAPI], Any]


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

    app.add_exception_handler(RequestValidationError, validation_handler)
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)
    app.add_exception_handler(ProblemError, problem_error_handler)
    app.add_exception_handler(DomainError, domain_error_handler)
    # the door (inner) runs inside the request's span (outer): its refusals carry a trace id
    app.add_middleware(GateMiddleware, respond=gate_refusal, settings=http_settings)
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
