"""A PostgreSQL cluster of a test's own, started by the local deployment's own script
(``deploy/local/pg.sh``, under ``deploy/local/supervise.py`` like the deployment's): its own
state folder and port, so tests that kill it never disturb the session's PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.ports import free_port
from tests.lanes import deploy_script


@dataclass(frozen=True)
class PrivatePostgres:
    state: Path
    port: int
    env: dict[str, str]  # what runs pg.sh on this cluster

    def pg_sh(self, command: str) -> subprocess.CompletedProcess[str]:
        return deploy_script("pg.sh", command, env=self.env, timeout=240)

    def supervisor(self) -> dict[str, Any]:
        """The supervisor's status file (``{}`` before it wrote one)."""
        try:
            data: dict[str, Any] = json.loads(
                (self.state / "run/postgres.supervisor.json").read_text()
            )
        except (FileNotFoundError, json.JSONDecodeError):
            return {}
        return data

    def postmaster_pid(self) -> int:
        return int((self.state / "pg/data/postmaster.pid").read_text().split()[0])

    def url(self, database: str = "postgres") -> str:
        """The superuser's URL of ``database``."""
        password = (self.state / "secrets/pg-postgres").read_text().strip()
        return f"postgresql://postgres:{password}@127.0.0.1:{self.port}/{database}"


@contextmanager
def private_postgres(tmp_path: Path) -> Iterator[PrivatePostgres]:
    """Started (``pg.sh start``) in ``tmp_path / "state"``; stopped at the end."""
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    pg = PrivatePostgres(state, free_port(), env)
    env |= {"XUNCHA_LOCAL_STATE": str(state), "XUNCHA_PG_PORT": str(pg.port)}
    try:
        started = pg.pg_sh("start")
        assert started.returncode == 0, started.stderr
        yield pg
    finally:
        pg.pg_sh("stop")
