"""The petition aggregate (来信来电来访 and referrals) and its receipt codes. Pure: no I/O.

A petition is recorded once (``intake.PetitionReceived``, schema 2). The reporter gets a random,
human-typable receipt code (100 random bits); only a keyed hash of it (HMAC-SHA256 under a server
secret) is ever stored (in the event and in the receipt lookup table), so neither the events
table nor Kafka can reveal it or let it be guessed offline (R11, domain §6 "Redact").

Every read of a real-name petition's sealed reporter identity by the informant custodian is an
``intake.InformantIdentityRead`` on the petition's stream (domain §7: who, when, why), decided
here before anything is decrypted for the reader.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.common import Channel, SealedPersonalData
from xuncha_shared.contracts.intake import (
    ClueDisposalLearned,
    ErasureTrigger,
    IdentityReadOutcome,
    InformantIdentityErased,
    InformantIdentityRead,
    InformantNotified,
    NoticeKind,
    PetitionReceived,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import (
    DomainError,
    InvalidCommand,
    NotAllowed,
    NotFoundError,
    RuleViolation,
)
from xuncha_shared.domain.personal_numbers import find_personal_numbers
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import EventPayload

STREAM_TYPE = "petition"


class PetitionAlreadyRecorded(DomainError):
    """The petition's stream exists already (409)."""


class UnknownPetition(NotFoundError):
    """No petition has this id (404)."""


class AnonymousPetition(RuleViolation):
    """The petition was made anonymously: it has no sealed reporter identity to read (409)."""


class IdentityAlreadyErased(RuleViolation):
    """The petition's reporter identity was erased already (409)."""


#: the only role that reads decrypted reporter identities (domain §7)
IDENTITY_READER = Role.CUSTODIAN
READ_REASON_MIN = 4
READ_REASON_MAX = 500


# --- receipt codes ----------------------------------------------------------------------------

#: Crockford base32: no I, L, O, U (nothing to confuse with 1, 0 or V when read aloud or typed)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_PREFIX = "XC"
RECEIPT_GROUP_LEN = 4
RECEIPT_GROUPS = 5
RECEIPT_LEN = RECEIPT_GROUPS * RECEIPT_GROUP_LEN  # 20 symbols = 100 random bits
#: codes handed out before the codes were lengthened (12 symbols, 60 bits) are still accepted
LEGACY_RECEIPT_LEN = 12
_CODE_LENGTHS = (RECEIPT_LEN, LEGACY_RECEIPT_LEN)
#: the development receipt key (public: production refuses to start without XUNCHA_RECEIPT_KEY)
DEV_RECEIPT_KEY = hashlib.sha256(
    b"xuncha development receipt key - never use in production"
).digest()
_CONFUSABLE = str.maketrans({"O": "0", "I": "1", "L": "1"})


def _grouped(symbols: str) -> str:
    groups = [symbols[i : i + RECEIPT_GROUP_LEN] for i in range(0, len(symbols), RECEIPT_GROUP_LEN)]
    return "-".join([RECEIPT_PREFIX, *groups])


def new_receipt_code() -> str:
    """A fresh receipt code such as ``XC-7KQ4-M2PD-9TRA-5HXE-W3NB`` (100 bits from
    ``secrets``)."""
    return _grouped("".join(secrets.choice(ALPHABET) for _ in range(RECEIPT_LEN)))


def normalize_receipt_code(raw: str) -> str | None:
    """The canonical form of a typed receipt code, or ``None`` if it cannot be one.

    Accepts lower case, missing or extra hyphens and spaces, a missing ``XC`` prefix, and the
    usual confusions (O for 0, I or L for 1); both today's 20-symbol codes and the 12-symbol
    codes handed out before (``XC-7KQ4-M2PD-9TRA``).
    """
    compact = "".join(ch for ch in raw.upper() if ch.isalnum())
    if len(compact) - len(RECEIPT_PREFIX) in _CODE_LENGTHS and compact.startswith(RECEIPT_PREFIX):
        compact = compact[len(RECEIPT_PREFIX) :]
    if len(compact) not in _CODE_LENGTHS:
        return None
    compact = compact.translate(_CONFUSABLE)
    if any(ch not in ALPHABET for ch in compact):
        return None
    return _grouped(compact)


def receipt_digest(code: str) -> str:
    """Lower-case hex SHA-256 of the canonical code: the unkeyed digest (what receipts kept
    before they were keyed; never stored any more)."""
    canonical = normalize_receipt_code(code)
    if canonical is None:
        raise ValueError("not a receipt code")
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def keyed_digest(digest: str, key: bytes) -> str:
    """HMAC-SHA256 under the server's receipt key of an unkeyed digest (lower-case hex). Keying
    the digest, not the code, lets a receipt kept unkeyed be keyed in place without its code."""
    return hmac.new(key, digest.encode("ascii"), hashlib.sha256).hexdigest()


