"""The auditor role's side of the audit API: one small pool per service database as the
read-only role ``xuncha_auditor``, the keys this server trusts, and infrastructure failures as
503 problems naming the cause."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Iterator

import asyncpg
from aiokafka.errors import KafkaError
from xuncha_shared.audit.access import Connector
from xuncha_shared.audit.checkpoints import CheckpointFormatError, TrustedKey, load_trust
from xuncha_shared.db import create_pool
from xuncha_shared.http.problems import ProblemError, problem_type
from xuncha_shared.settings import AUDITOR_ROLE, SERVICES, Settings

log = logging.getLogger("xuncha.reporting.audit")

#: ``ctx.extras`` key of the auditor pools
POOLS_KEY = "audit_pools"
TYPE_UNAVAILABLE = problem_type("audit-unavailable")


class AuditorPools:
    """One small pool per service database, as the read-only auditor role; each opened on
    first use (a failed opening is retried on the next request), all closed by ``close``.

    An as-of replay (one at a time) holds a connection of each pool while it projects, until
    its store's history is all read; the other two serve the other audit reads meanwhile."""

    def __init__(self, settings: Settings, *, max_size: int = 3) -> None:
        self.settings = settings
        self.max_size = max_size
        self._pools: dict[str, asyncpg.Pool] = {}
        self._lock = asyncio.Lock()

    async def pool(self, service: str) -> asyncpg.Pool:
        pool = self._pools.get(service)
        if pool is None:
            async with self._lock:
                pool = self._pools.get(service)
                if pool is None:
                    # min_size 1: opening the pool proves the role can connect
                    pool = await create_pool(
                        self.settings.audit_database_url(service),
                        min_size=1,
                        max_size=self.max_size,
                    )
                    self._pools[service] = pool
        return pool

    @contextlib.asynccontextmanager
    async def acquire(self, service: str) -> AsyncIterator[asyncpg.Connection]:
        """A connection to ``service``'s database (a ``Connector`` of ``xuncha_shared.audit``)."""
        pool = await self.pool(service)
        async with pool.acquire() as conn:
            yield conn

    @property
    def connector(self) -> Connector:
        return self.acquire

    @property
    def open_services(self) -> list[str]:
        return sorted(self._pools)

    async def open_all(self, services: Iterable[str] = SERVICES) -> None:
        """Open the pools of ``services`` now (raises if the role cannot connect to one)."""
        for service in services:
            await self.pool(service)

    async def close(self) -> None:
        pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            try:
                await asyncio.wait_for(pool.close(), timeout=10)
            except TimeoutError:
                pool.terminate()  # a request still holds a connection


@contextlib.contextmanager
def unavailable(settings: Settings, *, kafka: bool = False) -> Iterator[None]:
    """Infrastructure failures of an audit read as 503 problems naming the cause."""
    try:
        yield
    except KafkaError as exc:
        if not kafka:
            raise
        log.warning("audit: Kafka unreachable: %r", exc)
        raise ProblemError(
            503,
            "Service Unavailable",
            f"无法读取 Kafka，暂不能与 Kafka 核对 / cannot read Kafka at "
            f"{settings.kafka_bootstrap}: {exc!r} "
            "(?kafka=false skips the comparison with Kafka)",
            TYPE_UNAVAILABLE,
        ) from None
    except (
        OSError,  # includes TimeoutError and refused connections
        asyncpg.PostgresConnectionError,
        asyncpg.InvalidAuthorizationSpecificationError,  # unknown role, wrong password
        asyncpg.InvalidCatalogNameError,  # the database does not exist
        asyncpg.InsufficientPrivilegeError,  # grants missing: provisioning not run
    ) as exc:
        log.warning("audit: database read as %s failed: %r", AUDITOR_ROLE, exc)
        raise ProblemError(
            503,
            "Service Unavailable",
            f"审计暂时无法读取各服务的数据库 / the audit cannot read the service databases as "
            f"{AUDITOR_ROLE}: "
            f"{type(exc).__name__}: {exc} (is XUNCHA_AUDIT_DATABASE_URL right, and were the "
            "databases provisioned: python -m xuncha_shared.provision databases?)",
            TYPE_UNAVAILABLE,
        ) from None


def trusted_keys(settings: Settings) -> dict[str, TrustedKey]:
    """The public keys this server trusts (``<state_dir>/keys``), as ``audit verify`` does."""
    try:
        return load_trust(None, settings)
    except (OSError, ValueError, CheckpointFormatError) as exc:
        log.warning("audit: trusted keys unreadable: %r", exc)
        raise ProblemError(
            503,
            "Service Unavailable",
            f"无法读取本服务器信任的签名公钥 / the trusted public keys of this server cannot be "
            f"read: {exc}",
            TYPE_UNAVAILABLE,
        ) from None
