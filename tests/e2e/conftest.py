"""Fixtures of the end-to-end tests: the shared default service stack.

Most e2e modules need the four services exactly as ``service_stack(infra, logs)`` starts them
(no extra environment, one copy, nobody killed). They share one such stack, requested through the
module-scoped ``default_stack`` fixture: started when the first of them needs it, stopped as soon
as the last of them (of this run's selection) is done, so it never idles beside the integration
tests, the chaos test or a module with a stack of its own. Each module gets its own ``Running``
(its own ``tokens`` dict to add principals to) over the same processes and databases.

Data of the modules before it is in the stack: a module's assertions concern its own entities
(its clue, its round, its unit), or it works in a county no other sharing module touches
(``test_findings_browser``: 东乡区; ``test_clue_workbench_browser``: 南丰县). Modules that kill a
process, change the services' environment or run copies start their own ``service_stack``.
Under pytest-xdist (`XUNCHA_TEST_WORKERS=2 make test`) these modules are one unit of work: they
run together, on one worker (the ``shared-stack`` group, tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.stack import Running, service_stack

SHARED_FIXTURE = "default_stack"
_USERS = pytest.StashKey[set[str]]()


def pytest_collection_finish(session: pytest.Session) -> None:
    """The modules of this run that use the shared stack (after -k/-m/--lf selection)."""
    session.config.stash[_USERS] = {
        item.module.__name__
        for item in session.items
        if isinstance(item, pytest.Function) and SHARED_FIXTURE in item.fixturenames
    }


class SharedStack:
    """One ``service_stack`` for the modules in ``users``; stopped when the last releases it."""

    def __init__(self, infra: Any, logs: Path, users: set[str]) -> None:
        self.infra = infra
        self.logs = logs
        self.pending = set(users)
        self._exit: contextlib.AsyncExitStack | None = None
        self._running: Running | None = None

    async def acquire(self) -> Running:
        if self._running is None:
            exit_stack = contextlib.AsyncExitStack()
            self._running = await exit_stack.enter_async_context(
                service_stack(self.infra, self.logs)
            )
            self._exit = exit_stack
        return self._running

    async def release(self, module: str) -> None:
        self.pending.discard(module)
        if not self.pending:
            await self.stop()

    async def stop(self) -> None:
        exit_stack, self._exit, self._running = self._exit, None, None
        if exit_stack is not None:
            await exit_stack.aclose()


@pytest.fixture(scope="session")
async def shared_stack(
    infra: Any, tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> AsyncIterator[SharedStack]:
    shared = SharedStack(
        infra, tmp_path_factory.mktemp("shared-stack-logs"), pytestconfig.stash.get(_USERS, set())
    )
    try:
        yield shared
    finally:
        await shared.stop()  # a run stopped early (-x, Ctrl-C): still stopped


@pytest.fixture(scope="module")
async def default_stack(
    request: pytest.FixtureRequest, shared_stack: SharedStack
) -> AsyncIterator[Running]:
    """The shared stack, as this module's own ``Running`` (a tokens dict of its own)."""
    running = await shared_stack.acquire()
    try:
        yield dataclasses.replace(running, tokens=dict(running.tokens))
    finally:
        await shared_stack.release(request.module.__name__)
