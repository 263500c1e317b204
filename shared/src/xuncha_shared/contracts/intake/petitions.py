"""Petitions: receipt, the sealed reporter identity, notices to the reporter, walk-ins and
their overdue deadlines (R7, R8, R13)."""

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


class PetitionReceivedV2(EventPayload):
    """Schema 2: ``round_id`` free text, no group or unit."""

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


class PetitionReceivedV3(EventPayload):
    """Schema 3: an anonymous petition's summary numbers could not be sealed (they were
    refused), so the event has no ``summary_numbers``."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 3

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    summary: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str
    round_id: str | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None


class PetitionReceived(EventPayload):
    """来信来电来访 or a referral recorded by intake (schema 4): received by an inspection
    group (``group_id``; ``round_id`` is then the group's round) about a registered unit
    (``unit_id``; ``unit`` is then its name), or neither.

    Phone and ID numbers found in the summary are never in it (R11): a mark
    ``［已密封的电话号码1］`` stands in each one's place, and the numbers are sealed — a
    real-name petition's inside ``informant``, an anonymous petition's in ``summary_numbers``,
    under a data key of their own (no person: only the numbers)."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 4

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    summary: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str
    round_id: str | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    summary_numbers: SealedPersonalData | None = Field(
        default=None,
        description="an anonymous petition's summary numbers, sealed (R11); a real-name "
        "petition's are inside informant",
    )


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


class ErasureTrigger(StrEnum):
    CUSTODIAN = "custodian"  # the informant custodian erased it, stating reason and legal basis
    RETENTION = "retention"  # the retention period after the case was disposed ran out


class InformantIdentityErased(EventPayload):
    """A petition's reporter identity was crypto-shredded: the person's data key is destroyed, in
    the transaction that appends this event, so the sealed identity can never be read again
    (reads answer 410 and are still recorded).

    Holds no personal data: ``person_id`` is the sealed identity's random id; the event history
    (and its hash chain) is untouched, only the key is gone."""

    event_type: ClassVar[str] = "intake.InformantIdentityErased"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    person_id: UUID = Field(description="person_id of the petition's SealedPersonalData")
    trigger: ErasureTrigger
    reason: ReadReason = Field(description="why the identity is erased (4 to 500 characters)")
    legal_basis: ReadReason = Field(
        description="the rule that requires or allows it, e.g. 《个人信息保护法》第四十七条"
    )


def upcast_petition_received_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: ``content`` became ``summary``; ``round_id`` is unknown for old petitions."""
    payload["summary"] = payload.pop("content")
    payload.setdefault("round_id", None)
    return payload


def upcast_petition_received_v2(payload: JsonDict) -> JsonDict:
    """v2 -> v3: petitions before groups had no group or unit (``null``)."""
    payload.setdefault("group_id", None)
    payload.setdefault("unit_id", None)
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


class ClueDisposalLearned(EventPayload):
    """线索办结: intake learned (from ``clues.ClueDisposed``) that the clue of this petition was
    disposed of; for a real-name reporter the result notice is due within 15 working days of
    ``disposed_on`` (R8)."""

    event_type: ClassVar[str] = "intake.ClueDisposalLearned"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    clue_id: UUID
    disposition: ShortText
    disposed_on: date = Field(description="the day (China Standard Time) the clue was closed")


class ResultNoticeOverdue(EventPayload):
    """结果告知逾期: a real-name reporter was not told of the result within 15 working days of
    the clue's disposal (R8)."""

    event_type: ClassVar[str] = "intake.ResultNoticeOverdue"
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


class WalkInHandled(EventPayload):
    """来访当日接待处理 (R13): a walk-in petition was taken up by a leader. ``handled_by`` is
    the leader's post (组长, 巡察办主任), never a name; who recorded it is the envelope's
    actor, when its ``occurred_at``."""

    event_type: ClassVar[str] = "intake.WalkInHandled"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    handled_by: ShortText = Field(description="the receiving leader's post, e.g. 巡察组组长")
    summary: LongText | None = None


class WalkInOverdue(EventPayload):
    """来访未当日处理 (R13): a walk-in petition was not taken up by the end of its day."""

    event_type: ClassVar[str] = "intake.WalkInOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the day of the visit (China Standard Time)")
    petition_id: UUID


def upcast_petition_received_v3(payload: JsonDict) -> JsonDict:
    """v3 -> v4: an anonymous petition's numbers were refused then, so none were sealed."""
    payload.setdefault("summary_numbers", None)
    return payload
