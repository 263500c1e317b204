"""The demo's side of the four public APIs: endpoints, tokens and an HTTP client that retries
what a busy system may refuse for a moment."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from xuncha_shared.cli.common import settings

DEMO_TOKENS_FILE = "demo-tokens.json"


class DemoError(RuntimeError):
    pass


@dataclass
class Endpoints:
    intake: str
    clues: str
    rectification: str
    reporting: str


def state_dir() -> Path:
    configured = settings().state_dir
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[5]
    return repo / ".xuncha" if (repo / "pyproject.toml").exists() else Path(".xuncha")


def load_tokens(path: Path | None = None) -> dict[str, str]:
    path = path or state_dir() / DEMO_TOKENS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoError(f"{path} is missing: run `make up` or `xuncha tokens demo` first") from None
    if not isinstance(data, dict) or not {"city_admin", "department"} <= set(data):
        raise DemoError(f"{path} holds no city_admin and department tokens")
    return {str(k): str(v) for k, v in data.items()}


class DemoClient:
    """The four public APIs, with the demo tokens."""

    def __init__(self, endpoints: Endpoints, tokens: dict[str, str]) -> None:
        self.endpoints = endpoints
        self.tokens = tokens
        self.http = httpx.AsyncClient(timeout=30.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(
        self, method: str, url: str, who: str, body: Any = None, ok: Sequence[int] = (200, 201)
    ) -> httpx.Response:
        for attempt in range(5):
            try:
                resp = await self.http.request(method, url, json=body, headers=self._auth(who))
            except httpx.TransportError as exc:
                if attempt == 4:
                    raise DemoError(f"{method} {url}: {exc}") from exc
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if resp.status_code in ok:
                return resp
            if resp.status_code == 409 and "concurrent" in resp.text and attempt < 4:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            raise DemoError(f"{method} {url} -> {resp.status_code}: {resp.text[:500]}")
        raise DemoError(f"{method} {url}: gave up")  # pragma: no cover

    async def linked(self) -> dict[str, Any]:
        resp = await self.call(
            "GET", f"{self.endpoints.reporting}/api/v1/views/linked", "city_admin"
        )
        doc: dict[str, Any] = resp.json()
        return doc
