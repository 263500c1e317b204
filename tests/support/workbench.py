"""The workbench for browser tests: web/dist (built if needed by deploy/local/web.sh) served by
an nginx of the test's own on a free port, its config rendered by ``deploy/local/nginx.sh
render`` from the same template as ``make up``'s, routing to the services' free ports. Also
the chromium launch settings and small Element Plus helpers for Playwright."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from tests.infra import free_port
from tests.support.processes import stop

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
NGINX = "/usr/sbin/nginx"
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
    """web/dist as deploy/local/web.sh builds it (a no-op when sources and lock are unchanged)."""
    subprocess.run([str(REPO / "deploy/local/web.sh"), "build"], check=True, cwd=REPO)
    assert (DIST / "index.html").is_file()


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"nginx exited with {proc.returncode}: {log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nginx does not listen on {port}: {log.read_text()[-2000:]}")


@contextlib.contextmanager
def workbench_nginx(
    upstreams: Mapping[str, str], env: Mapping[str, str] | None = None, port: int | None = None
) -> Iterator[str]:
    """nginx on ``port`` (default a free one) in front of ``upstreams`` (service -> base URL);
    yields its URL. ``env`` adds render settings (e.g. XUNCHA_AUTH_MODE=oidc and the OIDC
    issuer)."""
    if not Path(NGINX).is_file() or shutil.which("sed") is None:
        raise AssertionError("nginx is missing: run `make deps` (deploy/local/nginx.sh install)")
    ensure_built()
    prefix = Path(tempfile.mkdtemp(prefix="xuncha-nginx-"))
    prefix.chmod(0o755)  # nginx's workers (nobody when started as root) read what is below
    port = port or free_port()
    conf = prefix / "workbench.conf"
    render_env = {
        **os.environ,
        "XUNCHA_AUTH_MODE": "token",
        "XUNCHA_NGINX_LISTEN": f"127.0.0.1:{port}",
        "XUNCHA_NGINX_PREFIX": str(prefix),
        "XUNCHA_WEB_ROOT": str(DIST),
        **{f"XUNCHA_UPSTREAM_{svc.upper()}": url for svc, url in upstreams.items()},
        **(env or {}),
    }
    subprocess.run(
        [str(REPO / "deploy/local/nginx.sh"), "render", str(conf)], env=render_env, check=True
    )
    log = prefix / "error.log"
    proc = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-e", str(log)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_port(port, proc, log)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop(proc)
        shutil.rmtree(prefix, ignore_errors=True)


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


async def sign_in(page: Any, base: str, token: str) -> None:
    """The sign-in page as a person uses it: paste the token, press 登录."""
    await page.goto(f"{base}/login")
    await page.fill("#token-input", token)
    await page.click("#sign-in")
    await page.wait_for_selector("#main-menu")


#: the menu (web/src/auth/menu.ts) each role sees, in its order: by section 工作总览, 巡察组织,
#: 线索办理, 反馈整改, 共享与审计
_WATCH = ["overview", "deadlines", "clue-funnel", "office-summary"]
_ORGANISE = ["planning", "rounds", "talent-pool", "group-work"]
_CLUES = ["petitions", "clues", "findings"]
_RECTIFY = ["rectification", "supervision", "revisits"]
MENUS: dict[str, list[str]] = {
    "city_admin": [*_WATCH, *_ORGANISE, *_CLUES, *_RECTIFY, "feeds", "rules"],
    "county_admin": [*_WATCH, *_ORGANISE, *_CLUES, *_RECTIFY, "rules"],
    "auditor": [
        *_WATCH,
        *_ORGANISE[:3],
        "clues",
        "findings",
        *_RECTIFY,
        "feeds",
        "audit",
        "rules",
    ],
    "group_member": ["group-work", "petitions", "clues", "findings", "rectification", "rules"],
    "department": ["clues", "feeds", "rules"],
    "inspected_unit": ["unit-work", "rules"],
    "informant_custodian": ["notices"],
}


async def menu_names(page: Any) -> list[str]:
    names: list[str] = await page.locator("#main-menu [data-menu]").evaluate_all(
        "els => els.map(e => e.dataset.menu)"
    )
    return names
