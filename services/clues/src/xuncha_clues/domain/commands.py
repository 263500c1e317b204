"""The commands of the problem clue aggregate (``model.decide_*`` takes them). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    CadreLevel,
    ClueCategory,
    CluePerson,
    Disposition,
    VerificationMethod,
)
from xuncha_shared.contracts.common import Department


@dataclass(frozen=True)
class RegisterClue:
    clue_id: UUID
    jurisdiction: str
    unit: str
    summary: str
    source_event_id: UUID | None = None
    source_petition_id: UUID | None = None
    round_id: str | None = None
    source_record_id: UUID | None = None
    source_channel: str | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    persons: tuple[CluePerson, ...] = ()
    #: registered over HTTP by a group or office (R11 applies: the summary is checked)
    direct: bool = False
    #: the day written on a registration made on paper (补录, R26); None: the day recorded
    registered_on: date | None = None


@dataclass(frozen=True)
class ClassifyClue:
    category: ClueCategory
    cadre_level: CadreLevel | None = None
    city_managed: bool = False
    counties: tuple[str, ...] = ()
    topics: tuple[str, ...] = ()


@dataclass(frozen=True)
class EscalateClue:
    reason: str


@dataclass(frozen=True)
class TransferClue:
    department: Department
    reason: str
    #: the day of the transfer letter (移交函) made on paper (补录, R26); None: the day recorded
    transferred_on: date | None = None


@dataclass(frozen=True)
class VerifyClue:
    method: VerificationMethod
    outcome: str
    notes: str | None = None


@dataclass(frozen=True)
class AcknowledgeClue:
    """The receiving ``department`` signs for the clue; ``transfer_event_id`` is the id of the
    ``ClueTransferred`` event (the feed item's source)."""

    department: Department
    via: AcknowledgementPath
    transfer_event_id: UUID
    feed_ack_event_id: UUID | None = None
    #: 签收备注: what the department wrote when it signed (the feed's note, or the direct one)
    note: str | None = None


@dataclass(frozen=True)
class ReportResult:
    department: Department
    disposition: Disposition
    concluded_on: date
    summary: str


@dataclass(frozen=True)
class UrgeTransferResult:
    """催办 (R27): the office chases the department for the result of a transferred clue;
    ``due_date`` is R3's last day as the clue's clock has it (None: no clock runs)."""

    note: str
    due_date: date | None = None


@dataclass(frozen=True)
class DisposeClue:
    disposed_on: date
    note: str | None = None


@dataclass(frozen=True)
class ArchiveClue:
    reason: str
