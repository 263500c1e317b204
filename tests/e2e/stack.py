"""The four services as real processes (their console scripts) on their own databases and
topics, for the end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from xuncha_shared import provision
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.provision.acls import CLUSTER
from xuncha_shared.settings import SERVICES, database_url_for

REPO = Path(__file__).resolve().parents[2]
LINCHUAN = "361002"
INFORMANT_NAME = "刘桂兰"
INFORMANT_PHONE = "13979461234"


@dataclass
class Running:
    urls: dict[str, str]
    tokens: dict[str, str]
    db_prefix: str  # this module's own service databases (the session's stay untouched)
    databases: dict[str, str]  # service -> URL as the service's role
    pg_admin_url: str
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    envs: dict[str, dict[str, str]] = field(default_factory=dict)
    logs: Path = Path()
    #: every copy's URL by service (``copies`` > 1: instance ``<svc>-2`` is the second)
    copy_urls: dict[str, list[str]] = field(default_factory=dict)
    #: with ``supervised_in``: where each instance's supervisor keeps its status file
    run_dir: Path | None = None

    async def kill_and_restart(self, service: str) -> None:
        """SIGKILL one service process, start it again with the same environment, wait ready."""
        proc = self.procs[service]
        proc.send_signal(signal.SIGKILL)
        await asyncio.to_thread(proc.wait, 10)
        log = self.logs / f"{service}.log"
        self.procs[service] = _spawn(service, self.envs[service], log)
        await _wait_ready(service, self.procs[service], self.urls[service], log)

    def admin_database_url(self, service: str) -> str:
        return database_url_for(self.pg_admin_url, f"{self.db_prefix}{service}")


def _script(service: str) -> str:
    found = shutil.which(f"xuncha-{service}", path=str(Path(sys.executable).parent))
    if not found:
        pytest.skip(f"console script xuncha-{service} is not installed")
    return found


SUPERVISE = REPO / "deploy/local/supervise.py"


def _spawn(
    service: str, env: dict[str, str], log_path: Path, supervised: tuple[str, Path] | None = None
) -> subprocess.Popen[bytes]:
    """The service's console script; with ``supervised`` = (instance, run dir) under
    deploy/local/supervise.py, as the local deployment runs it."""
    command = [_script(service)]
    if supervised is not None:
        name, run_dir = supervised
        command = [sys.executable, str(SUPERVISE), "--name", name, "--run-dir", str(run_dir)]
        command += ["--", _script(service)]
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command,
            env=env,
            cwd=REPO,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:]


async def _wait_ready(
    service: str, proc: subprocess.Popen[bytes], url: str, log: Path, seconds: float = 120
) -> None:
    """Until ``url``/readyz answers 200; fails at once (with the log) if the process exits."""
    deadline = asyncio.get_running_loop().time() + seconds
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            if proc.poll() is not None:
                tail = _tail(log)
                raise AssertionError(f"{service} exited with {proc.returncode}:\n{tail}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(f"{url}/readyz")).status_code == 200:
                    return
            if asyncio.get_running_loop().time() > deadline:
                tail = _tail(log)
                raise AssertionError(f"{service} not ready after {seconds}s:\n{tail}")
            await asyncio.sleep(0.3)


@contextlib.asynccontextmanager
async def service_stack(
    infra: Any,
    logs: Path,
    *,
    copies: int = 1,
    supervised_in: Path | None = None,
    extra_env: dict[str, str] | None = None,
) -> AsyncIterator[Running]:
    """The four services as subprocesses (``xuncha-<svc>``) on free ports; stopped at the end.
    ``copies`` = 2 runs a second copy of each (instance ``<svc>-2``, same database and
    groups); ``supervised_in`` runs each under deploy/local/supervise.py (status files there);
    ``extra_env`` is added to every service's environment."""
    procs: dict[str, subprocess.Popen[bytes]] = {}
    urls: dict[str, str] = {}
    envs: dict[str, dict[str, str]] = {}
    # own databases and topics: the services' relays and consumers never touch the session's
    run = uuid.uuid4().hex[:6]
    db_prefix = f"{infra.db_prefix}e2e{run}_"
    topic_prefix = f"{infra.topic_prefix}e2e{run}."
    dbs = await provision.create_service_databases(infra.pg_admin_url, db_prefix)
    await provision.provision_topics(infra.kafka_bootstrap, topic_prefix)
    # each service process is its own Kafka principal: its ACLs for this stack's topics
    acls = (
        await provision.ensure_service_acls(infra.kafka_bootstrap, topic_prefix)
        if infra.kafka_users
        else []
    )
    # the cluster-wide ACLs (idempotent write) are the session's too: left to the session
    own_acls = [acl for acl in acls if acl.resource_type != CLUSTER]
    databases = {svc: dbs[svc].url for svc in SERVICES}
    copy_urls: dict[str, list[str]] = {svc: [] for svc in SERVICES}
    try:
        for service in SERVICES:
            for copy in range(1, copies + 1):
                inst = service if copy == 1 else f"{service}-{copy}"
                env = infra.env(
                    service,
                    service_principal=True,
                    XUNCHA_DATABASE_URL=databases[service],
                    XUNCHA_DB_NAME_PREFIX=db_prefix,
                    XUNCHA_TOPIC_PREFIX=topic_prefix,
                )
                env.update(extra_env or {})
                envs[inst] = env
                urls[inst] = f"http://127.0.0.1:{env['XUNCHA_HTTP_PORT']}"
                copy_urls[service].append(urls[inst])
                supervised = (inst, supervised_in) if supervised_in is not None else None
                procs[inst] = _spawn(service, env, logs / f"{inst}.log", supervised)
        for inst, proc in procs.items():
            await _wait_ready(inst, proc, urls[inst], logs / f"{inst}.log")
        principals = {
            "city": Principal(id="e2e-city", role=Role.CITY_ADMIN, jurisdiction="361000"),
            "linchuan": Principal(id="e2e-lc", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN),
            "discipline": Principal(
                id="e2e-jw",
                role=Role.DEPARTMENT,
                jurisdiction="361000",
                department=Department.DISCIPLINE,
            ),
        }
        tokens = {
            name: await create_token_in(databases.values(), p) for name, p in principals.items()
        }
        yield Running(
            urls=urls,
            tokens=tokens,
            db_prefix=db_prefix,
            databases=databases,
            pg_admin_url=infra.pg_admin_url,
            procs=procs,
            envs=envs,
            logs=logs,
            copy_urls=copy_urls,
            run_dir=supervised_in,
        )
    finally:
        for proc in procs.values():
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGTERM)
        for proc in procs.values():
            try:
                await asyncio.to_thread(proc.wait, 20)
            except subprocess.TimeoutExpired:
                proc.kill()
                await asyncio.to_thread(proc.wait, 10)
        await provision.drop_prefixed_databases(infra.pg_admin_url, db_prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, topic_prefix)
        await provision.remove_acls(infra.kafka_bootstrap, own_acls)


async def submit_petition(running: Running, summary: str) -> dict[str, object]:
    """A real-name letter about a unit of 临川区, through intake's public API."""
    async with httpx.AsyncClient(base_url=running.urls["intake"], timeout=20) as client:
        resp = await client.post(
            "/api/v1/petitions",
            headers={"Authorization": f"Bearer {running.tokens['linchuan']}"},
            json={
                "jurisdiction": LINCHUAN,
                "unit": "临川区农业农村局",
                "channel": "letter",
                "summary": summary,
                "informant": {"name": INFORMANT_NAME, "phone": INFORMANT_PHONE},
            },
        )
    assert resp.status_code in (200, 201, 202), resp.text
    doc: dict[str, object] = resp.json()
    return doc
