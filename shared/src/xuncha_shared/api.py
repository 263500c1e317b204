"""What the HTTP APIs of the services share around their command handlers.

* :func:`request_meta`: the envelope metadata of a request's events: the principal's actor, the
  caller's ``X-Correlation-Id`` (a new id when absent or malformed) and the current trace context.
* :func:`known_jurisdiction`: a request's jurisdiction code must be one of the configured ones
  (422 naming the field otherwise).
* :func:`domain_errors`: maps a :class:`~xuncha_shared.service.DomainError` to the RFC 9457
  problem of its status, and a lost race (``ConcurrencyError``) to 409 with the service's message.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from uuid import UUID

from fastapi import Request

from xuncha_shared import jurisdictions
from xuncha_shared.auth import Principal
from xuncha_shared.errors import ProblemError, conflict, invalid, problem_type
from xuncha_shared.eventstore.base import ConcurrencyError
from xuncha_shared.ids import uuid7
from xuncha_shared.service import DomainError, Meta
from xuncha_shared.telemetry import current_traceparent

__all__ = [
    "CORRELATION_HEADER",
    "PROBLEM_SLUGS",
    "domain_errors",
    "known_jurisdiction",
    "problem_of",
    "request_meta",
]

CORRELATION_HEADER = "X-Correlation-Id"

#: problem type slug of each domain error status (anything else is a conflict)
PROBLEM_SLUGS = {403: "forbidden", 404: "not-found", 409: "conflict", 422: "unprocessable"}


def problem_of(exc: DomainError) -> ProblemError:
    """The problem response of a domain refusal: its status, title and detail."""
    slug = PROBLEM_SLUGS.get(exc.status, "conflict")
    return ProblemError(exc.status, exc.title, exc.detail, problem_type(slug))


@contextmanager
def domain_errors(concurrency_detail: str) -> Iterator[None]:
    """Map the model's refusals and lost races (409 ``concurrency_detail``) to problems."""
    try:
        yield
    except DomainError as exc:
        raise problem_of(exc) from exc
    except ConcurrencyError as exc:
        raise conflict(concurrency_detail) from exc


def request_meta(request: Request, principal: Principal) -> Meta:
    """Actor, correlation id (the caller's ``X-Correlation-Id`` or a new one), traceparent."""
    correlation = uuid7()
    header = request.headers.get(CORRELATION_HEADER)
    if header:
        with suppress(ValueError):
            correlation = UUID(header)
    return Meta(
        actor=principal.actor(), correlation_id=correlation, traceparent=current_traceparent()
    )


def known_jurisdiction(code: str, field: str = "query.jurisdiction") -> str:
    """``code`` if it is a configured jurisdiction, else a 422 problem naming ``field``."""
    if not jurisdictions.is_known(code):
        raise invalid(field, f"未知的行政区划代码 / unknown jurisdiction {code!r}")
    return code
