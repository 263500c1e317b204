"""The problem-clue aggregate (问题线索). Pure: no I/O.

States (domain.md §3): registered → classified → verifying → (escalated) → transferred →
acknowledged → result_reported → disposed; a 参考类 (reference) clue is kept → archived. Every
state change is an event; an illegal transition is a :class:`IllegalTransition` (409) naming the
state the clue is in, and decides nothing. Rules:

* R2 (Art. 28) routing: discipline breaches and 作风 → 纪委监委; 民主集中制 and 选人用人 →
  组织部; others → the relevant department. ``allowed_departments`` derives the acceptable
  recipients from the clue's topics; a transfer to a department that no topic of a classified
  clue routes to is refused when *every* topic has a fixed route (an obviously wrong route, e.g.
  民主集中制 to 审计局). Clues with topics outside the route table, or with no topics, may go to
  any department: the office's judgement is recorded, not second-guessed.
* R12: a county clue on a 市管干部 or spanning counties must be escalated to the city office
  (``ClueEscalated``) before any transfer; after escalation the clue belongs to the city: its
  later events carry the city's jurisdiction and a county office sees it only as a stub.
* A clue must be classified before it is transferred (otherwise R12 could be bypassed by
  transferring before anyone said it concerns a 市管干部).
* A clue is transferred once; a second transfer is a conflict.
* R21: the system has no "investigating" state; groups find, transfer, never investigate.
  Verification (速查/核查, ``ClueVerified``) is the group checking what it found during
  stationing, not an investigation.
* R3: a receiving department acknowledges a transferred clue once (directly or through its
  feed: whichever comes first; the feed's second is a no-op) and reports its result
  (``TransferResultReported``, R3) only after acknowledging; only the department the clue was
  transferred to acts on it.
* R9: the office responsible for the clue closes it (``ClueDisposed``, 办结) once the result is
  reported; a 参考类 clue is kept and the office archives it (``ClueArchived``). The disposal
  starts R8's result notice in intake.
* R11: a clue's summary never carries the informant's identity (no phone number, no ID number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    CadreLevel,
    ClueAcknowledged,
    ClueArchived,
    ClueCategory,
    ClueClassified,
    ClueDisposed,
    ClueEscalated,
    CluePerson,
    ClueRegistered,
    ClueTransferred,
    ClueVerified,
    Disposition,
    TransferResultReported,
    VerificationMethod,
)
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import (
    InvalidCommand,
    NotAllowed,
    NotFoundError,
    RuleViolation,
)
from xuncha_shared.domain.personal_numbers import find_personal_numbers
from xuncha_shared.envelope import EventPayload

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

#: states before the transfer, in which the office still works on the clue
_BEFORE_TRANSFER = frozenset(
    {ClueStatus.REGISTERED, ClueStatus.CLASSIFIED, ClueStatus.VERIFYING, ClueStatus.ESCALATED}
)


class IllegalTransition(RuleViolation):
    """409: the clue's state does not allow the command; the detail names the state."""

    def __init__(self, state: ClueStatus, action_zh: str, action: str) -> None:
        super().__init__(
            f"线索当前状态为“{STATUS_ZH[state]}”({state.value})，不能{action_zh} / the clue is "
            f"in state {state.value}; it cannot be {action}"
        )
        self.state = state


def _require_status(
    state: Clue, allowed: frozenset[ClueStatus] | set[ClueStatus], action_zh: str, action: str
) -> None:
    if state.status not in allowed:
        raise IllegalTransition(state.status, action_zh, action)


# --- R2 route table (versioned: Art. 28 of the 2015 regulation) -------------------------------

ROUTE_TABLE_VERSION = "xunshi_2015_art28"

