"""The workbench for browser tests: web/dist (built if needed by deploy/local/web.sh) served by
an nginx of the test's own on a free port, its config rendered by ``deploy/local/nginx.sh
render`` from the same template as ``make up``'s, routing to the services' free ports. Also
the chromium launch settings and small Element Plus helpers for Playwright."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping
from typing import Any

from bench.nginx import DIST, REPO, serve_nginx
from tests import lanes

ARTIFACTS = REPO / "test-artifacts" / "workbench"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # as a reader who asked for less motion: no CSS transitions, no chart animations (the
    # workbench honours the setting); less work for the machine, no half-faded dropdowns
    "--force-prefers-reduced-motion",
]


def ensure_built() -> None:
    """web/dist as deploy/local/web.sh builds it (a no-op when sources and lock are unchanged).
    Its build stamp is the deployment's, also on an xdist worker's lane (tests/lanes.py), and one
    build at a time: the other worker's browser tests may be serving web/dist."""
    env = {**os.environ, "XUNCHA_LOCAL_STATE": str(lanes.base_state())}
    with lanes.machine_lock("web-build"):
        subprocess.run([str(REPO / "deploy/local/web.sh"), "build"], check=True, cwd=REPO, env=env)
    assert (DIST / "index.html").is_file()


@contextlib.contextmanager
def workbench_nginx(
    upstreams: Mapping[str, str], env: Mapping[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """The built workbench behind nginx on ``port`` (default a free one) in front of
    ``upstreams`` (service -> base URL); yields its URL. ``env`` adds render settings (e.g.
    XUNCHA_AUTH_MODE=oidc and the OIDC issuer)."""
    ensure_built()
    with serve_nginx(upstreams, env, port, DIST) as url:
        yield url


# ---- Element Plus in Playwright --------------------------------------------------------------


_NO_SELECT_OPEN = """() => [...document.querySelectorAll('.el-select__popper')]
    .every(p => getComputedStyle(p).display === 'none')"""


async def selects_closed(page: Any) -> None:
    """Wait until no el-select dropdown shows, even fading out: a closing dropdown's options
    still match ``:visible`` for a moment and would take the next pick."""
    await page.wait_for_function(_NO_SELECT_OPEN)


async def choose(page: Any, input_id: str, label: str, *, close: bool = False) -> None:
    """Pick ``label`` in the el-select whose input has ``input_id``."""
    await selects_closed(page)
    await page.locator(f".el-select:has(#{input_id})").click()
    option = page.locator(".el-select-dropdown__item:visible", has_text=label).first
    await option.click()
    if close:
        await page.keyboard.press("Escape")


async def toggle(page: Any, input_id: str) -> None:
    """Flip the el-switch whose (visually hidden, focusable) input has ``input_id``."""
    await page.locator(f".el-switch:has(#{input_id})").click()


async def pick_day(page: Any, selector: str, day: str) -> None:
    """Type a day into an Element Plus date picker and confirm it (Enter closes the panel)."""
    await page.fill(selector, day)
    await page.press(selector, "Enter")
    await page.wait_for_function(
        "([sel, day]) => document.querySelector(sel)?.value === day", arg=[selector, day]
    )


async def sign_in(page: Any, base: str, token: str) -> None:
    """The sign-in page as a person uses it: paste the token, press 登录."""
    await page.goto(f"{base}/login")
    await page.fill("#token-input", token)
    await page.click("#sign-in")
    await page.wait_for_selector("#main-menu")


#: the menu (web/src/auth/menu.ts) each role sees, in its order: by section 工作总览, 巡察组织,
#: 线索办理, 反馈整改, 共享与审计
_WATCH = ["overview", "deadlines", "clue-funnel", "office-summary"]
_ORGANISE = ["planning", "rounds", "talent-pool", "county-oversight", "group-work"]
_CLUES = ["petitions", "clues", "findings"]
_RECTIFY = ["rectification", "supervision", "revisits", "publications"]
MENUS: dict[str, list[str]] = {
    "city_admin": [*_WATCH, *_ORGANISE, *_CLUES, *_RECTIFY, "feeds", "cadre-opinions", "rules"],
    "county_admin": [*_WATCH, *_ORGANISE, *_CLUES, *_RECTIFY, "cadre-opinions", "rules"],
    "auditor": [
        *_WATCH,
        *_ORGANISE[:4],
        "clues",
        "findings",
        *_RECTIFY,
        "feeds",
        "cadre-opinions",
        "reserve-cadres",
        "audit",
        "rules",
    ],
    "group_member": [
        "group-work",
        "petitions",
        "clues",
        "findings",
        "rectification",
        "publications",
        "rules",
    ],
    "department": ["clues", "feeds", "rules"],
    "inspected_unit": ["unit-work", "publications", "rules"],
    "informant_custodian": ["notices"],
}


async def menu_names(page: Any) -> list[str]:
    names: list[str] = await page.locator("#main-menu [data-menu]").evaluate_all(
        "els => els.map(e => e.dataset.menu)"
    )
    return names
