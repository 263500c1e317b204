"""HTTP readiness probe (``make up`` waits for each service's /readyz with it)."""

from __future__ import annotations

import asyncio
import time

from xuncha_shared.provision.common import ProvisionError, check_pid


async def wait_for_http(url: str, timeout_s: float, *, pid: int | None = None) -> None:
    """Poll ``url`` until it answers 200."""
    import httpx  # lazily: it is the slowest import here and only this probe needs it

    deadline = time.monotonic() + timeout_s
    last = "no answer"
    async with httpx.AsyncClient(timeout=2.0) as client:
        while True:
            check_pid(pid)
            try:
                response = await client.get(url)
                if response.status_code == 200:
                    return
                last = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                last = f"{type(exc).__name__}: {exc}"
            if time.monotonic() >= deadline:
                raise ProvisionError(f"{url} not ready after {timeout_s}s ({last})")
            await asyncio.sleep(0.2)
