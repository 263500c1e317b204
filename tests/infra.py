"""Real PostgreSQL and Kafka for the integration and e2e tests.

Where the infrastructure comes from (``XUNCHA_TEST_INFRA``: ``auto`` by default):

- ``docker``: a reachable Docker engine -> testcontainers ``postgres:15`` and ``apache/kafka``
  (KRaft, single node), thrown away at the end of the session;
- ``local``: no Docker engine (this project's machines, CI) -> the project-local PostgreSQL
  (127.0.0.1:15432, ``XUNCHA_PG_PORT``) and Kafka (127.0.0.1:19092, ``XUNCHA_KAFKA_PORT``) of
  ``deploy/local`` (state ``XUNCHA_LOCAL_STATE``, default <repo>/.xuncha), started by its
  scripts if they do not run yet (so plain ``pytest`` works) and left running afterwards. The
  services are never started here: e2e tests launch their own processes with ``Infra.env``.

Authentication (local): the superuser's password and the Kafka users come from the local
deployment's generated secrets (``<state>/secrets``; ``XUNCHA_SECRETS_DIR`` is set for this
process and every subprocess, so any ``Settings()`` finds them). The test code itself talks to
Kafka as the admin principal; ``Infra.env(service, service_principal=True)`` gives a service
process its own principal (``kafka_users``), whose ACLs for a topic prefix
``provision.ensure_service_acls`` creates (the session's prefix at start, removed at the end).

Under pytest-xdist (`XUNCHA_TEST_WORKERS=2 make test`) the second worker's "local deployment" is
its lane, a PostgreSQL and a Kafka of its own (tests/lanes.py): ``LocalBackend`` starts it with
the same scripts, one worker's start at a time, and stops it at the end of the last session
using it.

Every session isolates itself with a fresh ``run_id``: databases and roles ``<run_id>_<svc>``,
topics ``<run_id>.<topic>``; they are dropped at the end of the session, so reruns and a
running ``make up`` never collide.
"""

from __future__ import annotations

import asyncio
import os
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import asyncpg
from xuncha_shared import provision, secrets
from xuncha_shared.db import create_pool, migrate
from xuncha_shared.settings import SERVICES, Settings, database_url_for

from bench.ports import free_port
from tests import lanes

REPO_ROOT = Path(__file__).resolve().parents[1]

POSTGRES_IMAGE = "postgres:15"
KAFKA_IMAGE = "apache/kafka:4.2.0"


