"""Serving an app inside a running event loop, next to the relay and the consumers.

:func:`run_uvicorn` shuts down gracefully when ``stop`` is set, on SIGTERM/SIGINT (when asked to
handle signals) or when its task is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
import threading
from collections.abc import Generator
from typing import Any

import uvicorn
from starlette.types import ASGIApp

__all__ = ["run_uvicorn"]


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling: the owner of the event loop decides."""

    def __init__(self, config: uvicorn.Config, started: asyncio.Event | None = None) -> None:
        super().__init__(config)
        self._started_event = started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self._started_event is not None:
            self._started_event.set()

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


async def run_uvicorn(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    stop: asyncio.Event | None = None,
    handle_signals: bool = False,
    graceful_timeout: int = 10,
    started: asyncio.Event | None = None,
) -> None:
    """Serve ``app`` until ``stop`` is set, SIGTERM/SIGINT (``handle_signals``) or cancellation.

    Runs in the current event loop, so the relay and the consumers can run beside it. Shutdown
    is graceful in every case: stop accepting, finish in-flight requests (``graceful_timeout``
    seconds at most), run the lifespan shutdown. Logging is left to :mod:`xuncha_shared.logs`
    (``log_config=None``, no access log). Raises ``RuntimeError`` if the server cannot start
    (port in use, lifespan start-up failure). ``started`` is set once it listens.
    """
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        lifespan="on",
        log_config=None,
        log_level=None,
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=graceful_timeout,
    )
    server = _EmbeddedServer(config, started)

    async def serve() -> None:
        try:
            await server.serve()
        except SystemExit as exc:  # uvicorn exits the process on start-up failures
            raise RuntimeError(
                f"the HTTP server on {host}:{port} could not start (exit code {exc.code})"
            ) from None

    def request_exit() -> None:
        server.should_exit = True

    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    if handle_signals and threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, request_exit)
            installed.append(sig)

    serve_task = asyncio.create_task(serve(), name=f"uvicorn {host}:{port}")
    helpers: list[asyncio.Task[Any]] = []
    if stop is not None:
        helpers.append(asyncio.create_task(stop.wait()))
    try:
        await asyncio.wait([serve_task, *helpers], return_when=asyncio.FIRST_COMPLETED)
        request_exit()
        await serve_task
    except asyncio.CancelledError:
        request_exit()
        with contextlib.suppress(Exception):
            await serve_task
        raise
    finally:
        for helper in helpers:
            helper.cancel()
        await asyncio.gather(*helpers, return_exceptions=True)
        for sig in installed:
            loop.remove_signal_handler(sig)
