"""The problem-clue aggregate (问题线索): its decisions and its evolution. Pure: no I/O.

The state and statuses are in ``clue.py``, the commands in ``commands.py``, the R2 route table
in ``routing.py``, the decisions after the transfer (签收, 办理结果, 催办) in ``results.py``.

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
  stationing, not an investigation. The city office may check a clue a county reported up
  (R12) the same way; the clue stays escalated (``ClueStatus.ESCALATED``) while it does.
* R3: a receiving department acknowledges a transferred clue once (directly or through its
  feed: whichever comes first; the feed's second is a no-op) and reports its result
  (``TransferResultReported``, R3) only after acknowledging; only the department the clue was
  transferred to acts on it.
* R9: the office responsible for the clue closes it (``ClueDisposed``, 办结) once the result is
  reported; a 参考类 clue is kept and the office archives it (``ClueArchived``). The disposal
  starts R8's result notice in intake.
* R27 (催办): while a transferred clue waits for its result (transferred or acknowledged), the
  office responsible may chase the department (``TransferResultUrged``), at most once a day
  (China time); each urge is numbered, names R3's last day and whether it had passed, and is
  shared in the department's feed. Once the result is in there is nothing to chase (409).
* R11: a clue's summary never carries the informant's identity (no phone number, no ID number).
* R26 (补录): a registration or a transfer made on paper names the day written on it
  (``registered_on``, ``transferred_on``; ``paper_dates.py``): not after today, not more than a
  term back, a transfer not before the registration. The clocks count from those days.
"""

from __future__ import annotations

from datetime import date, datetime

from xuncha_shared.contracts.clues import (
    ClueAcknowledged,
    ClueArchived,
    ClueCategory,
    ClueClassified,
    ClueDisposed,
    ClueEscalated,
    ClueRegistered,
    ClueTransferred,
    ClueVerified,
    TransferResultReported,
    TransferResultUrged,
)
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, TOPIC_MAX_CHARS
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation
from xuncha_shared.domain.personal_numbers import find_personal_numbers
from xuncha_shared.envelope import EventPayload

from xuncha_clues.domain.clue import (
    STREAM_TYPE,
    Clue,
    ClueStatus,
    Office,
    require_exists,
    require_owner,
    require_status,
)
from xuncha_clues.domain.commands import (
    ArchiveClue,
    ClassifyClue,
    DisposeClue,
    EscalateClue,
    RegisterClue,
    TransferClue,
    VerifyClue,
)
from xuncha_clues.domain.paper_dates import (
    check_paper_day,
    check_registration_in_round,
    check_transfer_day,
)
from xuncha_clues.domain.routing import allowed_departments, department_labels
from xuncha_clues.domain.scope import RegisteringGroup

#: states before the transfer, in which the office still works on the clue
_BEFORE_TRANSFER = frozenset(
    {ClueStatus.REGISTERED, ClueStatus.CLASSIFIED, ClueStatus.VERIFYING, ClueStatus.ESCALATED}
)


# --- decisions --------------------------------------------------------------------------------


def _today_for(day: date | None, today: date | None) -> date:
    if today is None:  # a decision given a day written on paper is given today too
        raise ValueError(f"a day written on paper ({day}) needs today to be checked (R26)")
    return today


def decide_register(
    state: Clue,
    cmd: RegisterClue,
    today: date | None = None,
    group: RegisteringGroup | None = None,
) -> list[EventPayload]:
    """Register a clue; registering the same clue again decides nothing (idempotent). A
    registration made on paper names its day (``registered_on``, R26), checked against
    ``today`` (China time). A clue a group registers directly is checked against the group as
    clues knows it (``group``; ``None``: not known yet, taken as given)."""
    if state.exists:
        return []
    if cmd.registered_on is not None:
        check_paper_day(
            cmd.registered_on, _today_for(cmd.registered_on, today), "registered_on", "登记日期"
        )
    if cmd.direct and group is not None:
        require_in_group(cmd, group)
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
            registered_on=cmd.registered_on,
        )
    ]


def require_in_group(cmd: RegisterClue, group: RegisteringGroup) -> None:
    """A clue a group registers is found in the group's round and area, at a unit the group
    inspects, and not dated on paper before the round began (R26)."""
    if cmd.round_id != str(group.round_id):
        raise InvalidCommand(
            "所选巡察组不属于该巡察轮次，请重新选择轮次或巡察组 / the group is not one of the "
            "round's groups"
        )
    if cmd.jurisdiction != group.jurisdiction:
        raise InvalidCommand(
            "所选巡察组不属于该地区，请重新选择管辖地区或巡察组 / the group is not one of "
            f"jurisdiction {cmd.jurisdiction}'s groups"
        )
    if cmd.unit_id is not None and cmd.unit_id not in group.unit_ids:
        raise InvalidCommand(
            "该单位不是所选巡察组巡察的单位，请选择本组被巡察单位 / the unit is not one the "
            "group inspects"
        )
    if cmd.registered_on is not None and group.starts_on is not None:
        check_registration_in_round(cmd.registered_on, group.starts_on)