@dataclass
class Infra:
    """What a test needs to reach the infrastructure of this session."""

    pg_admin_url: str
    kafka_bootstrap: str
    run_id: str
    backend: str  # "local" or "docker"
    state_dir: str
    services: tuple[str, ...] = field(default=SERVICES)
    #: Kafka SCRAM passwords by principal (``admin`` and one per service); empty: no SASL
    kafka_users: dict[str, str] = field(default_factory=dict)
    secrets_dir: str | None = None

    @property
    def db_prefix(self) -> str:
        return f"{self.run_id}_"

    @property
    def topic_prefix(self) -> str:
        return f"{self.run_id}."

    def database_url(self, service: str) -> str:
        """URL of ``service``'s own database as its own role (password auth)."""
        return provision.service_database(self.pg_admin_url, service, self.db_prefix).url

    def admin_database_url(self, service: str) -> str:
        """URL of ``service``'s database as the superuser (for assertions across services)."""
        return database_url_for(self.pg_admin_url, f"{self.db_prefix}{service}")

    def settings(self, service: str, **overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "service": service,
            "database_url": self.database_url(service),
            "pg_admin_url": self.pg_admin_url,
            "db_name_prefix": self.db_prefix,
            "kafka_bootstrap": self.kafka_bootstrap,
            "topic_prefix": self.topic_prefix,
            "state_dir": self.state_dir,
            **self.kafka_settings(),
        }
        values.update(overrides)
        return Settings(**values)

    def kafka_settings(self, principal: str = "admin") -> dict[str, Any]:
        """Settings fields that make a client authenticate as ``principal``."""
        if not self.kafka_users:
            return {"kafka_security_protocol": "PLAINTEXT"}
        return {
            "kafka_security_protocol": "SASL_PLAINTEXT",
            "kafka_username": principal,
            "kafka_password": self.kafka_users[principal],
        }

    def kafka_env(self, principal: str = "admin") -> dict[str, str]:
        """The ``XUNCHA_KAFKA_*`` variables of ``kafka_settings``."""
        return {
            f"XUNCHA_{key.upper()}": str(value)
            for key, value in self.kafka_settings(principal).items()
        }

    def env(
        self,
        service: str,
        *,
        http_port: int | None = None,
        service_principal: bool = False,
        **extra: str,
    ) -> dict[str, str]:
        """Complete environment for a subprocess of ``service`` (``subprocess.Popen(env=...)``):
        the current environment without any inherited ``XUNCHA_*`` plus this session's.
        ``http_port`` defaults to a free port (never 8000-8003: a running ``make up`` owns
        those); read it back from ``env["XUNCHA_HTTP_PORT"]``. Kafka: the admin principal (a
        CLI, a tool), or with ``service_principal`` the service's own (a service process,
        whose ACLs ``provision.ensure_service_acls`` creates for its topic prefix)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        env.update(
            {
                "XUNCHA_SERVICE": service,
                "XUNCHA_DATABASE_URL": self.database_url(service),
                "XUNCHA_PG_ADMIN_URL": self.pg_admin_url,
                "XUNCHA_DB_NAME_PREFIX": self.db_prefix,
                "XUNCHA_KAFKA_BOOTSTRAP": self.kafka_bootstrap,
                "XUNCHA_TOPIC_PREFIX": self.topic_prefix,
                "XUNCHA_HTTP_HOST": "127.0.0.1",
                "XUNCHA_HTTP_PORT": str(http_port or free_port()),
                "XUNCHA_STATE_DIR": self.state_dir,
                "PYTHONUNBUFFERED": "1",
                **self.kafka_env(
                    service if service_principal and service in self.kafka_users else "admin"
                ),
            }
        )
        if self.secrets_dir:
            env["XUNCHA_SECRETS_DIR"] = self.secrets_dir
        env.update(extra)
        return env


@dataclass
class FreshDb:
    """A brand-new database (owned by the superuser) with the core schema."""

    name: str
    url: str
    pool: asyncpg.Pool


def new_run_id() -> str:
    return "t" + uuid.uuid4().hex[:8]


# ---- backends --------------------------------------------------------------------------------


class Backend(Protocol):
    name: str
    pg_admin_url: str
    kafka_bootstrap: str
    kafka_users: dict[str, str]
    secrets_dir: str | None

    def start(self) -> None: ...

    def stop(self) -> None: ...


def docker_available() -> bool:
    """True when a Docker engine answers a ping (``XUNCHA_TEST_INFRA`` forces either way)."""
    mode = os.environ.get("XUNCHA_TEST_INFRA", "auto")
    if mode in ("local", "docker"):
        return mode == "docker"
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            import docker

            client = docker.from_env(timeout=3)
        except Exception:
            return False
        try:
            return bool(client.ping())
        except Exception:
            return False
        finally:
            client.close()


class LocalBackend:
    """deploy/local: the same PostgreSQL and Kafka as ``make up`` (started here if needed)."""

    name = "local"

    def __init__(self) -> None:
        state = os.environ.get("XUNCHA_LOCAL_STATE") or str(REPO_ROOT / ".xuncha")
        self.secrets_dir: str | None = os.environ.get("XUNCHA_SECRETS_DIR") or str(
            Path(state) / "secrets"
        )
        self.pg_admin_url = ""
        self.kafka_bootstrap = ""
        self.kafka_users: dict[str, str] = {}
        self._lane_users: IO[str] | None = None

    def start(self) -> None:
        if lanes.in_lane():
            lanes.prepare_lane()
            self._lane_users = lanes.hold_lane()  # no other session stops it under this one
        lanes.run_scripts("start")
        # the scripts generated the secrets (a fresh machine) or found them: from now on every
        # Settings() of this process and of its subprocesses reads them
        assert self.secrets_dir
        os.environ["XUNCHA_SECRETS_DIR"] = self.secrets_dir
        folder = Path(self.secrets_dir)
        settings = Settings()
        self.pg_admin_url = settings.pg_admin_url
        self.kafka_bootstrap = settings.kafka_bootstrap
        self.kafka_users = {
            user: value
            for user in secrets.KAFKA_PRINCIPALS
            if (value := secrets.read(secrets.kafka_file(user), folder))
        }

    def stop(self) -> None:
        """Left running: shared with ``make up`` and the next test run (``make down`` stops).
        A lane (tests/lanes.py) is stopped, its data kept for the next, by the last session
        using it."""
        if self._lane_users is not None:
            handle, self._lane_users = self._lane_users, None
            lanes.release_lane(handle)


class DockerBackend:
    """testcontainers: postgres:15 and apache/kafka (KRaft), removed at the end."""

    name = "docker"

    def __init__(self) -> None:
        self.pg_admin_url = ""
        self.kafka_bootstrap = ""
        # the throw-away containers run without Kafka authentication (docker-compose.yml
        # documents the authenticated production shape)
        self.kafka_users: dict[str, str] = {}
        self.secrets_dir: str | None = None
        self._containers: list[Any] = []

    def start(self) -> None:
        from testcontainers.community.postgres import PostgresContainer
        from testcontainers.core.container import DockerContainer

        pg = PostgresContainer(
            POSTGRES_IMAGE, username="postgres", password="postgres", dbname="postgres", driver=None
        ).with_command("postgres -c max_connections=300 -c shared_buffers=256MB")
        pg.start()
        self._containers.append(pg)
        self.pg_admin_url = pg.get_connection_url(driver=None)

        # apache/kafka advertises what it is told: the host port is chosen up front and bound
        # 1:1 so the advertised address is right both inside the container and on the host
        port = free_port()
        kafka = DockerContainer(KAFKA_IMAGE).with_bind_ports(port, port)
        host = kafka.get_docker_client().host()
        for key, value in {
            "CLUSTER_ID": "MkU3OEVBNTcwNTJENDM2Qk",
            "KAFKA_NODE_ID": "1",
            "KAFKA_PROCESS_ROLES": "broker,controller",
            "KAFKA_LISTENERS": f"PLAINTEXT://0.0.0.0:{port},CONTROLLER://0.0.0.0:9093",
            "KAFKA_ADVERTISED_LISTENERS": f"PLAINTEXT://{host}:{port}",
            "KAFKA_CONTROLLER_LISTENER_NAMES": "CONTROLLER",
            "KAFKA_INTER_BROKER_LISTENER_NAME": "PLAINTEXT",
            "KAFKA_LISTENER_SECURITY_PROTOCOL_MAP": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "KAFKA_CONTROLLER_QUORUM_VOTERS": "1@localhost:9093",
            "KAFKA_AUTO_CREATE_TOPICS_ENABLE": "false",
            "KAFKA_NUM_PARTITIONS": "6",
            "KAFKA_LOG_RETENTION_MS": "-1",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "1",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "1",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR": "1",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR": "1",
            "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS": "0",
            "KAFKA_LOG_CLEANER_DEDUPE_BUFFER_SIZE": "16777216",
        }.items():
            kafka.with_env(key, value)
        kafka.start()
        self._containers.append(kafka)
        self.kafka_bootstrap = f"{host}:{port}"

    def stop(self) -> None:
        while self._containers:
            container = self._containers.pop()
            try:
                container.stop()
            except Exception as exc:  # pragma: no cover - best effort at session end
                warnings.warn(f"could not stop {container}: {exc}", RuntimeWarning, stacklevel=1)


def make_backend() -> Backend:
    return DockerBackend() if docker_available() else LocalBackend()


# ---- session life cycle ----------------------------------------------------------------------


async def start_infra(state_dir: str, run_folder: Path) -> tuple[Infra, Backend]:
    """``run_folder``: shared by the xdist workers of this run, whose starts go one at a time
    (a fresh machine's first start installs packages and fetches jars)."""
    backend = make_backend()

    def start() -> None:
        with lanes.serialized(run_folder, "infra-start"):
            backend.start()

    await asyncio.to_thread(start)
    try:
        await provision.wait_for_postgres(backend.pg_admin_url, 60)
        await provision.wait_for_kafka(backend.kafka_bootstrap, 120)
        infra = Infra(
            pg_admin_url=backend.pg_admin_url,
            kafka_bootstrap=backend.kafka_bootstrap,
            run_id=new_run_id(),
            backend=backend.name,
            state_dir=state_dir,
            kafka_users=dict(backend.kafka_users),
            secrets_dir=backend.secrets_dir,
        )
        await provision.create_service_databases(infra.pg_admin_url, infra.db_prefix)
        await provision.provision_topics(infra.kafka_bootstrap, infra.topic_prefix)
        if infra.kafka_users:
            await provision.ensure_service_acls(infra.kafka_bootstrap, infra.topic_prefix)
    except BaseException:
        await asyncio.to_thread(backend.stop)
        raise
    return infra, backend


async def stop_infra(infra: Infra, backend: Backend) -> None:
    try:
        await provision.drop_prefixed_databases(infra.pg_admin_url, infra.db_prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, infra.topic_prefix)
        if infra.kafka_users:
            await provision.remove_acls(
                infra.kafka_bootstrap, provision.all_service_acls(infra.topic_prefix)
            )
    finally:
        await asyncio.to_thread(backend.stop)


async def create_fresh_db(infra: Infra) -> FreshDb:
    name = f"{infra.db_prefix}fresh_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        await provision.ensure_database(admin, name, None, private=False)
    finally:
        await admin.close()
    url = database_url_for(infra.pg_admin_url, name)
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()
    return FreshDb(name=name, url=url, pool=await create_pool(url))


async def drop_fresh_db(infra: Infra, db: FreshDb) -> None:
    try:
        await asyncio.wait_for(db.pool.close(), timeout=10)
    except TimeoutError:
        db.pool.terminate()  # a test kept a connection checked out
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        await provision.drop_database(admin, db.name)
    finally:
        await admin.close()
