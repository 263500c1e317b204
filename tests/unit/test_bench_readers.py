"""The term benchmark's readers (``bench.readers``): wrk's report read back, a request that
failed without an answer ranked at the client's timeout; and wrk itself against a small local
server (the token sent from the environment, refusals counted as errors)."""

from __future__ import annotations

import asyncio
import http.server
import shutil
import threading
from collections.abc import Iterator
from typing import ClassVar

import pytest

from bench.readers import parse_report, read_under_load, with_query

pytestmark = pytest.mark.unit


def report(**values: int) -> dict[str, int]:
    base = {
        "answered": 1000, "failed": 0, "status_errors": 0, "timeouts": 0,
        "duration_us": 2_000_000, "p50_us": 40_000, "p99_us": 90_000, "max_us": 120_000,
    }  # fmt: skip
    return base | values


def test_the_percentiles_and_the_rate_come_from_the_report() -> None:
    reads = parse_report(report(), timeout=30)
    assert reads.requests == 1000 and reads.errors == 0
    assert reads.per_s == 500.0
    assert (reads.p50_ms, reads.p99_ms) == (40.0, 90.0)


def test_a_failed_request_counts_as_an_error_and_its_rank_at_the_timeout() -> None:
    reads = parse_report(report(answered=980, failed=20, status_errors=3, p99_us=-1), timeout=30)
    assert reads.requests == 1000
    assert reads.errors == 23  # the 20 without an answer and the 3 refused
    assert reads.p99_ms == 30_000.0


def test_list_parameters_repeat_their_key() -> None:
    url = with_query(
        "http://x/views/deadlines", {"state": ["overdue", "warning_red"], "limit": "20"}
    )
    assert url == "http://x/views/deadlines?state=overdue&state=warning_red&limit=20"
    assert with_query("http://x/v", {}) == "http://x/v"


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen: ClassVar[list[str | None]] = []

    def do_GET(self) -> None:
        auth = self.headers.get("Authorization")
        type(self).seen.append(auth)
        body = b'{"ok": true}'
        self.send_response(200 if auth == "Bearer right" else 401)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """No access log on stderr: the test reads what the handler recorded in ``seen``."""


@pytest.fixture
def server() -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/views/version"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is installed by make test")
def test_wrk_sends_the_token_and_counts_refusals(server: str) -> None:
    _Handler.seen.clear()
    good = asyncio.run(read_under_load(
        server, {}, authorization="Bearer right", readers=4, seconds=1, timeout=5
    ))  # fmt: skip
    assert good.requests > 0 and good.errors == 0 and good.p99_ms > 0
    assert set(_Handler.seen) == {"Bearer right"}
    refused = asyncio.run(read_under_load(
        server, {}, authorization="Bearer wrong", readers=4, seconds=1, timeout=5
    ))  # fmt: skip
    assert refused.requests > 0 and refused.errors == refused.requests
