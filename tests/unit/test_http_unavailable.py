"""A request that finds the database down (refused, recovering, cut mid-query) is answered at
once with a 503 problem and Retry-After, never with a 500: the client knows to try again."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import StreamingResponse
from xuncha_shared.http.app import create_app
from xuncha_shared.http.responses import PROBLEM_CONTENT_TYPE

pytestmark = pytest.mark.unit


def _app(exc: BaseException) -> FastAPI:
    app = create_app("test", title="test")

    @app.get("/boom")
    async def boom() -> None:
        raise exc

    return app


async def _get(app: FastAPI) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get("/boom")


@pytest.mark.parametrize(
    "exc",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is in recovery mode"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.exceptions.ConnectionDoesNotExistError("connection was closed in the middle"),
        asyncpg.exceptions.InterfaceError(
            "cannot call Transaction.__aexit__(): the underlying connection is closed"
        ),
        asyncpg.exceptions.TooManyConnectionsError("sorry, too many clients already"),
    ],
    ids=["refused", "recovering", "shutdown", "cut", "closed-at-commit", "no-free-slot"],
)
async def test_database_down_is_a_503_problem_with_retry_after(exc: BaseException) -> None:
    resp = await _get(_app(exc))
    assert resp.status_code == 503
    assert resp.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    assert resp.headers["retry-after"] == "5"
    body = resp.json()
    assert body["type"].endswith("/service-unavailable")
    assert "稍后重试" in body["detail"]


@pytest.mark.parametrize(
    "exc",
    [KeyError("x"), asyncpg.exceptions.InterfaceError("cannot use Connection.transaction()")],
    ids=["key-error", "misuse"],
)
async def test_a_bug_is_still_a_500(exc: BaseException) -> None:
    resp = await _get(_app(exc))
    assert resp.status_code == 500
    assert "retry-after" not in resp.headers


async def test_a_bug_caused_by_a_lost_connection_is_a_503() -> None:
    try:
        try:
            raise ConnectionResetError(104, "reset")
        except ConnectionResetError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as wrapped:
        resp = await _get(_app(wrapped))
    assert resp.status_code == 503


async def test_a_database_lost_mid_answer_is_logged_as_a_cut_answer(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A streamed answer (the whole deadline list) has sent its 200 when the database goes:
    nothing more can be sent, and the log says the answer was cut, not that it was a 503."""
    app = create_app("test", title="test")

    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"items":['
        raise ConnectionRefusedError(111, "Connect call failed")

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        return StreamingResponse(chunks(), media_type="application/json")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with caplog.at_level(logging.WARNING):
            resp = await client.get("/stream")
    assert resp.status_code == 200  # sent before the loss
    lost = [r.getMessage() for r in caplog.records if "dependency unavailable" in r.getMessage()]
    assert len(lost) == 1, lost
    assert "its 200 cut short" in lost[0] and "(503)" not in lost[0]
