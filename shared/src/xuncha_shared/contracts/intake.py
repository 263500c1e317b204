"""intake.* events (owner: the intake service)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field, StringConstraints

from xuncha_shared.contracts.common import (
    Channel,
    JurisdictionCode,
    LongText,
    NoNul,
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


#: the custodian's stated purpose of an identity read: 4 to 500 characters after stripping
ReadReason = Annotated[
    str, StringConstraints(min_length=4, max_length=500, strip_whitespace=True), NoNul
]


class IdentityReadOutcome(StrEnum):
    DISCLOSED = "disclosed"  # the decrypted identity was given to the reader
    KEY_ERASED = "key_erased"  # the person's key was erased (crypto-shredded): nothing disclosed


class InformantIdentityRead(EventPayload):
    """The informant custodian read (or tried to read) a petition's sealed reporter identity.

    Appended to the petition's stream, and committed, before any plaintext is returned. Who read
    is the envelope's actor, when its ``occurred_at``. Never holds personal data: ``person_id``
    is the sealed identity's random id.
    """

    event_type: ClassVar[str] = "intake.InformantIdentityRead"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    person_id: UUID = Field(description="person_id of the petition's SealedPersonalData")
    reason: ReadReason = Field(description="the purpose the custodian stated for this read")
    outcome: IdentityReadOutcome


def upcast_petition_received_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: ``content`` became ``summary``; ``round_id`` is unknown for old petitions."""
    payload["summary"] = payload.pop("content")
    payload.setdefault("round_id", None)
    return payload


class NoticeKind(StrEnum):
    ACCEPTANCE = "acceptance"  # 受理告知 (R8: within 15 working days)
    RESULT = "result"  # 办理结果告知


class NoticeChannel(StrEnum):
    LETTER = "letter"  # 书面
    PHONE = "phone"  # 电话
    IN_PERSON = "in_person"  # 当面


class InformantNotified(EventPayload):
    """告知举报人: a real-name reporter was told of the acceptance or the result of the report.
    Recorded by the informant custodian; holds nothing of the reporter's identity (who was told
    is the petition's sealed informant)."""

    event_type: ClassVar[str] = "intake.InformantNotified"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    notice: NoticeKind
    notice_channel: NoticeChannel
    sent_on: date = Field(description="the day the notice was sent (China Standard Time)")


class AcceptanceNoticeOverdue(EventPayload):
    """受理告知逾期: a real-name reporter was not told of acceptance within 15 working days
    (R8)."""

    event_type: ClassVar[str] = "intake.AcceptanceNoticeOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    petition_id: UUID


class ForwardingOverdue(EventPayload):
    """转送逾期: a report for a higher body was not forwarded within 5 working days (R7)."""

    event_type: ClassVar[str] = "intake.ForwardingOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    petition_id: UUID


class DeadlineRecomputed(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known."""

    event_type: ClassVar[str] = "intake.DeadlineRecomputed"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    deadline_kind: ShortText
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText


MODELS: tuple[type[EventPayload], ...] = (
    PetitionReceivedV1,
    PetitionReceived,
    InformantIdentityRead,
    AcceptanceNoticeOverdue,
    InformantNotified,
    ForwardingOverdue,
    DeadlineRecomputed,
)
UPCASTERS = {("intake.PetitionReceived", 1): upcast_petition_received_v1}
