"""What the services' routes read from a request around their command handlers.

* :func:`request_meta`: the envelope metadata of a request's events: the principal's actor, a new
  correlation id and the current trace context. A caller's ``X-Correlation-Id`` is kept as an
  attribute of the request's span (``xuncha.caller_correlation_id``) and never becomes the
  events' ``correlation_id``: correlation links streams in the audit history, and a caller
  could otherwise attach another jurisdiction's case to its own.
* :func:`known_jurisdiction`: a request's jurisdiction code must be one of the configured ones
  (422 naming the field otherwise).
"""

from __future__ import annotations

from fastapi import Request
from opentelemetry import trace

from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.problems import invalid
from xuncha_shared.ids import uuid7
from xuncha_shared.telemetry import current_traceparent

__all__ = ["CORRELATION_HEADER", "MAX_OFFSET", "known_jurisdiction", "request_meta"]

CORRELATION_HEADER = "X-Correlation-Id"
CALLER_CORRELATION_ATTRIBUTE = "xuncha.caller_correlation_id"
#: the largest ``offset`` of a list (PostgreSQL's OFFSET is a 64-bit integer; no list is near)
MAX_OFFSET = 1_000_000_000


def request_meta(request: Request, principal: Principal) -> Meta:
    """Actor, a new correlation id, traceparent; the caller's ``X-Correlation-Id`` only as a
    span attribute."""
    header = request.headers.get(CORRELATION_HEADER)
    if header:
        trace.get_current_span().set_attribute(CALLER_CORRELATION_ATTRIBUTE, header[:128])
    return Meta(actor=principal.actor(), correlation_id=uuid7(), traceparent=current_traceparent())


def known_jurisdiction(code: str, field: str = "query.jurisdiction") -> str:
    """``code`` if it is a configured jurisdiction, else a 422 problem naming ``field``."""
    if not jurisdictions.is_known(code):
        raise invalid(field, f"未知的行政区划代码 / unknown jurisdiction {code!r}")
    return code