DISCIPLINE_TOPICS: frozenset[str] = frozenset(
    {"四风", "微腐败", "作风", "违纪", "违法", "腐败", "廉洁", "一岗双责", "两个责任"}
)
ORGANISATION_TOPICS: frozenset[str] = frozenset(
    {"民主集中制", "选人用人", "干部选拔任用", "组织建设", "班子建设"}
)
OTHER_TOPIC_ROUTES: dict[str, Department] = {
    "惠民资金": Department.FINANCE,
    "财务": Department.FINANCE,
    "审计": Department.AUDIT,
    "资金使用": Department.AUDIT,
    "信访": Department.PETITIONS,
}


def route_of(topic: str) -> Department | None:
    """The R2 recipient of one topic, ``None`` when the route table does not fix one."""
    if topic in DISCIPLINE_TOPICS:
        return Department.DISCIPLINE
    if topic in ORGANISATION_TOPICS:
        return Department.ORGANISATION
    return OTHER_TOPIC_ROUTES.get(topic)


def is_fixed_route(topic: str) -> bool:
    """Whether Art. 28 itself fixes the recipient (纪委 or 组织部), not the office."""
    return topic in DISCIPLINE_TOPICS or topic in ORGANISATION_TOPICS


def suggested_departments(topics: list[str]) -> list[Department]:
    """Recipients the route table suggests for ``topics``, in R2 order (纪委, 组织部, others)."""
    found = {d for t in topics if (d := route_of(t)) is not None}
    return [d for d in Department if d in found]


def allowed_departments(topics: list[str]) -> list[Department] | None:
    """The departments a transfer may go to, or ``None`` when any department is acceptable
    (no topics, or some topic without a fixed Art. 28 route)."""
    if not topics or not all(is_fixed_route(t) for t in topics):
        return None
    return suggested_departments(topics)


def _labels(departments: list[Department]) -> str:
    return "、".join(f"{DEPARTMENT_LABELS_ZH[d]} ({d.value})" for d in departments)


# --- commands ---------------------------------------------------------------------------------


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


@dataclass(frozen=True)
class ReportResult:
    department: Department
    disposition: Disposition
    concluded_on: date
    summary: str


@dataclass(frozen=True)
class DisposeClue:
    disposed_on: date
    note: str | None = None


@dataclass(frozen=True)
class ArchiveClue:
    reason: str


@dataclass(frozen=True)
class Office:
    """Who acts: the caller's jurisdiction and whether it is the city office (or a city-wide
    role). Kept free of the auth module so the model stays pure."""

    jurisdiction: str
    city_wide: bool


# --- state ------------------------------------------------------------------------------------


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
    updated_at: datetime | None = None
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


# --- decisions --------------------------------------------------------------------------------


def _require_exists(state: Clue) -> UUID:
    if not state.exists or state.clue_id is None:
        raise UnknownClue("未找到该线索 / unknown clue")
    return state.clue_id


def _require_owner(state: Clue, office: Office, action_zh: str, action: str) -> None:
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


def decide_register(state: Clue, cmd: RegisterClue) -> list[EventPayload]:
    """Register a clue; registering the same clue again decides nothing (idempotent)."""
    if state.exists:
        return []
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    if cmd.direct and (found := find_personal_numbers(cmd.summary)):
        raise InvalidCommand(
            f"线索摘要不得包含举报人身份信息 (R11)：摘要中含有{found.describe_zh()} / the "
            f"summary must not carry the informant's identity (R11): it contains "
            f"{found.describe_en()}"
        )
    return [
        ClueRegistered(
            clue_id=cmd.clue_id,
            jurisdiction=cmd.jurisdiction,
            unit=cmd.unit,
            summary=cmd.summary,
            source_event_id=cmd.source_event_id,
            source_petition_id=cmd.source_petition_id,
            round_id=cmd.round_id,
            source_record_id=cmd.source_record_id,
            source_channel=cmd.source_channel,
            group_id=cmd.group_id,
            unit_id=cmd.unit_id,
            persons=list(cmd.persons),
        )
    ]


