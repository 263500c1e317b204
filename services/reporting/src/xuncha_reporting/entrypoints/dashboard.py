"""The old dashboard address ``/`` of the reporting service (:8000), folded into the workbench.

The overview (上下联动总览, the linked view, the chart, the department feeds) lives in the
workbench at http://127.0.0.1:8080/ (总览), served by nginx with every other page. ``/`` here
answers a temporary redirect (307) there, so bookmarks and the README's old address keep
working; nothing of a request's query (an old ``?token=`` link) is carried over: a token never
travels in a URL. Where the workbench is: ``XUNCHA_WORKBENCH_URL``, else the requested host on
``XUNCHA_NGINX_PORT`` (default 8080).
"""

from __future__ import annotations

import os

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse

WORKBENCH_URL_ENV = "XUNCHA_WORKBENCH_URL"
DEFAULT_WORKBENCH_PORT = 8080


def workbench_url(request: Request) -> str:
    explicit = os.environ.get(WORKBENCH_URL_ENV, "").strip()
    if explicit:
        return explicit
    port = int(os.environ.get("XUNCHA_NGINX_PORT") or DEFAULT_WORKBENCH_PORT)
    host = request.url.hostname or "127.0.0.1"
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    return f"http://{host}:{port}/"


def add_dashboard(app: FastAPI) -> None:
    """``/``: a 307 to the workbench, whose 总览 is the dashboard now."""

    @app.get("/", include_in_schema=False)
    async def dashboard(request: Request) -> RedirectResponse:
        return RedirectResponse(
            workbench_url(request), status_code=307, headers={"Cache-Control": "no-store"}
        )