def receipt_code_hash(code: str, key: bytes) -> str:
    """What the event and the lookup table keep of a receipt code: HMAC-SHA256 under the
    server's receipt key of the code's SHA-256 (without the key, neither the events nor the
    table let anyone test guessed codes offline)."""
    return keyed_digest(receipt_digest(code), key)


# --- receipt status (what the anonymous reporter may see) -------------------------------------


class ReceiptStatus(StrEnum):
    RECEIVED = "received"
    REGISTERED = "registered"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    ACKNOWLEDGED = "acknowledged"
    RESULT_REPORTED = "result_reported"
    DISPOSED = "disposed"


RECEIPT_STATUS_ZH: dict[ReceiptStatus, str] = {
    ReceiptStatus.RECEIVED: "已收到，正在受理",
    ReceiptStatus.REGISTERED: "已受理，正在办理",
    ReceiptStatus.ESCALATED: "已报送上级巡察机构办理",
    ReceiptStatus.TRANSFERRED: "已移交有关部门办理",
    ReceiptStatus.ACKNOWLEDGED: "有关部门已签收，正在办理",
    ReceiptStatus.RESULT_REPORTED: "有关部门已反馈办理结果",
    ReceiptStatus.DISPOSED: "已办结",
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
    #: the inspection group that received it and the registered unit it concerns
    group_id: UUID | None = None
    unit_id: UUID | None = None


@dataclass(frozen=True)
class ReadIdentity:
    """The informant custodian asks for a petition's reporter identity, for ``reason``."""

    petition_id: UUID
    reason: str


@dataclass(frozen=True)
class EraseIdentity:
    """The informant custodian erases a petition's reporter identity (crypto-shredding, R23),
    stating why and under which rule."""

    petition_id: UUID
    reason: str
    legal_basis: str


@dataclass
class Petition:
    petition_id: UUID | None = None
    jurisdiction: str | None = None
    unit: str | None = None
    channel: Channel | None = None
    summary: str | None = None
    round_id: str | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    informant: SealedPersonalData | None = None
    #: an anonymous petition's summary numbers, sealed (R11); a real-name petition's are in
    #: ``informant``
    numbers: SealedPersonalData | None = None
    identity_reads: int = 0
    identity_erased: bool = False
    notices: list[NoticeKind] = field(default_factory=list)
    #: the clue's disposal, once intake learned it (R8: the result notice counts from it)
    disposed_on: date | None = None
    version: int = 0
    events: list[str] = field(default_factory=list)

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def has_informant(self) -> bool:
        return self.informant is not None

    @property
    def sealed(self) -> SealedPersonalData | None:
        """What the petition sealed: the reporter's identity, or an anonymous petition's
        summary numbers (the custodian reads and erases either the same way)."""
        return self.informant or self.numbers


def validate_jurisdiction(code: str) -> None:
    if not jurisdictions.is_known(code):
        raise InvalidCommand(
            f"未知的行政区划代码 {code!r} / unknown jurisdiction {code!r}: not a city or county "
            "of this deployment"
        )


def decide_record(
    state: Petition,
    cmd: RecordPetition,
    informant: SealedPersonalData | None,
    numbers: SealedPersonalData | None = None,
) -> list[EventPayload]:
    """Record a petition. ``informant`` (a real-name reporter) and ``numbers`` (an anonymous
    summary's numbers, R11) are already sealed: plaintext never reaches an event."""
    if state.exists:
        raise PetitionAlreadyRecorded(
            f"来信来访 {cmd.petition_id} 已登记 / petition {cmd.petition_id} is already recorded"
        )
    validate_jurisdiction(cmd.jurisdiction)
    if informant is not None and numbers is not None:
        raise InvalidCommand(
            "实名举报的号码随举报人身份密封 / a real-name petition's numbers are sealed with "
            "its reporter identity"
        )
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
            group_id=cmd.group_id,
            unit_id=cmd.unit_id,
            summary_numbers=numbers,
        )
    ]


def validate_read_reason(reason: str) -> str:
    """The stated purpose of an identity read, stripped: 4 to 500 characters, and no phone or
    ID number in it (R11: the reason is kept in clear in the audit log, which the auditor reads;
    the number it would carry is what the read protects). 422 otherwise, naming the kind of
    number found, never the number."""
    stripped = reason.strip()
    if not READ_REASON_MIN <= len(stripped) <= READ_REASON_MAX:
        raise InvalidCommand(
            f"查阅举报人身份须说明理由（{READ_REASON_MIN}–{READ_REASON_MAX} 字） / the reason "
            f"of an identity read must have {READ_REASON_MIN} to {READ_REASON_MAX} characters, "
            f"not {len(stripped)}"
        )
    if found := find_personal_numbers(stripped):
        raise InvalidCommand(
            f"查阅理由不得包含电话号码或身份证号 (R11)：其中含有{found.describe_zh()}，请删去 / "
            f"the reason of an identity read must not carry a phone or ID number (R11): it "
            f"contains {found.describe_en()}"
        )
    return stripped