def decide_classify(state: Clue, cmd: ClassifyClue, office: Office) -> list[EventPayload]:
    clue_id = _require_exists(state)
    _require_owner(state, office, "分类", "classify")
    if state.transferred:
        raise RuleViolation(
            "线索已移交，不能再分类 / the clue was already transferred and cannot be reclassified"
        )
    _require_status(state, {*_BEFORE_TRANSFER, ClueStatus.KEPT}, "分类", "classified")
    bad = [c for c in cmd.counties if not jurisdictions.is_known(c) or jurisdictions.is_city(c)]
    if bad:
        raise InvalidCommand(
            f"counties 中有未知的县区代码 {', '.join(bad)} / unknown county code(s) "
            f"{', '.join(bad)}: counties must be county-level divisions of this deployment"
        )
    wrong_city = [
        c for c in cmd.counties if jurisdictions.city_of(c) != jurisdictions.city_of(state.owner)
    ]
    if wrong_city:
        raise InvalidCommand(
            f"县区 {', '.join(wrong_city)} 不属于本市 / county code(s) {', '.join(wrong_city)} "
            "belong to another city"
        )
    counties = sorted(set(cmd.counties))
    topics = list(dict.fromkeys(t.strip() for t in cmd.topics if t.strip()))
    return [
        ClueClassified(
            clue_id=clue_id,
            category=cmd.category,
            cadre_level=cmd.cadre_level,
            city_managed=cmd.city_managed,
            counties=counties,
            topics=topics,
        )
    ]


def decide_escalate(state: Clue, cmd: EscalateClue, office: Office) -> list[EventPayload]:
    clue_id = _require_exists(state)
    _require_owner(state, office, "报送", "escalate")
    if state.transferred:
        raise RuleViolation(
            "线索已移交，不能再报市委巡察办 / the clue was already transferred; it cannot be "
            "escalated any more"
        )
    if state.escalated:
        raise RuleViolation(
            f"线索已报市委巡察办 ({state.escalated_to}) / the clue was already escalated to "
            f"{state.escalated_to}"
        )
    _require_status(
        state,
        {ClueStatus.REGISTERED, ClueStatus.CLASSIFIED, ClueStatus.VERIFYING},
        "报市委巡察办",
        "escalated",
    )
    if jurisdictions.is_city(state.jurisdiction):
        raise RuleViolation(
            "市级线索无需报市委巡察办 / the clue is already the city office's: nothing to "
            "escalate to"
        )
    return [
        ClueEscalated(
            clue_id=clue_id,
            from_jurisdiction=state.jurisdiction,
            to_jurisdiction=jurisdictions.city_of(state.jurisdiction),
            reason=cmd.reason,
        )
    ]


def decide_transfer(state: Clue, cmd: TransferClue, office: Office) -> list[EventPayload]:
    clue_id = _require_exists(state)
    _require_owner(state, office, "移交", "transfer")
    if state.department is not None:
        raise RuleViolation(
            f"线索已移交{DEPARTMENT_LABELS_ZH[state.department]}，不能重复移交 / the clue was "
            f"already transferred to {state.department.value}; it cannot be transferred again"
        )
    if not state.classified:
        raise RuleViolation(
            "线索尚未分类，不能移交 / the clue must be classified (category, cadre level, "
            "市管干部, counties) before it is transferred"
        )
    _require_status(state, _BEFORE_TRANSFER, "移交", "transferred")
    if state.needs_escalation and not state.escalated:
        why = "涉及市管干部" if state.city_managed else "涉及多个县区"
        why_en = (
            "concerns a city-managed cadre (市管干部)"
            if state.city_managed
            else f"spans counties ({', '.join(sorted(state.involved_counties))})"
        )
        raise RuleViolation(
            f"该线索{why}，须先报市委巡察办后方可移交 (R12) / the clue {why_en} and must be "
            "escalated to the city office before any transfer (R12)"
        )
    allowed = allowed_departments(state.topics)
    if allowed is not None and cmd.department not in allowed:
        raise InvalidCommand(
            f"移交路线不符合规定 (R2, 巡视工作条例第28条)：主题 {'、'.join(state.topics)} 应移交"
            f"{_labels(allowed)}，而非{DEPARTMENT_LABELS_ZH[cmd.department]} / wrong route (R2, "
            f"Art. 28): topics {', '.join(state.topics)} go to "
            f"{', '.join(d.value for d in allowed)}, not {cmd.department.value}"
        )
    return [
        ClueTransferred(
            clue_id=clue_id,
            department=cmd.department,
            reason=cmd.reason,
            jurisdiction=state.owner,
            unit=state.unit,
            summary=state.summary,
        )
    ]


