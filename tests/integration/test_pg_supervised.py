"""The local deployment's PostgreSQL runs under deploy/local/supervise.py: a SIGKILLed postmaster
is started again by its supervisor alone (no `make up`), replays its WAL and accepts connections
again; `pg.sh start` meanwhile waits for that recovery instead of failing, `pg.sh status` counts
the restart, and `pg.sh stop` ends it (fast shutdown). A scratch cluster of its own (state folder
and port), so the session's PostgreSQL is never disturbed."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import asyncpg
import pytest

from tests.infra import Infra
from tests.support.private_pg import PrivatePostgres, private_postgres

pytestmark = [pytest.mark.timeout(300)]


async def _select_1(pg: PrivatePostgres) -> int:
    conn = await asyncpg.connect(pg.url())
    try:
        value: int = await conn.fetchval("SELECT 1")
        return value
    finally:
        await conn.close()


async def test_a_killed_postmaster_comes_back_by_itself(infra: Infra, tmp_path: Path) -> None:
    if infra.backend != "local":
        pytest.skip("the local deployment's PostgreSQL (deploy/local/pg.sh)")
    with private_postgres(tmp_path) as pg:
        assert await _select_1(pg) == 1
        first = pg.supervisor()
        assert first["state"] == "running" and first["restarts"] == 0, first
        postmaster = pg.postmaster_pid()
        assert postmaster == first["child_pid"]

        os.kill(postmaster, signal.SIGKILL)
        # nobody runs pg.sh: the supervisor starts it again and it recovers by itself
        deadline = time.monotonic() + 120
        while True:
            status = pg.supervisor()
            if status.get("restarts") == 1 and status.get("child_pid") not in (None, postmaster):
                try:
                    if await _select_1(pg) == 1:
                        break
                except (OSError, asyncpg.PostgresError):
                    pass  # starting, or replaying its WAL
            assert time.monotonic() < deadline, f"PostgreSQL not back: {status}"
            time.sleep(0.2)
        assert status["last_exit"] == "signal 9 (SIGKILL)"

        # what `make up` and `make status` see: running, one restart, the SIGKILL
        again = pg.pg_sh("start")
        assert again.returncode == 0, again.stderr
        shown = pg.pg_sh("status")
        assert shown.returncode == 0, shown.stdout
        assert "restarts 1 (last: signal 9 (SIGKILL)" in shown.stdout, shown.stdout

        stopped = pg.pg_sh("stop")
        assert stopped.returncode == 0, stopped.stderr
        assert pg.supervisor()["state"] == "stopped"
        assert pg.pg_sh("status").returncode == 1
