"""How the audit reaches the service databases.

A ``Connector`` maps a service name to an async context manager that yields a connection to that
service's database (and gives it back afterwards). The CLI opens one connection per service with
the superuser URL (``Settings.service_database_url``); the reporting service's audit endpoints
borrow from small pools of the read-only auditor role (``Settings.audit_database_url``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

import asyncpg

from xuncha_shared.db import connect

Connector = Callable[[str], AbstractAsyncContextManager[asyncpg.Connection]]


def url_connector(database_url: Callable[[str], str]) -> Connector:
    """A connector opening a new connection to ``database_url(service)`` and closing it."""

    @asynccontextmanager
    async def open_connection(service: str) -> AsyncIterator[asyncpg.Connection]:
        conn = await connect(database_url(service))
        try:
            yield conn
        finally:
            await conn.close()

    return open_connection


__all__ = ["Connector", "url_connector"]
