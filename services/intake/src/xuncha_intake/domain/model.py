"""The petition aggregate (来信来电来访 and referrals) and its receipt codes. Pure: no I/O.

A petition is recorded once (``intake.PetitionReceived``, schema 2). The reporter gets a random,
human-typable receipt code; only its SHA-256 is ever stored (in the event and in the receipt
lookup table), so neither the events table nor Kafka can reveal it (R11, domain §6 "Redact").
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from enum import StrEnum
from uuid import UUID

from xuncha_shared import jurisdictions
from xuncha_shared.contracts.common import Channel, SealedPersonalData
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.envelope import EventPayload
from xuncha_shared.service import DomainError, InvalidCommand

STREAM_TYPE = "petition"


class PetitionAlreadyRecorded(DomainError):
    """The petition's stream exists already (409)."""


# --- receipt codes ----------------------------------------------------------------------------

#: Crockford base32: no I, L, O, U (nothing to confuse with 1, 0 or V when read aloud or typed)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_PREFIX = "XC"
RECEIPT_GROUPS = 3
RECEIPT_GROUP_LEN = 4
RECEIPT_LEN = RECEIPT_GROUPS * RECEIPT_GROUP_LEN  # 12 symbols = 60 random bits
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def new_receipt_code() -> str:
    """A fresh receipt code such as ``XC-7KQ4-M2PD-9TRA`` (60 bits from ``secrets``)."""
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LEN))
    groups = [symbols[i : i + RECEIPT_GROUP_LEN] for i in range(0, RECEIPT_LEN, RECEIPT_GROUP_LEN)]
    return "-".join([RECEIPT_PREFIX, *groups])


def normalize_receipt_code(raw: str) -> str | None:
    """The canonical form of a typed receipt code, or ``None`` if it cannot be one.

    Accepts lower case, missing or extra hyphens and spaces, a missing ``XC`` prefix, and the
    usual confusions (O for 0, I or L for 1).
    """
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    if len(compact) == RECEIPT_LEN + len(RECEIPT_PREFIX) and compact.startswith(RECEIPT_PREFIX):
        compact = compact[len(RECEIPT_PREFIX) :]
    if len(compact) != RECEIPT_LEN:
        return None
    compact = compact.translate(_CONFUSABLE)
    if any(ch not in ALPHABET for ch in compact):
        return None
    groups = [compact[i : i + RECEIPT_GROUP_LEN] for i in range(0, RECEIPT_LEN, RECEIPT_GROUP_LEN)]
    return "-".join([RECEIPT_PREFIX, *groups])


def receipt_code_hash(code: str) -> str:
    """Lower-case hex SHA-256 of the canonical code (what the event and lookup table keep)."""
    canonical = normalize_receipt_code(code)
    if canonical is None:
        raise ValueError("not a receipt code")
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


# --- receipt status (what the anonymous reporter may see) -------------------------------------


class ReceiptStatus(StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"


RECEIPT_STATUS_ZH: dict[ReceiptStatus, str] = {
    ReceiptStatus.RECEIVED: "已收到，正在受理",
    ReceiptStatus.REGISTERED: "已受理，正在办理",
    ReceiptStatus.ESCALATED: "已报送上级巡察机构办理",
    ReceiptStatus.TRANSFERRED: "已移交有关部门办理",
}

_STATUS_RANK = {status: rank for rank, status in enumerate(ReceiptStatus)}


def status_advances(current: ReceiptStatus | str, new: ReceiptStatus | str) -> bool:
    """A receipt's status only moves forward (a redelivered old event never moves it back)."""
    return _STATUS_RANK[ReceiptStatus(new)] > _STATUS_RANK[ReceiptStatus(current)]


# --- the petition aggregate -------------------------------------------------------------------


@dataclass(frozen=True)
class RecordPetition:
    petition_id: UUID
    jurisdiction: str
    unit: str
    channel: Channel
    summary: str
    receipt_code_hash: str
    round_id: str | None = None


@dataclass
class Petition:
    petition_id: UUID | None = None
    jurisdiction: str | None = None
    unit: str | None = None
    channel: Channel | None = None
    summary: str | None = None
    round_id: str | None = None
    has_informant: bool = False
    version: int = 0
    events: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.version > 0


def validate_jurisdiction(code: str) -> None:
    if not jurisdictions.is_known(code):
        raise InvalidCommand(
            f"未知的行政区划代码 {code!r} / unknown jurisdiction {code!r}: not a city or county "
            "of this deployment"
        )


def decide_record(
    state: Petition, cmd: RecordPetition, informant: SealedPersonalData | None
) -> list[EventPayload]:
    """Record a petition. ``informant`` is already sealed: plaintext never reaches an event."""
    if state.exists:
        raise PetitionAlreadyRecorded(
            f"来信来访 {cmd.petition_id} 已登记 / petition {cmd.petition_id} is already recorded"
        )
    validate_jurisdiction(cmd.jurisdiction)
    return [
        PetitionReceived(
            petition_id=cmd.petition_id,
            jurisdiction=cmd.jurisdiction,
            unit=cmd.unit,
            channel=cmd.channel,
            summary=cmd.summary,
            informant=informant,
            receipt_code_hash=cmd.receipt_code_hash,
            round_id=cmd.round_id,
        )
    ]


def evolve(state: Petition, event: EventPayload) -> Petition:
    if isinstance(event, PetitionReceived):
        state.petition_id = event.petition_id
        state.jurisdiction = event.jurisdiction
        state.unit = event.unit
        state.channel = event.channel
        state.summary = event.summary
        state.round_id = event.round_id
        state.has_informant = event.informant is not None
    state.version += 1
    state.events.append(event.event_type)
    return state


def replay(events: list[EventPayload]) -> Petition:
    state = Petition()
    for event in events:
        evolve(state, event)
    return state
