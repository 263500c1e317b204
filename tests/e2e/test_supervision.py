"""A service under the local deployment's supervisor (deploy/local/supervise.py), killed with
SIGKILL while petitions are being posted: it is started again by itself and serves, and every
petition was either acknowledged and kept (in intake's history once, in the linked view, one clue
each) or refused with a clear error (connection refused, or a 503 problem) - nothing
acknowledged is lost."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from tests.e2e.stack import LINCHUAN, Running, _spawn, _wait_ready, service_stack

pytestmark = [pytest.mark.timeout(600)]


@pytest.fixture(scope="module")
async def stack(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    async with service_stack(infra, tmp_path_factory.mktemp("supervision-logs")) as running:
        yield running


def _supervisor_status(run_dir: Path) -> dict[str, Any]:
    with contextlib.suppress(FileNotFoundError, json.JSONDecodeError):
        data: dict[str, Any] = json.loads((run_dir / "intake.supervisor.json").read_text())
        return data
    return {}


async def _supervise_intake(stack: Running, run_dir: Path) -> None:
    """Replace the stack's intake process by the same command under the supervisor."""
    old = stack.procs["intake"]
    old.send_signal(signal.SIGTERM)
    await asyncio.to_thread(old.wait, 30)
    log = stack.logs / "intake-supervised.log"
    proc = _spawn("intake", stack.envs["intake"], log, ("intake", run_dir))
    stack.procs["intake"] = proc  # the stack stops it at the end (SIGTERM: child and all)
    await _wait_ready("intake", proc, stack.urls["intake"], log)


async def _linked_row(stack: Running) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=stack.urls["reporting"], timeout=10) as client:
        resp = await client.get(
            "/api/v1/views/linked", headers={"Authorization": f"Bearer {stack.tokens['city']}"}
        )
    assert resp.status_code == 200, resp.text
    (row,) = [r for r in resp.json()["counties"] if r["jurisdiction"] == LINCHUAN]
    found: dict[str, Any] = row
    return found


class Poster:
    """Posts petitions one after another; sorts each outcome into acknowledged or refused."""

    def __init__(self, stack: Running) -> None:
        self.stack = stack
        self.acked: list[str] = []
        self.refused: list[str] = []
        self.unexpected: list[str] = []
        self.stop = asyncio.Event()

    async def run(self) -> None:
        headers = {"Authorization": f"Bearer {self.stack.tokens['linchuan']}"}
        async with httpx.AsyncClient(base_url=self.stack.urls["intake"], timeout=15) as client:
            i = 0
            while not self.stop.is_set():
                i += 1
                body = {
                    "jurisdiction": LINCHUAN,
                    "unit": "临川区农业农村局",
                    "channel": "letter",
                    "summary": f"反映问题第{i}件（监管重启测试）",
                    "informant": {"name": "刘桂兰", "phone": "13979461234"},
                }
                try:
                    resp = await client.post("/api/v1/petitions", headers=headers, json=body)
                except httpx.TransportError as exc:  # refused or cut: the client knows
                    self.refused.append(type(exc).__name__)
                    await asyncio.sleep(0.2)
                    continue
                if resp.status_code in (200, 201, 202):
                    self.acked.append(str(resp.json()["id"]))
                elif resp.status_code == 503 and resp.headers.get("content-type", "").startswith(
                    "application/problem+json"
                ):
                    self.refused.append("503")
                else:
                    self.unexpected.append(f"{resp.status_code} {resp.text[:200]}")
                await asyncio.sleep(0.1)


async def test_a_supervised_service_killed_comes_back_and_loses_nothing_acknowledged(
    stack: Running, tmp_path: Path
) -> None:
    await _supervise_intake(stack, tmp_path)
    before = await _linked_row(stack)
    poster = Poster(stack)
    sending = asyncio.create_task(poster.run())
    try:
        deadline = time.monotonic() + 60
        while len(poster.acked) < 10:  # petitions are flowing
            assert time.monotonic() < deadline, f"no petitions acknowledged: {poster.unexpected}"
            await asyncio.sleep(0.1)
        first_child = _supervisor_status(tmp_path)["child_pid"]
        os.kill(first_child, signal.SIGKILL)
        acked_at_kill = len(poster.acked)

        # started again by the supervisor alone, and serving: more petitions acknowledged
        deadline = time.monotonic() + 180
        while True:
            status = _supervisor_status(tmp_path)
            back = status.get("restarts") == 1 and status.get("child_pid") not in (
                None,
                first_child,
            )
            if back and len(poster.acked) >= acked_at_kill + 10:
                break
            assert time.monotonic() < deadline, f"intake not back: {status} {poster.unexpected}"
            await asyncio.sleep(0.2)
    finally:
        poster.stop.set()
        await sending
    assert status["last_exit"] == "signal 9 (SIGKILL)"
    assert poster.unexpected == []
    print(
        f"\nsupervision: {len(poster.acked)} acknowledged, {len(poster.refused)} refused "
        f"while intake was down ({sorted(set(poster.refused))})"
    )

    # every acknowledged petition is kept: once in intake's history ...
    conn = await asyncpg.connect(stack.admin_database_url("intake"))
    try:
        rows = await conn.fetch(
            "SELECT stream_id, count(*) AS n FROM events "
            "WHERE event_type = 'intake.PetitionReceived' AND stream_id = ANY($1::text[]) "
            "GROUP BY stream_id",
            poster.acked,
        )
    finally:
        await conn.close()
    assert {r["stream_id"]: r["n"] for r in rows} == dict.fromkeys(poster.acked, 1)
    # ... and once down the chain: the linked view counts each, one clue each
    n = len(poster.acked)
    deadline = time.monotonic() + 120
    while True:
        row = await _linked_row(stack)
        if (
            row["petitions_received"] >= before["petitions_received"] + n
            and row["clues_registered"] >= before["clues_registered"] + n
        ):
            break
        assert time.monotonic() < deadline, f"the chain did not catch up: {row} (+{n})"
        await asyncio.sleep(0.5)
    await asyncio.sleep(2)  # redeliveries after the restart would land now
    row = await _linked_row(stack)
    assert row["petitions_received"] == before["petitions_received"] + n
    assert row["clues_registered"] == before["clues_registered"] + n
    assert uuid.UUID(poster.acked[-1])  # ids are what the API returned
