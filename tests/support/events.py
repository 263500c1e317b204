"""Event factories for tests."""

from __future__ import annotations

import hashlib
import uuid

from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.envelope import Actor
from xuncha_shared.eventstore import NewEvent

ACTOR = Actor(principal_id="tester", role="city_admin")


def petition(jurisdiction: str = "361002", summary: str = "反映某局违规发放津补贴问题") -> NewEvent:
    pid = uuid.uuid4()
    return NewEvent(
        PetitionReceived(
            petition_id=pid,
            jurisdiction=jurisdiction,
            unit="临川区某局",
            channel="letter",
            summary=summary,
            receipt_code_hash=hashlib.sha256(pid.bytes).hexdigest(),
        ),
        jurisdiction,
        ACTOR,
    )


async def read_all_settled(store, expected: int, timeout: float = 30.0) -> list:  # type: ignore[no-untyped-def]
    """read_all from the start until ``expected`` events are handed out: the commit-safe
    watermark may trail while some other transaction of the cluster is still open."""
    import asyncio
    import time

    from xuncha_shared.eventstore import START

    deadline = time.monotonic() + timeout
    events = await store.read_all(START, 100_000)
    while len(events) < expected and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        events = await store.read_all(START, 100_000)
    return events
