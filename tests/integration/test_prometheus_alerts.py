"""Debian's Prometheus (what `make up METRICS=1` runs) loads xuncha's scrape template and alerting
rules as deploy/local/prometheus.sh renders them, scrapes a process's ``GET /metrics`` and fires
``XunchaDeadLetters`` on that process's first dead letter.

The target is this test process's own metrics, served by a small HTTP server, so no service stack
is needed; the intervals are shortened from 15 s to 1 s. The counters start at 0 (see
tests/unit/test_metrics_zero.py): a series first seen at 1 has no increase, and before they did
the alert never fired for the first dead letter of a process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from faststream.kafka import KafkaRouter
from xuncha_shared import metrics
from xuncha_shared.consumer import Delivery, InboxConsumer, subscribe
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.provision.common import ProvisionError
from xuncha_shared.provision.http import wait_for_http

from bench.ports import free_port
from tests.support.processes import stop

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = Path(os.environ.get("PROMETHEUS_BIN", "/usr/bin/prometheus"))


class _Metrics(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = metrics.render()
        self.send_response(200 if self.path == "/metrics" else 404)
        self.send_header("Content-Type", metrics.CONTENT_TYPE)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return None


@pytest.fixture
def target() -> Iterator[str]:
    metrics.setup_metrics("test")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Metrics)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _get(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=5) as resp:
        return json.load(resp)


@pytest.fixture
def prometheus(tmp_path: Path, target: str) -> Iterator[str]:
    assert PROMETHEUS.exists(), (
        f"{PROMETHEUS} is missing: `make test` installs it (deploy/local/prometheus.sh install)"
    )
    template = (ROOT / "deploy/prometheus/prometheus.yml.template").read_text("utf-8")
    config = (
        template.replace("@RULES@", str(ROOT / "deploy/prometheus/rules.yml"))
        .replace("@TARGETS@", f'"{target}"')
        .replace("scrape_interval: 15s", "scrape_interval: 1s")
        .replace("evaluation_interval: 15s", "evaluation_interval: 1s")
    )
    assert "1s" in config and "@" not in config.split("rule_files:")[1]
    (tmp_path / "prometheus.yml").write_text(config, "utf-8")
    port = free_port()
    log = (tmp_path / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--log.format=json",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        try:
            asyncio.run(wait_for_http(f"{base}/-/ready", 30, pid=proc.pid))
        except ProvisionError as exc:
            log_text = (tmp_path / "prometheus.log").read_text("utf-8")[-3000:]
            raise AssertionError(f"Prometheus did not start: {exc}\n{log_text}") from None
        yield base
    finally:
        stop(proc)
        log.close()


async def _until(what: str, probe: Any, timeout: float = 40.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = await asyncio.to_thread(probe)
        if found:
            return found
        assert time.monotonic() < deadline, f"Prometheus: {what} within {timeout:.0f} s"
        await asyncio.sleep(0.25)


def _query(base: str, promql: str) -> list[dict[str, Any]]:
    url = f"{base}/api/v1/query?" + urllib.parse.urlencode({"query": promql})
    result: list[dict[str, Any]] = _get(url)["data"]["result"]
    return result


async def _nothing(*_: Any) -> None:
    return None


async def test_the_rules_load_and_the_first_dead_letter_fires_the_alert(prometheus: str) -> None:
    dead: list[str] = []

    async def sink(*, topic: str, **_: Any) -> None:
        dead.append(topic)

    consumer = InboxConsumer(
        name=f"promtest.{uuid.uuid4().hex[:8]}",
        pool=None,  # junk is dead-lettered before any transaction
        registry=REGISTRY,
        handler=_nothing,
        dead_letter=sink,
    )
    topic = "intake.petition.v1"
    subscribe(KafkaRouter(), [topic], consumer)

    # every rule of deploy/prometheus/rules.yml loaded and evaluates without error
    groups = _get(f"{prometheus}/api/v1/rules")["data"]["groups"]
    rules = {r["name"]: r for g in groups for r in g["rules"]}
    assert {"XunchaDeadLetters", "XunchaRelayLag", "XunchaServiceDown"} <= set(rules)
    assert all(r["health"] in ("ok", "unknown") for r in rules.values()), rules

    # the consumer's series is scraped at 0 before anything went wrong
    selector = f'xuncha_dead_letters_total{{group="{consumer.name}"}}'
    [zero] = await _until("the zero series scraped", lambda: _query(prometheus, selector))
    assert zero["value"][1] == "0"
    await _until(
        "a second scrape", lambda: _query(prometheus, f"count_over_time({selector}[1m]) > 1")
    )

    junk = Delivery(topic=topic, partition=0, offset=7, key=b"k", value=b"{not json")
    assert await consumer.handle(junk) == "dead-lettered"
    assert dead == [f"{topic}.dlq"]

    def firing() -> list[dict[str, Any]]:
        alerts = _get(f"{prometheus}/api/v1/alerts")["data"]["alerts"]
        return [
            a
            for a in alerts
            if a["labels"]["alertname"] == "XunchaDeadLetters"
            and a["labels"].get("topic") == topic
            and a["state"] == "firing"
        ]

    [alert] = await _until("XunchaDeadLetters firing", firing)
    assert alert["labels"]["severity"] == "critical"
    assert topic in alert["annotations"]["summary"]
    assert alert["annotations"]["runbook"] == "docs/troubleshooting.md#dead-letters"
    targets = _get(f"{prometheus}/api/v1/targets")["data"]["activeTargets"]
    assert [t["health"] for t in targets] == ["up"]
