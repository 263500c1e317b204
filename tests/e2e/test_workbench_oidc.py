"""OIDC sign-in to the workbench (authorization code with PKCE) in Debian's chromium, against a
real OIDC provider started as a process (tests/support/oidc_provider.py, Authlib) and the
reporting service with ``XUNCHA_AUTH_MODE=oidc`` verifying the provider's tokens, behind the
workbench's nginx rendered for OIDC (``/config.json`` names the provider).

A county office user signs in on the provider's login page (a wrong password first), comes back
to the workbench and sees its overview: the access token the browser got with PKCE is what the
service verified. The provider refuses a code without the PKCE verifier.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from xuncha_shared import provision

from bench.ports import free_port
from tests.e2e.stack import LINCHUAN, _spawn, _wait_ready
from tests.support.workbench import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    MENUS,
    REPO,
    menu_names,
    workbench_nginx,
)

pytestmark = [pytest.mark.timeout(600)]

CLIENT_ID = "xuncha-workbench"
AUDIENCE = "xuncha-api"
USERS = {
    "lc-office": {
        "password": "巡察2026",
        "sub": "oidc-lc-office",
        "xuncha_role": "county_admin",
        "xuncha_jurisdiction": LINCHUAN,
    }
}


@dataclass
class OidcStack:
    issuer: str
    workbench: str


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-2000:]


def _start_provider(port: int, users: Path, log: Path) -> subprocess.Popen[bytes]:
    with open(log, "wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.support.oidc_provider", "--port", str(port),
             "--client-id", CLIENT_ID, "--audience", AUDIENCE, "--users", str(users)],
            cwd=REPO, stdout=out, stderr=out, start_new_session=True,
        )  # fmt: skip


async def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(200):
            if proc.poll() is not None:
                raise AssertionError(f"exited with {proc.returncode}: {_tail(log)}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get(url)).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError(f"{url} does not answer: {_tail(log)}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(10)


@pytest.fixture(scope="module")
async def oidc(infra: Any, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[OidcStack]:
    logs = tmp_path_factory.mktemp("oidc-logs")
    port = free_port()
    issuer = f"http://127.0.0.1:{port}"
    users = logs / "users.json"
    users.write_text(json.dumps(USERS, ensure_ascii=False), encoding="utf-8")
    provider_log = logs / "provider.log"
    provider = _start_provider(port, users, provider_log)
    run = uuid.uuid4().hex[:6]
    db_prefix = f"{infra.db_prefix}oidc{run}_"
    topic_prefix = f"{infra.topic_prefix}oidc{run}."
    reporting: subprocess.Popen[bytes] | None = None
    try:
        await _wait_http(f"{issuer}/.well-known/openid-configuration", provider, provider_log)
        dbs = await provision.create_service_databases(infra.pg_admin_url, db_prefix, ["reporting"])
        await provision.provision_topics(infra.kafka_bootstrap, topic_prefix)
        env = infra.env(
            "reporting",
            XUNCHA_DATABASE_URL=dbs["reporting"].url,
            XUNCHA_DB_NAME_PREFIX=db_prefix,
            XUNCHA_TOPIC_PREFIX=topic_prefix,
            XUNCHA_AUTH_MODE="oidc",
            XUNCHA_OIDC_JWKS_URL=f"{issuer}/jwks",
            XUNCHA_OIDC_ISSUER=issuer,
            XUNCHA_OIDC_AUDIENCE=AUDIENCE,
        )
        url = f"http://127.0.0.1:{env['XUNCHA_HTTP_PORT']}"
        reporting = _spawn("reporting", env, logs / "reporting.log")
        await _wait_ready("reporting", reporting, url, logs / "reporting.log")
        # only reporting runs: the other services' paths answer nginx's 503 problem
        upstreams = {svc: url for svc in ("reporting", "intake", "clues", "rectification")}
        oidc_env = {
            "XUNCHA_AUTH_MODE": "oidc",
            "XUNCHA_OIDC_ISSUER": issuer,
            "XUNCHA_OIDC_CLIENT_ID": CLIENT_ID,
        }
        with workbench_nginx(upstreams, oidc_env) as workbench:
            yield OidcStack(issuer=issuer, workbench=workbench)
    finally:
        if reporting is not None:
            _stop(reporting)
        _stop(provider)
        await provision.drop_prefixed_databases(infra.pg_admin_url, db_prefix)
        await provision.delete_prefixed_topics(infra.kafka_bootstrap, topic_prefix)


async def test_sign_in_with_oidc_and_pkce(oidc: OidcStack) -> None:
    from playwright.async_api import async_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = await browser.new_page(locale="zh-CN", timezone_id="Asia/Shanghai")
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            token_requests: list[str] = []
            page.on(
                "request",
                lambda r: (
                    token_requests.append(r.post_data or "")
                    if r.url == f"{oidc.issuer}/token"
                    else None
                ),
            )
            await page.goto(f"{oidc.workbench}/overview")
            await page.wait_for_selector("#oidc-sign-in")
            assert await page.locator("#token-input").count() == 0  # no token form in OIDC mode
            await page.click("#oidc-sign-in")
            # the provider's own login page, with a PKCE challenge in the request
            await page.wait_for_url(f"{oidc.issuer}/authorize?*")
            query = parse_qs(urlparse(page.url).query)
            assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
            assert query["client_id"] == [CLIENT_ID]
            await page.fill("#username", "lc-office")
            await page.fill("#password", "wrong")
            await page.click("#login")
            await page.wait_for_selector("#login-error")
            await page.fill("#username", "lc-office")
            await page.fill("#password", USERS["lc-office"]["password"])
            await page.screenshot(path=str(ARTIFACTS / "oidc-provider-login.png"))
            await page.click("#login")
            # back in the workbench: the code exchanged with the verifier, the token accepted
            await page.wait_for_url(f"{oidc.workbench}/overview", timeout=30_000)
            await page.wait_for_selector(f"#linked-table tr.j-{LINCHUAN}")
            assert "临川区" in await page.locator("#whoami").inner_text()
            assert await menu_names(page) == MENUS["county_admin"]
            assert len(token_requests) == 1
            sent = parse_qs(token_requests[0])
            assert sent["grant_type"] == ["authorization_code"] and sent["code_verifier"][0]
            await page.screenshot(path=str(ARTIFACTS / "oidc-overview.png"), full_page=True)
            assert errors == []
        finally:
            await browser.close()


async def test_the_provider_refuses_a_code_without_its_pkce_verifier(oidc: OidcStack) -> None:
    redirect = f"{oidc.workbench}/oidc/callback"
    form = {
        "client_id": CLIENT_ID,
        "response_type": "code",
        "redirect_uri": redirect,
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
        "code_challenge_method": "S256",
        "state": "s",
        "username": "lc-office",
        "password": USERS["lc-office"]["password"],
    }
    async with httpx.AsyncClient(base_url=oidc.issuer) as client:
        resp = await client.post("/authorize", data=form)
        assert resp.status_code == 302
        code = parse_qs(urlparse(resp.headers["location"]).query)["code"][0]
        token = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": CLIENT_ID,
            "redirect_uri": redirect,
            "code_verifier": "not-the-verifier-of-that-challenge-0123456789abcdef",
        }
        resp = await client.post("/token", data=token)
        assert resp.status_code == 400
        assert resp.json()["error"] == "invalid_grant"
        # and a code is good once only, even with the right verifier (RFC 7636 appendix B)
        resp = await client.post(
            "/token",
            data={**token, "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"},
        )
        assert resp.status_code == 400
