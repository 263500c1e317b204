"""The problem clue's state (问题线索): its statuses and their Chinese names, the refusals every
decision shares (an unknown clue, an illegal transition, another office's clue), who acts
(``Office``) and the state ``evolve`` folds the events into (``model.py``). Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    CadreLevel,
    ClueCategory,
    CluePerson,
    Disposition,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.errors import NotAllowed, NotFoundError, RuleViolation

from xuncha_clues.domain.paper_dates import china_day

STREAM_TYPE = "clue"


def unknown_clue_detail(clue_id: UUID) -> str:
    """The detail of the 404 of an unknown clue (and of another jurisdiction's: the same)."""
    return f"未找到线索 {clue_id} / unknown clue {clue_id}"


class UnknownClue(NotFoundError):
    """No clue has this id (404)."""


class ClueStatus(StrEnum):
    REGISTERED = "registered"
    CLASSIFIED = "classified"
    VERIFYING = "verifying"
    ESCALATED = "escalated"
    TRANSFERRED = "transferred"
    ACKNOWLEDGED = "acknowledged"
    RESULT_REPORTED = "result_reported"
    DISPOSED = "disposed"
    KEPT = "kept"
    ARCHIVED = "archived"


STATUS_ZH: dict[ClueStatus, str] = {
    ClueStatus.REGISTERED: "已登记",
    ClueStatus.CLASSIFIED: "已分类",
    ClueStatus.VERIFYING: "核查中",
    ClueStatus.ESCALATED: "已报市委巡察办",
    ClueStatus.TRANSFERRED: "已移交",
    ClueStatus.ACKNOWLEDGED: "已签收",
    ClueStatus.RESULT_REPORTED: "已反馈结果",
    ClueStatus.DISPOSED: "已办结",
    ClueStatus.KEPT: "参考类留存",
    ClueStatus.ARCHIVED: "已存档",
}

DISPOSITION_ZH: dict[Disposition, str] = {
    Disposition.TALK_OR_LETTER: "谈话函询",
    Disposition.PRELIMINARY_CHECK: "初步核实",
    Disposition.SHELVED: "暂存待查",
    Disposition.CLOSED: "予以了结",
    Disposition.CASE_OPENED: "立案审查调查",
    Disposition.ORGANISATIONAL_HANDLING: "组织处理",
}


class IllegalTransition(RuleViolation):
    """409: the clue's state does not allow the command; the detail names the state."""

    def __init__(self, state: ClueStatus, action_zh: str, action: str) -> None:
        super().__init__(
            f"线索当前状态为“{STATUS_ZH[state]}”({state.value})，不能{action_zh} / the clue is "
            f"in state {state.value}; it cannot be {action}"
        )
        self.state = state


@dataclass(frozen=True)
class Office:
    """Who acts: the caller's jurisdiction and whether it is the city office (or a city-wide
    role). Kept free of the auth module so the model stays pure."""

    jurisdiction: str
    city_wide: bool


@dataclass
class Clue:
    clue_id: UUID | None = None
    jurisdiction: str = ""  # where it was registered (home office)
    unit: str = ""
    summary: str = ""
    source_petition_id: UUID | None = None
    source_event_id: UUID | None = None
    round_id: str | None = None
    status: ClueStatus = ClueStatus.REGISTERED
    category: ClueCategory | None = None
    cadre_level: CadreLevel | None = None
    city_managed: bool = False
    counties: list[str] = field(default_factory=list)
    topics: list[str] = field(default_factory=list)
    escalated_to: str | None = None
    escalation_reason: str | None = None
    department: Department | None = None
    transfer_reason: str | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    source_channel: str | None = None
    persons: list[CluePerson] = field(default_factory=list)
    verifications: int = 0
    acknowledged_via: AcknowledgementPath | None = None
    disposition: Disposition | None = None
    concluded_on: date | None = None
    result_summary: str | None = None
    disposed_on: date | None = None
    transferred_at: datetime | None = None
    registered_at: datetime | None = None
    #: the days written on paper (补录, R26); None: the day each was recorded
    registered_on: date | None = None
    transferred_on: date | None = None
    #: 催办 (R27): how often the office chased the department for its result, and when last
    urges: int = 0
    last_urged_on: date | None = None
    updated_at: datetime | None = None
    #: when the clue took its present status: all a county office's stub of a clue it reported
    #: up tells of time (the city's other steps move ``updated_at``, never this)
    status_since: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def classified(self) -> bool:
        return self.category is not None

    @property
    def escalated(self) -> bool:
        return self.escalated_to is not None

    @property
    def transferred(self) -> bool:
        return self.department is not None

    @property
    def registration_day(self) -> date | None:
        """The clue's registration day (China time): as written on paper (R26), else the day it
        was recorded."""
        if self.registered_on is not None:
            return self.registered_on
        return china_day(self.registered_at) if self.registered_at else None

    @property
    def transfer_day(self) -> date | None:
        """The day of the transfer (China time): the transfer letter's (R26), else the day the
        transfer was recorded."""
        if self.transferred_on is not None:
            return self.transferred_on
        return china_day(self.transferred_at) if self.transferred_at else None

    @property
    def owner(self) -> str:
        """The office responsible now: the city once escalated, else the home office."""
        return self.escalated_to or self.jurisdiction

    @property
    def involved_counties(self) -> set[str]:
        involved = set(self.counties)
        if self.jurisdiction and not jurisdictions.is_city(self.jurisdiction):
            involved.add(self.jurisdiction)
        return involved

    @property
    def needs_escalation(self) -> bool:
        """R12: a county clue on a 市管干部 or spanning counties must reach the city office."""
        if not self.jurisdiction or jurisdictions.is_city(self.jurisdiction):
            return False
        return self.city_managed or len(self.involved_counties) > 1

    def visible_in_full_to(self, office: Office) -> bool:
        """Whether ``office`` may see the whole clue (else only a stub: 不扩大知情范围)."""
        if office.city_wide:
            return jurisdictions.city_of(self.owner) == jurisdictions.city_of(office.jurisdiction)
        return self.owner == office.jurisdiction


# --- the refusals every decision shares -------------------------------------------------------


def require_status(
    state: Clue, allowed: frozenset[ClueStatus] | set[ClueStatus], action_zh: str, action: str
) -> None:
    if state.status not in allowed:
        raise IllegalTransition(state.status, action_zh, action)


def require_exists(state: Clue) -> UUID:
    if not state.exists or state.clue_id is None:
        raise UnknownClue("未找到该线索 / unknown clue")
    return state.clue_id


def require_owner(state: Clue, office: Office, action_zh: str, action: str) -> None:
    """Only the office responsible for the clue acts on it (the city acts on its counties')."""
    if office.city_wide:
        if jurisdictions.city_of(state.owner) != jurisdictions.city_of(office.jurisdiction):
            raise NotAllowed(f"线索不属于本市 / the clue belongs to another city; cannot {action}")
        return
    if state.escalated and office.jurisdiction == state.jurisdiction:
        raise NotAllowed(
            f"该线索已报市委巡察办 ({state.escalated_to})，县区不能再{action_zh} / the clue was "
            f"escalated to the city office ({state.escalated_to}); only the city office may "
            f"{action} it now"
        )
    if state.owner != office.jurisdiction:
        raise NotAllowed(
            f"该线索不属于本县区 / the clue belongs to another jurisdiction; cannot {action} it"
        )