def decide_classify(state: Clue, cmd: ClassifyClue, office: Office) -> list[EventPayload]:
    clue_id = require_exists(state)
    require_owner(state, office, "分类", "classify")
    if state.transferred:
        raise RuleViolation(
            "线索已移交，不能再分类 / the clue was already transferred and cannot be reclassified"
        )
    require_status(state, {*_BEFORE_TRANSFER, ClueStatus.KEPT}, "分类", "classified")
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
    # a topic is a short name: a new one at most TOPIC_MAX_CHARS; the clue's own stay (a topic
    # recorded before the limit does not stop the clue being classified again)
    long = [t for t in topics if len(t) > TOPIC_MAX_CHARS and t not in state.topics]
    if long:
        raise InvalidCommand(
            f"主题“{long[0][:12]}…”过长：每个主题不超过{TOPIC_MAX_CHARS}字，详情请写在线索摘要中 / "
            f"a topic is at most {TOPIC_MAX_CHARS} characters"
        )
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
    clue_id = require_exists(state)
    require_owner(state, office, "报送", "escalate")
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
    require_status(
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


def decide_transfer(
    state: Clue, cmd: TransferClue, office: Office, today: date | None = None
) -> list[EventPayload]:
    """移交 (R2, R12); a transfer made on paper names the day of its letter (``transferred_on``,
    R26), checked against ``today`` (China time) and the clue's registration day."""
    clue_id = require_exists(state)
    require_owner(state, office, "移交", "transfer")
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
    require_status(state, _BEFORE_TRANSFER, "移交", "transferred")
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
            f"{department_labels(allowed)}，而非{DEPARTMENT_LABELS_ZH[cmd.department]} / "
            f"wrong route (R2, Art. 28): topics {', '.join(state.topics)} go to "
            f"{', '.join(d.value for d in allowed)}, not {cmd.department.value}"
        )
    if cmd.transferred_on is not None:
        today = _today_for(cmd.transferred_on, today)
        check_transfer_day(cmd.transferred_on, state.registration_day, today)
    return [
        ClueTransferred(
            clue_id=clue_id,
            department=cmd.department,
            reason=cmd.reason,
            jurisdiction=state.owner,
            unit=state.unit,
            summary=state.summary,
            transferred_on=cmd.transferred_on,
        )
    ]


def decide_verify(state: Clue, cmd: VerifyClue, office: Office) -> list[EventPayload]:
    """速查/核查 during stationing: a classified clue (or one being verified) that was not
    handed on yet; also a clue a county reported up (R12), which the city office checks for
    itself before deciding where it goes (``require_owner``: the county no longer can)."""
    clue_id = require_exists(state)
    require_owner(state, office, "核查", "verify")
    require_status(
        state,
        {ClueStatus.CLASSIFIED, ClueStatus.VERIFYING, ClueStatus.ESCALATED},
        "核查",
        "verified",
    )
    return [
        ClueVerified(
            clue_id=clue_id, method=cmd.method, verification_outcome=cmd.outcome, notes=cmd.notes
        )
    ]


def decide_dispose(state: Clue, cmd: DisposeClue, office: Office) -> list[EventPayload]:
    """办结 (R9): the office responsible closes a clue whose result was reported."""
    clue_id = require_exists(state)
    require_owner(state, office, "办结", "dispose of")
    require_status(state, {ClueStatus.RESULT_REPORTED}, "办结", "disposed of")
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
    clue_id = require_exists(state)
    require_owner(state, office, "存档", "archive")
    require_status(state, {ClueStatus.KEPT}, "存档", "archived")
    return [ClueArchived(clue_id=clue_id, reason=cmd.reason)]


# --- evolution --------------------------------------------------------------------------------


def evolve(state: Clue, event: EventPayload, at: datetime | None = None) -> Clue:
    before = state.status if state.exists else None
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
        state.registered_on = event.registered_on
    elif isinstance(event, ClueClassified):
        state.category = event.category
        state.cadre_level = event.cadre_level
        state.city_managed = event.city_managed
        state.counties = list(event.counties)
        state.topics = list(event.topics)
        if event.category is ClueCategory.REFERENCE:  # kept, never transferred
            if state.status in _BEFORE_TRANSFER:  # a reported-up one by the city, to archive
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
        state.transferred_on = event.transferred_on
    elif isinstance(event, ClueVerified):
        state.verifications += 1
        if state.status is not ClueStatus.ESCALATED:  # a reported-up clue stays the city's
            state.status = ClueStatus.VERIFYING
    elif isinstance(event, ClueAcknowledged):
        state.acknowledged_via = event.via
        state.status = ClueStatus.ACKNOWLEDGED
    elif isinstance(event, TransferResultReported):
        state.disposition = event.disposition
        state.concluded_on = event.concluded_on
        state.result_summary = event.summary
        state.status = ClueStatus.RESULT_REPORTED
    elif isinstance(event, TransferResultUrged):
        state.urges = event.urge_no
        state.last_urged_on = event.urged_on
    elif isinstance(event, ClueDisposed):
        state.disposed_on = event.disposed_on
        state.status = ClueStatus.DISPOSED
    elif isinstance(event, ClueArchived):
        state.status = ClueStatus.ARCHIVED
    state.version += 1
    if at is not None:
        state.updated_at = at
        if state.status is not before:
            state.status_since = at
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
