"""The shared HTTP layer: problem details, request tracing, health endpoints, embedded server."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, HTTPException
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel
from xuncha_shared.http.app import create_app
from xuncha_shared.http.problems import Conflict, Unauthorized
from xuncha_shared.http.responses import PROBLEM_CONTENT_TYPE
from xuncha_shared.http.server import run_uvicorn
from xuncha_shared.logs import configure_logging
from xuncha_shared.telemetry import (
    current_traceparent,
    memory_exporter,
    reset_for_tests,
    setup_telemetry,
    trace_id_of,
    tracer,
)

from bench.ports import free_port

pytestmark = pytest.mark.unit

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TP = f"00-{TRACE_ID}-{PARENT_ID}-01"
EVENT_ID = uuid.UUID("0192f0c2-5a2b-7c3d-8e4f-0123456789ab")


class NewCase(BaseModel):
    jurisdiction: str
    title: str


def build_app(readiness: Any = None, lifespan: Any = None) -> FastAPI:
    app = create_app("test", title="test", readiness=readiness, lifespan=lifespan)

    @app.post("/cases", status_code=201)
    async def new_case(body: NewCase) -> dict[str, str]:
        return {"jurisdiction": body.jurisdiction}

    @app.get("/cases/{case_id}")
    async def get_case(case_id: int) -> dict[str, Any]:
        logging.getLogger("xuncha.test").info("reading", extra={"stream_id": f"case-{case_id}"})
        with tracer("test").start_as_current_span("append"):
            inner = current_traceparent()
        return {"case_id": case_id, "traceparent": current_traceparent(), "inner": inner}

    @app.post("/conflict")
    async def conflict() -> None:
        raise Conflict(
            "case-1 is at version 3, not 2", stream_id="case-1", expected=2, event_id=EVENT_ID
        )

    @app.get("/private")
    async def private() -> None:
        raise Unauthorized("no bearer token")

    @app.get("/forbidden")
    async def forbidden() -> None:
        raise HTTPException(403, "not your jurisdiction")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret-informant-name leaked?")

    @app.get("/boom-sync")
    def boom_sync() -> None:
        raise KeyError("secret-key")

    return app


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    setup_telemetry("test", "memory")
    exporter = memory_exporter()
    exporter.clear()
    yield exporter
    reset_for_tests()  # back to exporting nothing, spans dropped


@asynccontextmanager
async def client_for(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


@pytest.fixture
async def client(spans: InMemorySpanExporter) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(build_app()) as c:
        yield c


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    for member in ("type", "title", "detail", "instance"):
        assert isinstance(body[member], str), member
    assert body["trace_id"] == response.headers["x-trace-id"]
    return body


# --- problem details ----------------------------------------------------------------------------


async def test_missing_field_is_422_with_field_paths(client: httpx.AsyncClient) -> None:
    response = await client.post("/cases", json={"title": "t"})
    body = assert_problem(response, 422)
    assert body["instance"] == "/cases"
    assert body["title"] == "Validation failed"
    assert "body.jurisdiction: Field required" in body["detail"]
    assert body["errors"] == [
        {"field": "body.jurisdiction", "msg": "Field required", "type": "missing"}
    ]


async def test_wrong_types_list_every_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/cases", json={"jurisdiction": 1, "title": None})
    body = assert_problem(response, 422)
    assert {e["field"] for e in body["errors"]} == {"body.jurisdiction", "body.title"}
    assert "input" not in json.dumps(body["errors"])  # submitted values are never echoed


async def test_path_parameter_validation(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/cases/abc"), 422)
    assert body["errors"][0]["field"] == "path.case_id"


async def test_malformed_json_is_400(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/cases", content=b'{"jurisdiction": ', headers={"content-type": "application/json"}
    )
    body = assert_problem(response, 400)
    assert body["title"] == "Malformed JSON body"
    assert "not valid JSON" in body["detail"]
    assert "errors" not in body


async def test_unknown_route_is_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/nowhere"), 404)
    assert body == body | {"type": "about:blank", "title": "Not Found", "instance": "/nowhere"}
    assert "/nowhere" in body["detail"]


async def test_wrong_method_is_405_with_allow(client: httpx.AsyncClient) -> None:
    response = await client.delete("/cases")
    body = assert_problem(response, 405)
    assert body["title"] == "Method Not Allowed"
    assert "POST" in response.headers["allow"]


async def test_http_exception_keeps_its_detail(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/forbidden"), 403)
    assert body["detail"] == "not your jurisdiction"
    assert body["title"] == "Forbidden"


async def test_problem_error_is_mapped(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.post("/conflict"), 409)
    assert body["title"] == "Conflict"
    assert body["type"].endswith("/conflict")
    assert body["detail"] == "case-1 is at version 3, not 2"
    assert body["instance"] == "/conflict"
    assert (body["stream_id"], body["expected"]) == ("case-1", 2)
    assert body["event_id"] == str(EVENT_ID)


async def test_problem_error_headers_are_sent(client: httpx.AsyncClient) -> None:
    response = await client.get("/private")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/boom", "/boom-sync"])
async def test_unhandled_error_is_a_generic_500(
    client: httpx.AsyncClient,
    spans: InMemorySpanExporter,
    caplog: pytest.LogCaptureFixture,
    path: str,
) -> None:
    with caplog.at_level(logging.ERROR, logger="xuncha.http"):
        response = await client.get(path)
    body = assert_problem(response, 500)
    assert body["title"] == "Internal Server Error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text
    (record,) = [r for r in caplog.records if r.name == "xuncha.http"]
    assert record.exc_info is not None
    assert "secret" in str(record.exc_info[1])
    (server,) = spans.get_finished_spans()
    assert server.status.status_code is StatusCode.ERROR
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 500
    assert any(event.name == "exception" for event in server.events)


# --- health -------------------------------------------------------------------------------------


async def test_healthz(client: httpx.AsyncClient) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_readyz_without_checks(client: httpx.AsyncClient) -> None:
    response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


async def test_readyz_all_ready() -> None:
    async def ready() -> dict[str, bool]:
        return {"database": True, "kafka": True}

    async with client_for(build_app(readiness=ready)) as client:
        response = await client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": True, "kafka": True}


async def test_readyz_not_ready_is_503() -> None:
    async def half() -> dict[str, bool]:
        return {"database": True, "kafka": False}

    async with client_for(build_app(readiness=half)) as client:
        body = assert_problem(await client.get("/readyz"), 503)
    assert body["detail"] == "not ready: kafka"
    assert body["not_ready"] == ["kafka"]
    assert body["checks"] == {"database": True, "kafka": False}


async def test_readyz_failing_check_is_503(caplog: pytest.LogCaptureFixture) -> None:
    async def broken() -> dict[str, bool]:
        raise ConnectionError("db down")

    async with client_for(build_app(readiness=broken)) as client:
        with caplog.at_level(logging.ERROR, logger="xuncha.http"):
            body = assert_problem(await client.get("/readyz"), 503)
    assert body["not_ready"] == ["readiness"]


# --- tracing ------------------------------------------------------------------------------------


async def test_request_span_continues_incoming_traceparent(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    response = await client.get("/cases/7", headers={"traceparent": TP})
    assert response.status_code == 200
    assert response.headers["x-trace-id"] == TRACE_ID
    finished = {s.name: s for s in spans.get_finished_spans()}
    server = finished["HTTP GET /cases/{case_id}"]
    assert server.kind is SpanKind.SERVER
    assert format(server.context.trace_id, "032x") == TRACE_ID
    assert server.parent is not None
    assert format(server.parent.span_id, "016x") == PARENT_ID
    assert server.attributes is not None
    assert server.attributes["http.request.method"] == "GET"
    assert server.attributes["url.path"] == "/cases/7"
    assert server.attributes["http.route"] == "/cases/{case_id}"
    assert server.attributes["http.response.status_code"] == 200

    # the handler runs inside the server span: its traceparent (what an append stores in the
    # envelope) names that span, and spans it opens are the server span's children
    handler_tp = response.json()["traceparent"]
    assert trace_id_of(handler_tp) == TRACE_ID
    assert handler_tp.split("-")[2] == format(server.context.span_id, "016x")
    append = finished["append"]
    assert append.parent is not None
    assert append.parent.span_id == server.context.span_id
    assert response.json()["inner"].split("-")[2] == format(append.context.span_id, "016x")


async def test_request_without_traceparent_starts_a_trace(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    response = await client.get("/cases/1")
    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    assert server.parent is None
    assert response.headers["x-trace-id"] == format(server.context.trace_id, "032x")
    assert trace_id_of(response.json()["traceparent"]) == response.headers["x-trace-id"]


async def test_unmatched_route_span_name_has_no_path(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    await client.get("/nowhere/42")
    (server,) = spans.get_finished_spans()
    assert server.name == "HTTP GET"
    assert server.attributes is not None
    assert server.attributes["http.response.status_code"] == 404


async def test_log_lines_in_a_request_carry_its_trace_id(
    client: httpx.AsyncClient, spans: InMemorySpanExporter
) -> None:
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    stream = io.StringIO()
    configure_logging("test", "INFO", stream=stream)
    try:
        response = await client.get("/cases/5", headers={"traceparent": TP})
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (line,) = [line for line in lines if line["msg"] == "reading"]
    server = next(s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER)
    assert line["trace_id"] == TRACE_ID == response.headers["x-trace-id"]
    assert line["span_id"] == format(server.context.span_id, "016x")
    assert line["stream_id"] == "case-5"
    assert line["service"] == "test"


# --- embedded server ----------------------------------------------------------------------------


def _lifespan_recorder(events: list[str]) -> Any:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        events.append("startup")
        yield
        events.append("shutdown")

    return lifespan


async def test_run_uvicorn_stops_gracefully_on_stop_event() -> None:
    events: list[str] = []
    app = build_app(lifespan=_lifespan_recorder(events))
    port, stop, started = free_port(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(run_uvicorn(app, "127.0.0.1", port, stop=stop, started=started))
    await asyncio.wait_for(started.wait(), 10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert "server" not in response.headers
    stop.set()
    await asyncio.wait_for(task, 15)
    assert events == ["startup", "shutdown"]


async def test_run_uvicorn_dates_each_response_without_a_tick(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """uvicorn's own main loop wakes every 100 ms, busy or idle, to refresh the Date header
    (``on_tick``); the embedded server's sleeps until it is stopped, and each response still
    carries the Date of its second."""
    from xuncha_shared.http import server

    clock = [1_700_000_000.2]
    monkeypatch.setattr(server, "time", SimpleNamespace(time=lambda: clock[0]))
    ticks: list[int] = []

    async def on_tick(self: uvicorn.Server, counter: int) -> bool:
        ticks.append(counter)
        return self.should_exit

    monkeypatch.setattr(uvicorn.Server, "on_tick", on_tick)
    port, stop, started = free_port(), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(
        run_uvicorn(build_app(), "127.0.0.1", port, stop=stop, started=started)
    )
    await asyncio.wait_for(started.wait(), 10)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
        first = await client.get("/healthz")
        clock[0] += 0.5
        same_second = await client.get("/healthz")
        clock[0] += 0.5
        next_second = await client.get("/healthz")
    await asyncio.sleep(0.3)  # uvicorn's tick would have run three times by now
    stop.set()
    await asyncio.wait_for(task, 15)
    assert first.headers["date"] == same_second.headers["date"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert next_second.headers["date"] == "Tue, 14 Nov 2023 22:13:21 GMT"
    assert "server" not in next_second.headers
    assert ticks == []


async def test_run_uvicorn_stops_gracefully_on_cancel() -> None:
    events: list[str] = []
    app = build_app(lifespan=_lifespan_recorder(events))
    port, started = free_port(), asyncio.Event()
    task = asyncio.create_task(run_uvicorn(app, "127.0.0.1", port, started=started))
    await asyncio.wait_for(started.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
    assert events == ["startup", "shutdown"]


async def test_run_uvicorn_reports_a_port_in_use(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with caplog.at_level(logging.CRITICAL), pytest.raises(RuntimeError, match="could not"):
            await asyncio.wait_for(run_uvicorn(build_app(), "127.0.0.1", port), 15)
