"""The clue after its transfer (R3, R27): the receiving department signs for it (签收, once,
directly or through its feed) and reports its result (办理结果); while the result is awaited the
office responsible may chase the department (催办). ``model.evolve`` folds the events. Pure:
no I/O."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    ClueAcknowledged,
    Disposition,
    TransferResultReported,
    TransferResultUrged,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_clues.domain.clue import (
    Clue,
    ClueStatus,
    IllegalTransition,
    Office,
    UnknownClue,
    require_exists,
    require_owner,
    require_status,
    unknown_clue_detail,
)
from xuncha_clues.domain.commands import AcknowledgeClue, ReportResult, UrgeTransferResult


def _require_department(state: Clue, department: Department) -> UUID:
    """Only the department the clue was transferred to acts on it: anything else is the 404
    of an unknown clue (no existence oracle)."""
    clue_id = require_exists(state)
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
            note=cmd.note,
        )
    ]


#: the dispositions only one body may make (R9): 初步核实 and 立案审查调查 are a discipline
#: body's (监督执纪: the discipline commission's), 组织处理 the organisation department's; the
#: others (谈话函询, 暂存待查, 予以了结) any receiving department may report
DISPOSITION_OWNER: dict[Disposition, Department] = {
    Disposition.PRELIMINARY_CHECK: Department.DISCIPLINE,
    Disposition.CASE_OPENED: Department.DISCIPLINE,
    Disposition.ORGANISATIONAL_HANDLING: Department.ORGANISATION,
}
_DISPOSITION_ZH = {
    Disposition.PRELIMINARY_CHECK: "初步核实",
    Disposition.CASE_OPENED: "立案审查调查",
    Disposition.ORGANISATIONAL_HANDLING: "组织处理",
}
_OWNER_ZH = {Department.DISCIPLINE: "纪委监委", Department.ORGANISATION: "组织部"}


def decide_report_result(state: Clue, cmd: ReportResult, today: date) -> list[EventPayload]:
    """办理结果 (R3, R9): after the acknowledgement, once; not concluded in the future nor
    before the transfer; a disposition only one body may make (``DISPOSITION_OWNER``) is that
    body's to report (R9)."""
    clue_id = _require_department(state, cmd.department)
    require_status(state, {ClueStatus.ACKNOWLEDGED}, "反馈办理结果", "given a result")
    owner = DISPOSITION_OWNER.get(cmd.disposition)
    if owner is not None and cmd.department is not owner:
        raise InvalidCommand(
            f"{_DISPOSITION_ZH[cmd.disposition]}由{_OWNER_ZH[owner]}作出，请选择本部门的处置方式"
            f" (R9) / {cmd.disposition.value} is the {owner.value}'s disposition, not "
            f"{cmd.department.value}'s"
        )
    if cmd.concluded_on > today:
        raise InvalidCommand(
            f"办结日期不能晚于今天 / concluded_on {cmd.concluded_on.isoformat()} is after today "
            f"({today.isoformat()})"
        )
    transfer_day = state.transfer_day  # the transfer letter's day when written on paper (R26)
    if transfer_day is not None and cmd.concluded_on < transfer_day:
        raise InvalidCommand(
            f"办结日期早于移交日期 {transfer_day.isoformat()} / concluded_on "
            f"{cmd.concluded_on.isoformat()} is before the "
            f"transfer ({transfer_day.isoformat()})"
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


#: the states in which a transferred clue waits for its department's result (R3, R27)
_AWAITING_RESULT = frozenset({ClueStatus.TRANSFERRED, ClueStatus.ACKNOWLEDGED})


def decide_urge(
    state: Clue, cmd: UrgeTransferResult, office: Office, today: date
) -> list[EventPayload]:
    """催办 (R27): the office responsible chases the department a clue was transferred to for
    its result, while none is reported; once a day at most (``today``, China time)."""
    clue_id = require_exists(state)
    require_owner(state, office, "催办", "urge the result of")
    require_status(state, _AWAITING_RESULT, "催办", "urged")
    assert state.department is not None  # transferred
    if state.last_urged_on == today:
        raise RuleViolation(
            f"今天（{today.isoformat()}）已催办过该线索（第{state.urges}次），请勿重复催办 / the "
            f"clue's result was already urged today ({today.isoformat()}, urge {state.urges})"
        )
    note = cmd.note.strip()
    if not note:
        raise InvalidCommand("请填写催办意见 / the urge needs a note: what the department is asked")
    return [
        TransferResultUrged(
            clue_id=clue_id,
            department=state.department,
            jurisdiction=state.owner,
            unit=state.unit,
            summary=state.summary,
            note=note,
            urged_on=today,
            urge_no=state.urges + 1,
            due_date=cmd.due_date,
            overdue=cmd.due_date is not None and today > cmd.due_date,
        )
    ]
