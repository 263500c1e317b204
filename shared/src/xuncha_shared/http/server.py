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
import time
from collections.abc import Generator
from email.utils import formatdate
from typing import Any

import uvicorn
from starlette.types import ASGIApp
from uvicorn.server import ServerState

__all__ = ["run_uvicorn"]


class _DatedState(ServerState):
    """uvicorn's state shared by its connections, whose ``default_headers`` (read at the start
    of each response) carry a ``Date`` of the current second, made when a response asks for it
    rather than by a timer."""

    def __init__(self, config: uvicorn.Config) -> None:
        self._config = config
        self._second = -1
        self._date: list[tuple[bytes, bytes]] = []
        super().__init__()

    @property
    def default_headers(self) -> list[tuple[bytes, bytes]]:
        if not self._config.date_header:
            return self._config.encoded_headers
        now = int(time.time())
        if now != self._second:
            self._second = now
            self._date = [(b"date", formatdate(now, usegmt=True).encode())]
        return self._date + self._config.encoded_headers  # loaded by the server's start

    @default_headers.setter
    def default_headers(self, value: list[tuple[bytes, bytes]]) -> None:
        """uvicorn's tick sets them; the getter makes them instead."""


class _EmbeddedServer(uvicorn.Server):
    """uvicorn without its own signal handling (the owner of the event loop decides) and
    without its tick: uvicorn's main loop wakes ten times a second to refresh the ``Date``
    header and look at ``should_exit``, in every service, busy or idle. Here the header is
    made per response (:class:`_DatedState`) and the main loop sleeps until ``should_exit`` is
    set. (No ``limit_max_requests`` or ``callback_notify``: nothing here uses them.)"""

    def __init__(self, config: uvicorn.Config, started: asyncio.Event | None = None) -> None:
        self._exit = asyncio.Event()
        super().__init__(config)
        self.server_state = _DatedState(config)
        self._started_event = started

    @property
    def should_exit(self) -> bool:
        return self._exit.is_set()

    @should_exit.setter
    def should_exit(self, value: bool) -> None:
        if value:
            self._exit.set()
        else:
            self._exit.clear()

    async def main_loop(self) -> None:
        await self._exit.wait()

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