def decide_verify(state: Clue, cmd: VerifyClue, office: Office) -> list[EventPayload]:
    """速查/核查 during stationing: a classified clue (or one being verified) that was not
    handed on yet."""
    clue_id = _require_exists(state)
    _require_owner(state, office, "核查", "verify")
    _require_status(state, {ClueStatus.CLASSIFIED, ClueStatus.VERIFYING}, "核查", "verified")
    return [
        ClueVerified(
            clue_id=clue_id, method=cmd.method, verification_outcome=cmd.outcome, notes=cmd.notes
        )
    ]


def _require_department(state: Clue, department: Department) -> UUID:
    """Only the department the clue was transferred to acts on it: anything else is the 404
    of an unknown clue (no existence oracle)."""
    clue_id = _require_exists(state)
    if state.department is None or state.department is not department:
        raise UnknownClue(unknown_clue_detail(clue_id))
    return clue_id


def decide_acknowledge(state: Clue, cmd: AcknowledgeClue) -> list[EventPayload]:
    """签收 (R3): once. A second acknowledgement through the feed decides nothing (the feed
    item is acknowledged already); through HTTP it is refused (409)."""
    clue_id = _require_department(state, cmd.department)
    if state.status is not ClueStatus.TRANSFERRED:
        if cmd.via is AcknowledgementPath.FEED and state.acknowledged_via is not None:
            return []
        raise IllegalTransition(state.status, "签收", "acknowledged")
    return [
        ClueAcknowledged(
            clue_id=clue_id,
            department=cmd.department,
            via=cmd.via,
            transfer_event_id=cmd.transfer_event_id,
            feed_ack_event_id=cmd.feed_ack_event_id,
        )
    ]


def decide_report_result(state: Clue, cmd: ReportResult, today: date) -> list[EventPayload]:
    """办理结果 (R3, R3): after the acknowledgement, once; not concluded in the future nor
    before the transfer."""
    clue_id = _require_department(state, cmd.department)
    _require_status(state, {ClueStatus.ACKNOWLEDGED}, "反馈办理结果", "given a result")
    if cmd.concluded_on > today:
        raise InvalidCommand(
            f"办结日期不能晚于今天 / concluded_on {cmd.concluded_on.isoformat()} is after today "
            f"({today.isoformat()})"
        )
    if state.transferred_at is not None and cmd.concluded_on < state.transferred_at.date():
        raise InvalidCommand(
            f"办结日期早于移交日期 / concluded_on {cmd.concluded_on.isoformat()} is before the "
            f"transfer ({state.transferred_at.date().isoformat()})"
        )
    return [
        TransferResultReported(
            clue_id=clue_id,
            department=cmd.department,
            disposition=cmd.disposition,
            concluded_on=cmd.concluded_on,
            summary=cmd.summary,
        )
    ]


def decide_dispose(state: Clue, cmd: DisposeClue, office: Office) -> list[EventPayload]:
    """办结 (R9): the office responsible closes a clue whose result was reported."""
    clue_id = _require_exists(state)
    _require_owner(state, office, "办结", "dispose of")
    _require_status(state, {ClueStatus.RESULT_REPORTED}, "办结", "disposed of")
    assert state.disposition is not None
    return [
        ClueDisposed(
            clue_id=clue_id,
            disposition=state.disposition,
            disposed_on=cmd.disposed_on,
            source_petition_id=state.source_petition_id,
            note=cmd.note,
        )
    ]


