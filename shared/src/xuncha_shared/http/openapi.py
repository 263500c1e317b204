"""The OpenAPI document says what the services answer: every error is
``application/problem+json`` (schema ``Problem``), listed on each operation that can give it.

| status | on |
|---|---|
| 400 | operations with a body (malformed JSON, a bad ``Content-Length``) |
| 401, 403 | operations that need a bearer token |
| 404 | operations with a path parameter, and writes (the body names aggregates by id): |
|     | unknown, or not the caller's to see — the same answer |
| 409 | operations that write (``POST``): a state that forbids it, a concurrent change |
| 413 | operations with a body (larger than the limit) |
| 422 | every operation (invalid parameters or body; a NUL anywhere in the URL) |
| 429 | operations with a token (per-principal rate limit), the public receipt look-up and the |
|     | public publications (per client address) |
| 503 | operations with a token (the identity provider, or the auditors' database, is down) |

FastAPI's own ``422`` (``application/json`` with a ``detail`` array) is replaced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from xuncha_shared.http.paths import PER_CLIENT_PREFIXES

__all__ = ["PROBLEM_SCHEMA", "add_problem_responses", "describe_problems"]

PROBLEM_CONTENT_TYPE = "application/problem+json"

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "trace_id": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "msg", "type"],
                "properties": {
                    "field": {"type": "string"},
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
            },
        },
    },
    "additionalProperties": True,
}

_DESCRIPTIONS = {
    400: "Bad request (malformed JSON)",
    401: "Unauthorized (no valid bearer token)",
    403: "Forbidden (role or jurisdiction)",
    404: "Not found",
    409: "Conflict",
    413: "Content too large",
    422: "Validation failed",
    429: "Too many requests (see Retry-After)",
    503: "Service unavailable",
}
_METHODS = ("get", "post", "put", "patch", "delete")


def _statuses(path: str, method: str, operation: dict[str, Any]) -> set[int]:
    statuses = {422}
    secured = bool(operation.get("security"))
    if secured:
        statuses |= {401, 403, 429, 503}
    if path.startswith(PER_CLIENT_PREFIXES):
        statuses.add(429)
    if "{" in path or method == "post":
        statuses.add(404)
    if "requestBody" in operation:
        statuses |= {400, 413}
    if method == "post":
        statuses.add(409)
    return statuses


def add_problem_responses(schema: dict[str, Any]) -> dict[str, Any]:
    """Describe the problem responses of every operation of ``schema`` (in place)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, item in schema.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(path, method, operation)):
                existing = responses.get(str(status), {})
                responses[str(status)] = {
                    "description": existing.get("description") or _DESCRIPTIONS[status],
                    "content": {PROBLEM_CONTENT_TYPE: {"schema": ref}},
                }
            for status, response in responses.items():
                if status[0] in "45" and "content" not in response:
                    response["content"] = {PROBLEM_CONTENT_TYPE: {"schema": ref}}
    return schema


def describe_problems(app: FastAPI) -> None:
    """Make ``app.openapi()`` describe the problem responses (once, then cached)."""
    original: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = add_problem_responses(original())
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
