"""The local deployment's PostgreSQL runs under deploy/local/supervise.py: a SIGKILLed postmaster
is started again by its supervisor alone (no `make up`), replays its WAL and accepts connections
again; `pg.sh start` meanwhile waits for that recovery instead of failing, `pg.sh status` counts
the restart, and `pg.sh stop` ends it (fast shutdown). A scratch cluster of its own (state folder
and port), so the session's PostgreSQL is never disturbed."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.infra import Infra

REPO = Path(__file__).resolve().parents[2]
PG_SH = REPO / "deploy/local/pg.sh"

pytestmark = [pytest.mark.timeout(300)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _pg_sh(env: dict[str, str], command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PG_SH), command],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )


def _supervisor(state: Path) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((state / "run/postgres.supervisor.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return {}
    return data


async def _select_1(state: Path, port: int) -> int:
    password = (state / "secrets/pg-postgres").read_text().strip()
    conn = await asyncpg.connect(
        host="127.0.0.1", port=port, user="postgres", password=password, database="postgres"
    )
    try:
        value: int = await conn.fetchval("SELECT 1")
        return value
    finally:
        await conn.close()


async def test_a_killed_postmaster_comes_back_by_itself(infra: Infra, tmp_path: Path) -> None:
    if infra.backend != "local":
        pytest.skip("the local deployment's PostgreSQL (deploy/local/pg.sh)")
    state = tmp_path / "state"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env |= {"XUNCHA_LOCAL_STATE": str(state), "XUNCHA_PG_PORT": str(port)}
    try:
        started = _pg_sh(env, "start")
        assert started.returncode == 0, started.stderr
        assert await _select_1(state, port) == 1
        first = _supervisor(state)
        assert first["state"] == "running" and first["restarts"] == 0, first
        postmaster = int((state / "pg/data/postmaster.pid").read_text().split()[0])
        assert postmaster == first["child_pid"]

        os.kill(postmaster, signal.SIGKILL)
        # nobody runs pg.sh: the supervisor starts it again and it recovers by itself
        deadline = time.monotonic() + 120
        while True:
            status = _supervisor(state)
            if status.get("restarts") == 1 and status.get("child_pid") not in (None, postmaster):
                try:
                    if await _select_1(state, port) == 1:
                        break
                except (OSError, asyncpg.PostgresError):
                    pass  # starting, or replaying its WAL
            assert time.monotonic() < deadline, f"PostgreSQL not back: {status}"
            time.sleep(0.2)
        assert status["last_exit"] == "signal 9 (SIGKILL)"

        # what `make up` and `make status` see: running, one restart, the SIGKILL
        again = _pg_sh(env, "start")
        assert again.returncode == 0, again.stderr
        shown = _pg_sh(env, "status")
        assert shown.returncode == 0, shown.stdout
        assert "restarts 1 (last: signal 9 (SIGKILL)" in shown.stdout, shown.stdout
    finally:
        stopped = _pg_sh(env, "stop")
    assert stopped.returncode == 0, stopped.stderr
    assert _supervisor(state)["state"] == "stopped"
    assert _pg_sh(env, "status").returncode == 1
