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
