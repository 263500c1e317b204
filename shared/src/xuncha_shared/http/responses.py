"""The problem responses (RFC 9457, ``application/problem+json``) the app answers with, and the
exception handlers that map errors to them (``xuncha_shared.http.app`` registers them).

Every problem has ``type``, ``title``, ``status``, ``detail``, ``instance`` (the request path)
and ``trace_id``; validation problems add ``errors`` (``[{"field": "body.jurisdiction", "msg":
..., "type": ...}]``). A dependency that is down (the database restarting) is a 503 with
``Retry-After``, never a 500 or a hang (:func:`xuncha_shared.failures.dependency_unavailable`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from opentelemetry import trace
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from xuncha_shared.domain.errors import DomainError
from xuncha_shared.http.problems import TYPE_VALIDATION, ProblemError, problem_of, problem_type

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_MALFORMED = problem_type("malformed-json")
TYPE_INTERNAL = problem_type("internal-error")
TYPE_NOT_READY = problem_type("not-ready")
TYPE_UNAVAILABLE = problem_type("service-unavailable")

RETRY_AFTER_S = 5


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


async def validation_handler(request: Request, exc: Exception) -> Response:
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


async def http_exception_handler(request: Request, exc: Exception) -> Response:
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


async def problem_error_handler(request: Request, exc: Exception) -> Response:
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


async def gate_refusal(scope: Scope, receive: Receive, send: Send, exc: ProblemError) -> None:
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


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    return await problem_error_handler(request, problem_of(exc))


_CORE_MEMBERS = frozenset({"type", "type_", "title", "status", "detail", "instance", "headers"})
