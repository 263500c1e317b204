"""Logs an operator can use: one JSON object per line, one access line per request (method, route
template, status, duration, trace id, principal id; never a token, a query string, a path's
values or a body), ``XUNCHA_LOG_LEVEL``, size-based rotation of a log file, and the console span
exporter writing one line per span."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import Request
from xuncha_shared.http.app import create_app
from xuncha_shared.logs import configure_logging
from xuncha_shared.settings import Settings
from xuncha_shared.telemetry import setup_telemetry

pytestmark = pytest.mark.unit

TOKEN = "tok_secret_5a2b7c3d8e4f"
PHONE = "13907941234"


class Authenticator:
    async def authenticate(self, bearer: str) -> Any:
        return SimpleNamespace(id="custodian-fz") if bearer == TOKEN else None


def app_with_route() -> Any:
    app = create_app("probe", title="probe")
    app.state.authenticator = Authenticator()

    @app.post("/api/v1/petitions/{petition_id}/informant")
    async def read(petition_id: str, request: Request) -> dict[str, str]:
        await request.body()
        return {"ok": petition_id}

    return app


def lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


async def test_one_access_line_per_request_without_secrets() -> None:
    setup_telemetry("probe", "none")  # spans (and trace ids) exist, nothing is exported
    stream = io.StringIO()
    handler = configure_logging("probe", "INFO", stream=stream)
    try:
        app = app_with_route()
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://probe") as client:
            ok = await client.post(
                f"/api/v1/petitions/p-42/informant?phone={PHONE}",
                json={"reason": "核实", "phone": PHONE},
                headers={"Authorization": f"Bearer {TOKEN}", "X-Correlation-Id": "c-7"},
            )
            assert ok.status_code == 200
            refused = await client.post("/api/v1/petitions/p-43/informant", json={})
            assert refused.status_code == 401
            assert (await client.get("/healthz")).status_code == 200
    finally:
        logging.getLogger().removeHandler(handler)
    text = stream.getvalue()
    assert TOKEN not in text and PHONE not in text and "p-42" not in text
    access = [line for line in lines(stream) if line["msg"] == "access"]
    assert len(access) == 2  # the probe of /healthz is not logged
    first, second = access
    assert first["logger"] == "xuncha.access"
    assert first["method"] == "POST"
    assert first["route"] == "/api/v1/petitions/{petition_id}/informant"
    assert first["status"] == 200
    assert first["principal_id"] == "custodian-fz"
    assert first["caller_correlation_id"] == "c-7"
    assert first["duration_ms"] >= 0
    assert len(first["trace_id"]) == 32 and first["trace_id"] == ok.headers["x-trace-id"]
    # refused at the door: the route it would have reached, no principal
    assert second["route"] == "/api/v1/petitions/{petition_id}/informant"
    assert second["status"] == 401
    assert second["principal_id"] is None


def test_level_from_xuncha_log_level(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XUNCHA_LOG_LEVEL", "WARNING")
    settings = Settings()
    stream = io.StringIO()
    handler = configure_logging("probe", settings.log_level, stream=stream)
    try:
        logging.getLogger("xuncha.test").info("hidden")
        logging.getLogger("xuncha.test").warning("shown")
    finally:
        logging.getLogger().removeHandler(handler)
        logging.getLogger().setLevel(logging.INFO)
    assert [line["msg"] for line in lines(stream)] == ["shown"]


def test_log_file_rotates_by_size_and_every_line_is_json(tmp_path: Path) -> None:
    log_file = tmp_path / "intake.log"
    handler = configure_logging("intake", "INFO", log_file=str(log_file), max_bytes=2048, backups=2)
    try:
        for i in range(200):
            logging.getLogger("xuncha.test").info("line %d 反映某局问题", i)
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["intake.log", "intake.log.1", "intake.log.2"]  # 2 kept, older dropped
    for name in files:
        path = tmp_path / name
        assert path.stat().st_size <= 2048
        for raw in path.read_text("utf-8").splitlines():
            assert json.loads(raw)["service"] == "intake"
    last = json.loads(log_file.read_text("utf-8").splitlines()[-1])
    assert last["msg"] == "line 199 反映某局问题"


def test_console_span_exporter_writes_one_json_object_per_line() -> None:
    from opentelemetry.sdk.trace import TracerProvider
    from xuncha_shared import telemetry

    processor, _ = telemetry._make_processor("console")
    assert processor is not None
    out = io.StringIO()
    processor.span_exporter.out = out  # type: ignore[attr-defined]
    provider = TracerProvider()
    provider.add_span_processor(processor)
    tracer = provider.get_tracer("t")
    for n, name in enumerate(("one", "two"), start=1):
        with tracer.start_as_current_span(name) as span:
            span.set_attribute("xuncha.n", n)
    lines_out = [line for line in out.getvalue().splitlines() if line.strip()]
    spans = [json.loads(line) for line in lines_out]
    assert [s["name"] for s in spans] == ["one", "two"]
    assert [s["attributes"]["xuncha.n"] for s in spans] == [1, 2]
