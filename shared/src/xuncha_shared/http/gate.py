"""The door of every service (pure ASGI, outermost): what is checked before a route runs.

In this order, each answered with a problem (``application/problem+json``) before the request
body is read:

1. the URL: a NUL character in the path or the query string (raw or ``%00``) is a 422;
2. authentication (routes under ``/api/`` except ``PUBLIC_PREFIXES``): 401 without a
   valid bearer token; the principal is kept on ``request.state.principal``, so the route's
   dependency does not authenticate again;
3. the rate limit (`limits`, sliding window counter): per principal (``XUNCHA_RATE_LIMIT``),
   per client address for the receipt look-up and the public publications
   (``XUNCHA_RECEIPT_RATE_LIMIT``): 429 with
   ``Retry-After``;
4. concurrent event streams (``/api/v1/events/stream``) per principal: 429 beyond
   ``XUNCHA_MAX_STREAMS_PER_TOKEN``;
5. the body: 413 when ``Content-Length`` announces more than the limit (1 MiB; evidence uploads
   20 MiB) or, without it, as soon as the received chunks pass it: never read past the limit.

The authenticator is the app's (``app.state.authenticator``, set by :func:`guard`); without one
only the URL, the body limit and the receipt rate limit apply (and routes authenticate
themselves).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

from limits import RateLimitItem, parse
from limits.aio.storage import Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from xuncha_shared.auth.authenticators import Authenticator
from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.config import HttpSettings
from xuncha_shared.http.paths import PER_CLIENT_PREFIXES, PUBLIC_PREFIXES
from xuncha_shared.http.problems import (
    TYPE_VALIDATION,
    ProblemError,
    Unauthorized,
    problem_type,
)

__all__ = ["PUBLIC_PREFIXES", "STREAM_PATH", "GateMiddleware", "guard"]

STREAM_PATH = "/api/v1/events/stream"
UPLOAD_MARK = "/evidence"
TYPE_TOO_LARGE = problem_type("payload-too-large")
TYPE_RATE_LIMITED = problem_type("rate-limited")

Responder = Callable[[Scope, Receive, Send, ProblemError], Awaitable[None]]


def guard(app: Any, authenticator: Authenticator) -> None:
    """Authenticate at the door of ``app`` (before any body is read) with ``authenticator``."""
    app.state.authenticator = authenticator


def _async_storage_uri(uri: str) -> str:
    return uri if uri.startswith("async+") else f"async+{uri}"


class GateMiddleware:
    def __init__(
        self, app: ASGIApp, *, respond: Responder, settings: HttpSettings | None = None
    ) -> None:
        self.app = app
        self.respond = respond
        self.settings = settings or HttpSettings()
        storage = storage_from_string(_async_storage_uri(self.settings.rate_limit_storage))
        assert isinstance(storage, Storage)  # an ``async+`` URI gives an asyncio storage
        self.storage = storage
        # a sliding window counter: two counters per key, O(1) a request. The moving window
        # kept every request's timestamp in a list per key (inserted at its front) and its
        # in-memory storage copied and bisected every list in a thread after each request:
        # the cost grew with the limit and the number of principals (docs/security.md)
        self.limiter = SlidingWindowCounterRateLimiter(self.storage)
        self.principal_limit: RateLimitItem = parse(self.settings.rate_limit)
        self.receipt_limit: RateLimitItem = parse(self.settings.receipt_rate_limit)
        self.streams: Counter[str] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            await self._check_url(scope)
            principal = await self._authenticate(scope)
            await self._rate_limit(scope, principal)
            receive = await self._limit_body(scope, receive)
        except ProblemError as problem:
            await self.respond(scope, receive, send, problem)
            return
        if scope["path"] == STREAM_PATH and principal is not None:
            if self.streams[principal.id] >= self.settings.max_streams_per_token:
                await self.respond(scope, receive, send, _too_many_streams())
                return
            self.streams[principal.id] += 1
            try:
                await self.app(scope, receive, send)
            finally:
                self.streams[principal.id] -= 1
                if self.streams[principal.id] <= 0:
                    del self.streams[principal.id]
            return
        await self.app(scope, receive, send)

    # --- 1. the URL ---------------------------------------------------------------------------

    async def _check_url(self, scope: Scope) -> None:
        query: bytes = scope.get("query_string") or b""
        if "\x00" in scope["path"] or b"\x00" in query or b"%00" in query.lower():
            field = "path" if "\x00" in scope["path"] else "query"
            message = "must not contain the NUL character (\\u0000)"
            raise ProblemError(
                422,
                "Validation failed",
                f"{field}: {message}",
                TYPE_VALIDATION,
                extra={"errors": [{"field": field, "msg": message, "type": "value_error"}]},
            )

    # --- 2. authentication --------------------------------------------------------------------

    async def _authenticate(self, scope: Scope) -> Principal | None:
        path: str = scope["path"]
        app = scope.get("app")
        authenticator = getattr(getattr(app, "state", None), "authenticator", None)
        if authenticator is None or not path.startswith("/api/"):
            return None
        if path.startswith(PUBLIC_PREFIXES):
            return None
        bearer = _bearer(scope)
        if not bearer:
            raise Unauthorized("a bearer token is required")
        principal: Principal | None = await authenticator.authenticate(bearer)
        if principal is None:
            raise Unauthorized("the token is invalid, expired or revoked", error="invalid_token")
        scope.setdefault("state", {})["principal"] = principal
        return principal

    # --- 3. the rate limit --------------------------------------------------------------------

    async def _rate_limit(self, scope: Scope, principal: Principal | None) -> None:
        if principal is not None:
            key, item = f"principal:{principal.id}", self.principal_limit
        elif scope["path"].startswith(PER_CLIENT_PREFIXES):
            client = scope.get("client")
            key, item = f"receipt:{client[0] if client else '-'}", self.receipt_limit
        else:
            return
        if await self.limiter.hit(item, key):
            return
        reset_at, _remaining = await self.limiter.get_window_stats(item, key)
        retry_after = max(1, math.ceil(reset_at - time.time()))
        raise ProblemError(
            429,
            "Too Many Requests",
            f"too many requests: at most {item} ; retry after {retry_after} s",
            TYPE_RATE_LIMITED,
            headers={"Retry-After": str(retry_after)},
        )

    # --- 5. the body --------------------------------------------------------------------------

    async def _limit_body(self, scope: Scope, receive: Receive) -> Receive:
        if scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            return receive
        limit = (
            self.settings.upload_limit_bytes
            if UPLOAD_MARK in scope["path"]
            else self.settings.body_limit_bytes
        )
        announced = _header(scope, b"content-length")
        if announced is not None:
            try:
                length = int(announced)
            except ValueError:
                raise ProblemError(
                    400,
                    "Bad request",
                    "Content-Length is not a number",
                    problem_type("bad-request"),
                ) from None
            if length > limit:
                raise _too_large(limit)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return _replay([], disconnected=True, receive=receive)
            body: bytes = message.get("body", b"")
            size += len(body)
            if size > limit:
                raise _too_large(limit)
            chunks.append(body)
            more = bool(message.get("more_body", False))
        return _replay(chunks, disconnected=False, receive=receive)


def _replay(chunks: list[bytes], *, disconnected: bool, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if disconnected:
            return {"type": "http.disconnect"}
        if not sent:
            sent = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
        return await receive()  # after the body: wait for the disconnect, like the server

    return replay


def _too_large(limit: int) -> ProblemError:
    return ProblemError(
        413,
        "Content Too Large",
        f"the request body is larger than {limit} bytes",
        TYPE_TOO_LARGE,
        extra={"limit_bytes": limit},
    )


def _too_many_streams() -> ProblemError:
    return ProblemError(
        429,
        "Too Many Requests",
        "too many open event streams for this token; close one first",
        TYPE_RATE_LIMITED,
        headers={"Retry-After": "5"},
    )


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or ():
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def _bearer(scope: Scope) -> str | None:
    value = _header(scope, b"authorization")
    if not value:
        return None
    scheme, _, credentials = value.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None
