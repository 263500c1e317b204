"""The dashboard: ``/`` (index.html) and ``/static/*`` (CSS, JS); no external resources."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"

#: The dashboard loads nothing from elsewhere (the machines have no internet anyway).
DASHBOARD_HEADERS = {
    "Cache-Control": "no-cache",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def add_dashboard(app: FastAPI) -> None:
    """The dashboard: ``/`` (index.html) and ``/static/*`` (CSS, JS); no external resources."""

    @app.get("/", include_in_schema=False)
    async def dashboard() -> FileResponse:
        return FileResponse(
            STATIC_DIR / "index.html", media_type="text/html", headers=DASHBOARD_HEADERS
        )

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
