"""intake.* events (owner: the intake service)."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from xuncha_shared.contracts.common import (
    Channel,
    JurisdictionCode,
    LongText,
    SealedPersonalData,
    ShortText,
)
from xuncha_shared.envelope import EventPayload, JsonDict


class PetitionReceivedV1(EventPayload):
    """Legacy form (schema 1): the text was called ``content`` and rounds were not linked."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    content: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str


class PetitionReceived(EventPayload):
    """来信来电来访 or a referral recorded by intake (schema 2)."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 2

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    summary: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str
    round_id: str | None = None


def upcast_petition_received_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: ``content`` became ``summary``; ``round_id`` is unknown for old petitions."""
    payload["summary"] = payload.pop("content")
    payload.setdefault("round_id", None)
    return payload


MODELS: tuple[type[EventPayload], ...] = (PetitionReceivedV1, PetitionReceived)
UPCASTERS = {("intake.PetitionReceived", 1): upcast_petition_received_v1}
