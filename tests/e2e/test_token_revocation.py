"""A revoked token stops working at every running service within moments, although each
service process keeps the tokens it resolved (xuncha_shared.auth.token_cache): the revocation,
made on the databases as ``xuncha tokens revoke`` makes it, is heard by every process."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
from xuncha_shared.auth.tokens import create_token_in, revoke_token_in
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import LINCHUAN, Running

pytestmark = [pytest.mark.timeout(120)]

#: how soon after the revocation's commit every service refuses the token
BOUND_S = 2.0


async def test_a_revoked_token_is_refused_by_every_service_at_once(
    default_stack: Running,
) -> None:
    principal = Principal(id="e2e-revoked", role=Role.COUNTY_ADMIN, jurisdiction=LINCHUAN)
    token = await create_token_in(default_stack.databases.values(), principal)
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=10, headers=headers) as client:
        # resolved, and so kept, by every service (an unknown route still authenticates first)
        for _ in range(3):
            for url in default_stack.urls.values():
                resp = await client.get(f"{url}/api/v1/me")
                assert resp.status_code in (200, 404), (url, resp.status_code, resp.text)

        revoked = await revoke_token_in(default_stack.databases.values(), token)
        assert revoked == len(default_stack.databases)
        committed = time.monotonic()
        refused: dict[str, float] = {}
        while len(refused) < len(default_stack.urls):
            assert time.monotonic() - committed < BOUND_S, f"still accepted: {refused}"
            for service, url in default_stack.urls.items():
                if service not in refused:
                    resp = await client.get(f"{url}/api/v1/me")
                    if resp.status_code == 401:
                        refused[service] = time.monotonic() - committed
            await asyncio.sleep(0.01)
        # and it stays refused
        for url in default_stack.urls.values():
            assert (await client.get(f"{url}/api/v1/me")).status_code == 401
    print(f"refused after (s): { {s: round(t, 3) for s, t in refused.items()} }")
