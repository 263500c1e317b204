"""The demo's side of the four public APIs: endpoints, tokens and an HTTP client that retries
what a busy system may refuse for a moment."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from xuncha_shared.cli.common import settings

DEMO_TOKENS_FILE = "demo-tokens.json"
#: the other counties' offices' tokens, by county code (``xuncha tokens demo`` writes it beside
#: ``DEMO_TOKENS_FILE``)
DEMO_OFFICES_FILE = "demo-office-tokens.json"
#: the city's units of the demo term, by unit id (``xuncha tokens demo`` writes it beside
#: ``DEMO_TOKENS_FILE``)
DEMO_UNITS_FILE = "demo-unit-tokens.json"
#: each receiving department of the city, by department (``xuncha tokens demo`` writes it
#: beside ``DEMO_TOKENS_FILE``)
DEMO_DEPARTMENTS_FILE = "demo-department-tokens.json"
#: the county of the demo's ``county_admin`` (``xuncha tokens demo``'s default)
DEMO_COUNTY = "361002"


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


def office_key(county: str) -> str:
    """The key of a county office's token among the demo tokens (``load_tokens``)."""
    return f"county_admin:{county}"


def unit_key(unit_id: str) -> str:
    """The key of an inspected unit's token among the demo tokens (``load_tokens``)."""
    return f"inspected_unit:{unit_id}"


def department_key(department: str) -> str:
    """The key of a receiving department's token among the demo tokens (``load_tokens``)."""
    return f"department:{department}"


def _beside(path: Path, name: str, key: Callable[[str], str], what: str) -> dict[str, str]:
    """The tokens of file ``name`` beside ``path`` ({id: token}) under ``key(id)``; none when
    the file is not there."""
    extra_path = path.parent / name
    try:
        extra = json.loads(extra_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except ValueError as exc:
        raise DemoError(f"{extra_path} is not JSON: {exc}") from None
    if not isinstance(extra, dict):
        raise DemoError(f"{extra_path} holds no {what}")
    return {key(str(k)): str(token) for k, token in extra.items()}


def load_tokens(path: Path | None = None) -> dict[str, str]:
    """The demo tokens by role, with the county offices' (``office_key``), the units'
    (``unit_key``) and the departments' (``department_key``) beside them when
    ``DEMO_OFFICES_FILE``, ``DEMO_UNITS_FILE`` and ``DEMO_DEPARTMENTS_FILE`` are there: without
    them the city office records the counties' work and the units' reports, and no department
    but the discipline commission acts."""
    path = path or state_dir() / DEMO_TOKENS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoError(f"{path} is missing: run `make up` or `xuncha tokens demo` first") from None
    except ValueError as exc:
        raise DemoError(f"{path} is not JSON: {exc}") from None
    if not isinstance(data, dict) or not {"city_admin", "department"} <= set(data):
        raise DemoError(f"{path} holds no city_admin and department tokens")
    tokens = {str(k): str(v) for k, v in data.items()}
    offices = _beside(path, DEMO_OFFICES_FILE, office_key, "county office tokens by county code")
    units = _beside(path, DEMO_UNITS_FILE, unit_key, "unit tokens by unit id")
    departments = _beside(
        path, DEMO_DEPARTMENTS_FILE, department_key, "department tokens by department"
    )
    return tokens | offices | units | departments


#: how often one call may wait out a 429 before the load gives up
MAX_RATE_LIMIT_WAITS = 120
#: how often a feedback may wait (0.5 s each) for its hearing to reach rectification (R16), or
#: a revisit for the round holding it (R18)
MAX_HEARING_WAITS = 60
#: a 回头看 held by a round names one rectification learns from intake through Kafka (R18): the
#: refusal while it has not yet (the same words as a round it will never know)
UNKNOWN_HOLDING_ROUND = "未找到开展回头看的巡察轮次"
#: how often one call may be tried again after a 503 with Retry-After (the service rolled the
#: command back: a deadlock it could not retry away, say with the deadline worker firing a
#: large due set on the same streams, or the database restarting)
MAX_UNAVAILABLE_WAITS = 6


def _retry_after(resp: httpx.Response) -> float:
    """The seconds a 429 or 503 asks to wait (``Retry-After``), within 1 and 60."""
    try:
        return min(max(float(resp.headers.get("Retry-After", "1")), 1.0), 60.0)
    except ValueError:
        return 1.0


class DemoClient:
    """The four public APIs, with the demo tokens."""

    def __init__(self, endpoints: Endpoints, tokens: dict[str, str]) -> None:
        self.endpoints = endpoints
        self.tokens = tokens
        self.http = httpx.AsyncClient(timeout=30.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    def writer(self, code: str) -> str:
        """Who records the work of jurisdiction ``code``: the county's office when its token is
        there (the demo county's is ``county_admin``, the others' ``office_key``), else the city
        office (which may write for its counties)."""
        if office_key(code) in self.tokens:
            return office_key(code)
        return (
            "county_admin"
            if code == DEMO_COUNTY and "county_admin" in self.tokens
            else "city_admin"
        )

    def reporter(self, unit_id: uuid.UUID | None, code: str) -> str:
        """Who records a rectification report of unit ``unit_id`` (intake's id, or ``None``
        for a unit known by name only) of jurisdiction ``code``: the unit itself when its token
        is there, else its office (``writer``)."""
        key = unit_key(str(unit_id))
        return key if unit_id is not None and key in self.tokens else self.writer(code)

    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(
        self, method: str, url: str, who: str, body: Any = None, ok: Sequence[int] = (200, 201)
    ) -> httpx.Response:
        attempt = waits = unheard = unavailable = 0
        while attempt < 5:
            try:
                resp = await self.http.request(method, url, json=body, headers=self._auth(who))
            except httpx.TransportError as exc:
                if attempt == 4:
                    raise DemoError(f"{method} {url}: {exc}") from exc
                attempt += 1
                await asyncio.sleep(0.5 * attempt)
                continue
            if resp.status_code in ok:
                return resp
            if resp.status_code == 429 and waits < MAX_RATE_LIMIT_WAITS:
                # the gate's per-principal limit (XUNCHA_RATE_LIMIT): the demo is one principal
                # posting hundreds of records, so it waits as told and goes on
                waits += 1
                await asyncio.sleep(_retry_after(resp))
                continue
            if (
                resp.status_code == 503
                and "Retry-After" in resp.headers
                and unavailable < MAX_UNAVAILABLE_WAITS
            ):
                unavailable += 1
                await asyncio.sleep(_retry_after(resp))
                continue
            if resp.status_code == 409 and "concurrent" in resp.text and attempt < 4:
                attempt += 1
                await asyncio.sleep(0.2 * attempt)
                continue
            if (
                (resp.status_code == 409 and "R16" in resp.text)
                or (resp.status_code == 422 and UNKNOWN_HOLDING_ROUND in resp.text)
            ) and unheard < MAX_HEARING_WAITS:
                # a feedback right after its hearing, a revisit of a round just planned: the
                # hearing (the round) reaches rectification through Kafka a moment after clues
                # (intake) recorded it
                unheard += 1
                await asyncio.sleep(0.5)
                continue
            raise DemoError(f"{method} {url} -> {resp.status_code}: {resp.text[:500]}")
        raise DemoError(f"{method} {url}: gave up")  # pragma: no cover

    async def linked(self) -> dict[str, Any]:
        resp = await self.call(
            "GET", f"{self.endpoints.reporting}/api/v1/views/linked", "city_admin"
        )
        doc: dict[str, Any] = resp.json()
        return doc
