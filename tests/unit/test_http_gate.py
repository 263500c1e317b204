"""The door of every service (``xuncha_shared.http.gate``): URL checks, authentication before
the body, the body limit, the rate limit and the bound on concurrent event streams."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI
from pydantic import BaseModel
from xuncha_shared.contracts.common import LongText
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.app import create_app
from xuncha_shared.http.config import MIB, HttpSettings
from xuncha_shared.http.dependencies import AuthDependencies
from xuncha_shared.http.gate import STREAM_PATH, guard
from xuncha_shared.http.responses import PROBLEM_CONTENT_TYPE

pytestmark = pytest.mark.unit

ALICE = Principal(id="alice", role=Role.COUNTY_ADMIN, jurisdiction="361002")
BOB = Principal(id="bob", role=Role.COUNTY_ADMIN, jurisdiction="361002")
TOKENS = {"xc_alice": ALICE, "xc_bob": BOB}


class FakeAuthenticator:
    def __init__(self) -> None:
        self.calls = 0

    async def authenticate(self, bearer: str) -> Principal | None:
        self.calls += 1
        return TOKENS.get(bearer)


class Note(BaseModel):
    text: LongText


def build(settings: HttpSettings | None = None) -> tuple[FastAPI, FakeAuthenticator]:
    app = create_app("test", title="test", http_settings=settings or HttpSettings())
    authenticator = FakeAuthenticator()
    guard(app, authenticator)
    deps = AuthDependencies(authenticator)

    @app.post("/api/v1/notes", status_code=201)
    async def note(body: Note, who: Principal = Depends(deps.current_principal)) -> dict[str, Any]:
        return {"who": who.id, "length": len(body.text)}

    @app.get("/api/v1/notes")
    async def notes(who: Principal = Depends(deps.current_principal)) -> dict[str, str]:
        return {"who": who.id}

    @app.get("/api/v1/receipts/{code}")
    async def receipt(code: str) -> dict[str, str]:
        return {"code": code}

    @app.get(STREAM_PATH)
    async def stream(who: Principal = Depends(deps.current_principal)) -> dict[str, str]:
        await asyncio.sleep(0.2)
        return {"who": who.id}

    return app, authenticator


def client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


def problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM_CONTENT_TYPE)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    return doc


AUTH = {"Authorization": "Bearer xc_alice"}


async def test_a_valid_token_passes_and_is_authenticated_once() -> None:
    app, authenticator = build()
    async with client(app) as c:
        resp = await c.post("/api/v1/notes", json={"text": "好"}, headers=AUTH)
    assert resp.status_code == 201, resp.text
    assert resp.json() == {"who": "alice", "length": 1}
    assert authenticator.calls == 1  # the route's dependency reuses the door's principal


async def call_raw(
    app: FastAPI, headers: list[tuple[bytes, bytes]], chunks: int, chunk: int = 64 * 1024
) -> tuple[int, bytes, int]:
    """Send a POST whose body is ``chunks`` chunks; returns status, body, chunks read."""
    read = 0
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        if read >= chunks:
            await asyncio.sleep(3600)
        read += 1
        return {"type": "http.request", "body": b"x" * chunk, "more_body": read < chunks}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/notes",
        "raw_path": b"/api/v1/notes",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"t"), (b"content-type", b"application/json"), *headers],
        "client": ("127.0.0.1", 1234),
        "server": ("t", 80),
    }
    await asyncio.wait_for(app(scope, receive, send), 10)
    status = next(m["status"] for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return status, body, read


async def test_no_token_is_401_before_a_byte_of_the_body_is_read() -> None:
    app, _ = build()
    status, body, read = await call_raw(app, [], chunks=10_000)
    assert status == 401
    assert b"bearer token is required" in body
    assert read == 0
    status, _, read = await call_raw(app, [(b"authorization", b"Bearer xc_nobody")], 10_000)
    assert (status, read) == (401, 0)


async def test_a_chunked_body_over_1_mib_is_413_without_reading_past_the_limit() -> None:
    app, _ = build()
    # 2 MiB in 64 KiB chunks, no Content-Length: refused after the chunk that passes 1 MiB
    status, body, read = await call_raw(app, [(b"authorization", b"Bearer xc_alice")], 32)
    assert status == 413
    assert b"payload-too-large" in body
    assert read == MIB // (64 * 1024) + 1


async def test_an_announced_body_over_1_mib_is_413_before_reading_it() -> None:
    app, _ = build()
    headers = [(b"authorization", b"Bearer xc_alice"), (b"content-length", str(2 * MIB).encode())]
    status, _, read = await call_raw(app, headers, chunks=32)
    assert (status, read) == (413, 0)
    async with client(app) as c:
        resp = await c.post("/api/v1/notes", content=b"{" + b" " * (2 * MIB) + b"}", headers=AUTH)
    assert problem(resp, 413)["limit_bytes"] == MIB


async def test_a_body_under_the_limit_still_reaches_the_route() -> None:
    app, _ = build(HttpSettings(body_limit_bytes=100))
    async with client(app) as c:
        ok = await c.post("/api/v1/notes", json={"text": "x" * 50}, headers=AUTH)
        too_big = await c.post("/api/v1/notes", json={"text": "x" * 200}, headers=AUTH)
    assert ok.status_code == 201
    problem(too_big, 413)


async def test_the_rate_limit_is_per_principal_and_answers_429_with_retry_after() -> None:
    app, _ = build(HttpSettings(rate_limit="3/minute"))
    async with client(app) as c:
        for _ in range(3):
            assert (await c.get("/api/v1/notes", headers=AUTH)).status_code == 200
        refused = await c.get("/api/v1/notes", headers=AUTH)
        other = await c.get("/api/v1/notes", headers={"Authorization": "Bearer xc_bob"})
    doc = problem(refused, 429)
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert doc["type"].endswith("rate-limited")
    assert other.status_code == 200  # another principal has its own window


async def test_receipt_lookups_are_rate_limited_per_client_without_a_token() -> None:
    app, _ = build(HttpSettings(receipt_rate_limit="2/minute"))
    async with client(app) as c:
        assert (await c.get("/api/v1/receipts/XC-AAAA")).status_code == 200
        assert (await c.get("/api/v1/receipts/XC-BBBB")).status_code == 200
        refused = await c.get("/api/v1/receipts/XC-CCCC")
    problem(refused, 429)
    assert "Retry-After" in refused.headers


async def test_event_streams_per_token_are_bounded() -> None:
    app, _ = build(HttpSettings(max_streams_per_token=2))
    async with client(app) as c:
        answers = await asyncio.gather(*(c.get(STREAM_PATH, headers=AUTH) for _ in range(3)))
        assert sorted(r.status_code for r in answers) == [200, 200, 429]
        # once they ended, a new stream opens again
        assert (await c.get(STREAM_PATH, headers=AUTH)).status_code == 200


@pytest.mark.parametrize(
    "url", ["/api/v1/notes?unit=%00", "/api/v1/notes?unit=a%00b", "/api/v1/receipts/a%00b"]
)
async def test_a_nul_in_the_url_is_422(url: str) -> None:
    app, _ = build()
    async with client(app) as c:
        resp = await c.get(url, headers=AUTH)
    assert problem(resp, 422)["errors"][0]["msg"].startswith("must not contain the NUL")


async def test_a_nul_in_a_json_string_is_422() -> None:
    app, _ = build()
    async with client(app) as c:
        resp = await c.post("/api/v1/notes", json={"text": "a\x00b"}, headers=AUTH)
    doc = problem(resp, 422)
    assert [e["field"] for e in doc["errors"]] == ["body.text"]
