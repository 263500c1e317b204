"""clues.* events: the clue after its transfer: verification, the department's acknowledgement
(签收) and result (办理结果, R3), the office's urges (催办, R27), disposal and archiving (R9)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import (
    Department,
    JurisdictionCode,
    LongText,
    ShortText,
)
from xuncha_shared.envelope import EventPayload, JsonDict


class VerificationMethod(StrEnum):
    QUICK_CHECK = "quick_check"  # 速查
    VERIFICATION = "verification"  # 核查


class AcknowledgementPath(StrEnum):
    DIRECT = "direct"  # POST /api/v1/clues/{id}/acknowledge with the department's token
    FEED = "feed"  # 签收 in reporting's sharing feed (reporting.ShareItemAcknowledged)


class Disposition(StrEnum):
    """How the receiving department disposed of a transferred clue (处置方式)."""

    TALK_OR_LETTER = "talk_or_letter"  # 谈话函询
    PRELIMINARY_CHECK = "preliminary_check"  # 初步核实
    SHELVED = "shelved"  # 暂存待查
    CLOSED = "closed"  # 予以了结
    CASE_OPENED = "case_opened"  # 立案审查调查
    ORGANISATIONAL_HANDLING = "organisational_handling"  # 组织处理


class ClueVerified(EventPayload):
    """速查/核查: the group (or office) verified a clue during stationing."""

    event_type: ClassVar[str] = "clues.ClueVerified"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    method: VerificationMethod
    verification_outcome: ShortText
    notes: LongText | None = None


class ClueAcknowledgedV1(EventPayload):
    """Legacy form (schema 1): without the department's note."""

    event_type: ClassVar[str] = "clues.ClueAcknowledged"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    via: AcknowledgementPath
    transfer_event_id: UUID
    feed_ack_event_id: UUID | None = None


def upcast_clue_acknowledged_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: an acknowledgement before the note was kept said none."""
    payload.setdefault("note", None)
    return payload


class ClueAcknowledged(EventPayload):
    """签收: the receiving department acknowledged a transferred clue, directly or through its
    sharing feed (``feed_ack_event_id``: the ``reporting.ShareItemAcknowledged``). Once per
    clue, whichever way comes first; ``transfer_event_id`` names the feed item. Schema 2:
    ``note``, what the department wrote when it signed (签收备注; the feed's note), which the
    clue's record shows the office."""

    event_type: ClassVar[str] = "clues.ClueAcknowledged"
    schema_version: ClassVar[int] = 2

    clue_id: UUID
    department: Department
    via: AcknowledgementPath
    transfer_event_id: UUID
    feed_ack_event_id: UUID | None = None
    note: LongText | None = None


class TransferResultReported(EventPayload):
    """办理结果: the receiving department reported what it did with the clue (R3)."""

    event_type: ClassVar[str] = "clues.TransferResultReported"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    disposition: Disposition
    concluded_on: date
    summary: LongText


class TransferResultUrged(EventPayload):
    """催办: the office responsible for a transferred clue chased the receiving department for
    its result (R27), before or after R3's three months ran out; the department's feed shares
    it. ``urge_no`` counts the urges of the clue from 1; ``due_date`` is R3's last day as the
    clue's clock had it (None: no clock ran, e.g. a transfer older than the clocks);
    ``overdue``: the urge came after that day. The clue's unit and summary are carried for the
    feed, as ``ClueTransferred`` carries them."""

    event_type: ClassVar[str] = "clues.TransferResultUrged"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    department: Department
    jurisdiction: JurisdictionCode = Field(description="the office responsible, which urged")
    unit: ShortText
    summary: LongText
    note: LongText = Field(description="催办意见: what the office asks of the department")
    urged_on: date = Field(description="the day (China Standard Time) of the urge")
    urge_no: int = Field(ge=1, le=10_000, description="the n-th urge of this clue")
    due_date: date | None = Field(default=None, description="R3's last day (China time)")
    overdue: bool = Field(description="urged after R3's last day")


class ClueDisposed(EventPayload):
    """办结: the office responsible for the clue accepted the department's result and closed
    it. Intake follows it to start the result notice of a real-name reporter (R8)."""

    event_type: ClassVar[str] = "clues.ClueDisposed"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    disposition: Disposition
    disposed_on: date = Field(description="the day (China Standard Time) the office closed it")
    source_petition_id: UUID | None = None
    note: LongText | None = None


class ClueArchived(EventPayload):
    """存档: the office archived a 参考类 clue kept for reference."""

    event_type: ClassVar[str] = "clues.ClueArchived"
    schema_version: ClassVar[int] = 1

    clue_id: UUID
    reason: LongText
