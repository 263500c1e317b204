"""The event loop a service process runs on.

``XUNCHA_EVENT_LOOP=uvloop`` (the default) runs the process on uvloop, libuv's loop, which
uvicorn also picks when it is installed: the HTTP server, asyncpg and aiokafka do the same work
in less of the process's CPU (docs/performance.md, "The cost of one request"). ``asyncio``
runs the standard library's loop, for an operator who wants it back; where uvloop is not
installed (a platform without it), the standard loop runs and a warning says so. Tests that
run services inside pytest keep pytest-asyncio's standard loop; services started as processes
(the end-to-end and chaos tests, ``make up``) run on the configured one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Literal, TypeVar

__all__ = ["loop_factory", "run"]

logger = logging.getLogger("xuncha_shared.event_loop")

T = TypeVar("T")


def loop_factory(choice: Literal["uvloop", "asyncio"]) -> Callable[[], asyncio.AbstractEventLoop]:
    """What makes the process's loop, given ``XUNCHA_EVENT_LOOP``."""
    if choice == "uvloop":
        try:
            import uvloop
        except ImportError:  # pragma: no cover - uvloop is a dependency where it builds
            logger.warning("uvloop is not installed; running on the standard asyncio loop")
        else:
            return uvloop.new_event_loop
    return asyncio.new_event_loop


def run(coro: Coroutine[Any, Any, T], choice: Literal["uvloop", "asyncio"]) -> T:
    """``asyncio.run`` on the chosen loop."""
    with asyncio.Runner(loop_factory=loop_factory(choice)) as runner:
        return runner.run(coro)