def identity_to_read(state: Petition, cmd: ReadIdentity, reader: Principal) -> SealedPersonalData:
    """What ``reader`` may read for ``cmd``: the sealed identity, or an anonymous petition's
    sealed summary numbers; refuses (in this order) a reader who is not the informant custodian
    (403), an unknown petition or one outside the reader's jurisdiction (the same 404) and an
    anonymous petition that sealed nothing (409). Nothing is decrypted yet."""
    if reader.role is not IDENTITY_READER:
        raise NotAllowed(
            f"只有举报人信息保管员可以查阅举报人身份 / only the {IDENTITY_READER.value} reads "
            f"reporter identities, not a {reader.role.value}"
        )
    if not state.exists or state.jurisdiction is None or not reader.can_access(state.jurisdiction):
        # another jurisdiction's petition is answered exactly like an unknown one (no oracle)
        raise UnknownPetition(
            f"未找到来信来访 {cmd.petition_id} / unknown petition {cmd.petition_id}"
        )
    sealed = state.sealed
    if sealed is None:
        raise AnonymousPetition(
            f"来信来访 {cmd.petition_id} 为匿名举报，没有举报人身份或密封的号码 / petition "
            f"{cmd.petition_id} is anonymous: it holds no reporter identity and sealed no numbers"
        )
    return sealed


def decide_identity_read(
    state: Petition, cmd: ReadIdentity, reader: Principal, outcome: IdentityReadOutcome
) -> list[EventPayload]:
    """Record a read of the petition's reporter identity (``outcome``: disclosed, or nothing to
    disclose because the person's key was erased). Same refusals as ``identity_to_read``."""
    sealed = identity_to_read(state, cmd, reader)
    return [
        InformantIdentityRead(
            petition_id=cmd.petition_id,
            person_id=sealed.person_id,
            reason=validate_read_reason(cmd.reason),
            outcome=outcome,
        )
    ]


def decide_identity_erasure(
    state: Petition, cmd: EraseIdentity, custodian: Principal
) -> list[EventPayload]:
    """Erase the petition's reporter identity (R23): the same refusals as a read (403 another
    role, 404 unknown or another jurisdiction's, 409 anonymous), 409 when already erased, 422
    without a reason or a legal basis of 4 to 500 characters. The handler destroys the person's
    data key in the transaction that appends the event."""
    sealed = identity_to_read(
        state, ReadIdentity(petition_id=cmd.petition_id, reason=cmd.reason), custodian
    )
    if state.identity_erased:
        raise IdentityAlreadyErased(
            f"来信来访 {cmd.petition_id} 的举报人身份已销毁 / the reporter identity of petition "
            f"{cmd.petition_id} is erased already (R23)"
        )
    return [
        InformantIdentityErased(
            petition_id=cmd.petition_id,
            person_id=sealed.person_id,
            trigger=ErasureTrigger.CUSTODIAN,
            reason=validate_read_reason(cmd.reason),
            legal_basis=_legal_basis(cmd.legal_basis),
        )
    ]


def _legal_basis(text: str) -> str:
    stripped = text.strip()
    if not READ_REASON_MIN <= len(stripped) <= READ_REASON_MAX:
        raise InvalidCommand(
            f"销毁举报人身份须写明法律依据（{READ_REASON_MIN}–{READ_REASON_MAX} 字） / the legal "
            f"basis of an erasure must have {READ_REASON_MIN} to {READ_REASON_MAX} characters"
        )
    return stripped


def evolve(state: Petition, event: EventPayload, at: datetime | None = None) -> Petition:
    if isinstance(event, PetitionReceived):
        state.petition_id = event.petition_id
        state.jurisdiction = event.jurisdiction
        state.unit = event.unit
        state.channel = event.channel
        state.summary = event.summary
        state.round_id = event.round_id
        state.group_id = event.group_id
        state.unit_id = event.unit_id
        state.informant = event.informant
        state.numbers = event.summary_numbers
    elif isinstance(event, InformantIdentityRead):
        state.identity_reads += 1
    elif isinstance(event, InformantIdentityErased):
        state.identity_erased = True
    elif isinstance(event, InformantNotified):
        state.notices.append(event.notice)
    elif isinstance(event, ClueDisposalLearned):
        state.disposed_on = event.disposed_on
    state.version += 1
    state.events.append(event.event_type)
    return state


def event_jurisdiction(state: Petition, event: EventPayload) -> str:
    """The envelope jurisdiction of an event of this petition: where it was received."""
    if isinstance(event, PetitionReceived):
        return event.jurisdiction
    assert state.jurisdiction is not None, "only PetitionReceived starts a petition"
    return state.jurisdiction


#: the petition aggregate, for the shared command loop
PETITION = AggregateKind(
    stream_type=STREAM_TYPE, initial=Petition, evolve=evolve, jurisdiction_of=event_jurisdiction
)


def replay(events: list[EventPayload]) -> Petition:
    return PETITION.replay(events)