def decide_archive(state: Clue, cmd: ArchiveClue, office: Office) -> list[EventPayload]:
    """存档 (R9): a 参考类 clue kept for reference is archived by its office."""
    clue_id = _require_exists(state)
    _require_owner(state, office, "存档", "archive")
    _require_status(state, {ClueStatus.KEPT}, "存档", "archived")
    return [ClueArchived(clue_id=clue_id, reason=cmd.reason)]


# --- evolution --------------------------------------------------------------------------------


def evolve(state: Clue, event: EventPayload, at: datetime | None = None) -> Clue:
    if isinstance(event, ClueRegistered):
        state.clue_id = event.clue_id
        state.jurisdiction = event.jurisdiction
        state.unit = event.unit
        state.summary = event.summary
        state.source_petition_id = event.source_petition_id
        state.source_event_id = event.source_event_id
        state.round_id = event.round_id
        state.group_id = event.group_id
        state.unit_id = event.unit_id
        state.source_channel = event.source_channel
        state.persons = list(event.persons)
        if any(p.city_managed for p in event.persons):
            state.city_managed = True
        state.status = ClueStatus.REGISTERED
        state.registered_at = at
    elif isinstance(event, ClueClassified):
        state.category = event.category
        state.cadre_level = event.cadre_level
        state.city_managed = event.city_managed
        state.counties = list(event.counties)
        state.topics = list(event.topics)
        if event.category is ClueCategory.REFERENCE:
            if state.status in (ClueStatus.REGISTERED, ClueStatus.CLASSIFIED, ClueStatus.VERIFYING):
                state.status = ClueStatus.KEPT
        elif state.status in (ClueStatus.REGISTERED, ClueStatus.KEPT):
            state.status = ClueStatus.CLASSIFIED
    elif isinstance(event, ClueEscalated):
        state.escalated_to = event.to_jurisdiction
        state.escalation_reason = event.reason
        state.status = ClueStatus.ESCALATED
    elif isinstance(event, ClueTransferred):
        state.department = event.department
        state.transfer_reason = event.reason
        state.status = ClueStatus.TRANSFERRED
        state.transferred_at = at
    elif isinstance(event, ClueVerified):
        state.verifications += 1
        state.status = ClueStatus.VERIFYING
    elif isinstance(event, ClueAcknowledged):
        state.acknowledged_via = event.via
        state.status = ClueStatus.ACKNOWLEDGED
    elif isinstance(event, TransferResultReported):
        state.disposition = event.disposition
        state.concluded_on = event.concluded_on
        state.result_summary = event.summary
        state.status = ClueStatus.RESULT_REPORTED
    elif isinstance(event, ClueDisposed):
        state.disposed_on = event.disposed_on
        state.status = ClueStatus.DISPOSED
    elif isinstance(event, ClueArchived):
        state.status = ClueStatus.ARCHIVED
    state.version += 1
    if at is not None:
        state.updated_at = at
    return state


def event_jurisdiction(state: Clue, event: EventPayload) -> str:
    """The envelope jurisdiction of an event of this clue: the home office's until the clue is
    escalated (ClueEscalated itself included), the city's afterwards."""
    if isinstance(event, ClueRegistered):
        return event.jurisdiction
    if isinstance(event, ClueEscalated):
        return event.from_jurisdiction
    return state.owner


#: the clue aggregate, for the shared command loop
CLUE = AggregateKind(
    stream_type=STREAM_TYPE, initial=Clue, evolve=evolve, jurisdiction_of=event_jurisdiction
)


def replay(events: list[EventPayload]) -> Clue:
    return CLUE.replay(events)
