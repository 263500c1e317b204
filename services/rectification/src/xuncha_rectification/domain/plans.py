"""Rectification plans (整改方案) with their three lists, and the office's oversight (督办,
red lines). Pure: no I/O.

* A unit's plan for a round: the problem list (问题清单: the issues fed back to it in the round),
  the task list (任务清单: measure, type, due date per task) and the responsibility list (责任清单:
  the responsible leader and each task's owner). Every fed-back issue needs at least one task.
* submitted → returned (with the reason) → submitted again (revision + 1) → approved. One plan
  per unit and round (its id is derived from both).
* Task due dates by type (R1): an immediate task (立行立改) is due no later than the formal
  report (feedback + 2 months); a time-bound or long-term task by the date the plan sets. No due
  date lies before the plan's submission.
* R20: a red-line warning (敷衍整改/虚假整改) names the unit's issues not closed out and leaves a
  negative record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import NAMESPACE_URL, UUID, uuid5

from xuncha_shared.contracts.rectification import (
    PlanApproved,
    PlanReturned,
    PlanSubmitted,
    PlanTask,
    RedLineFinding,
    RedLineWarningIssued,
    SupervisionKind,
    SupervisionOrdered,
    TaskType,
)
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

PLAN_STREAM_TYPE = "rectification_plan"
OVERSIGHT_STREAM_TYPE = "oversight"
_NAMESPACE = uuid5(NAMESPACE_URL, "https://xuncha.example/rectification/")


def plan_id_for(round_id: UUID, unit_id: UUID) -> UUID:
    """One plan per unit and round."""
    return uuid5(_NAMESPACE, f"plan/{round_id}/{unit_id}")


def unknown_plan_detail(plan_id: UUID) -> str:
    return f"未找到整改方案 {plan_id} / unknown plan {plan_id}"


class UnknownPlan(NotFoundError):
    """No plan has this id (404)."""


class PlanStatus(StrEnum):
    NONE = "none"
    SUBMITTED = "submitted"  # 已报送，待审核
    RETURNED = "returned"  # 已退回
    APPROVED = "approved"  # 已审核通过


PLAN_STATUS_ZH: dict[PlanStatus, str] = {
    PlanStatus.NONE: "未报送",
    PlanStatus.SUBMITTED: "已报送，待审核",
    PlanStatus.RETURNED: "已退回修改",
    PlanStatus.APPROVED: "已审核通过",
}


@dataclass(frozen=True)
class FedBackIssue:
    """What the plan needs to know of an issue fed back to the unit in the round."""

    issue_id: UUID
    due_date: date | None
    #: closed out (对账销号) already: nothing left to plan for it
    closed_out: bool = False


@dataclass(frozen=True)
class SubmitPlan:
    plan_id: UUID
    round_id: UUID
    unit_id: UUID
    jurisdiction: str
    unit: str
    responsible_leader: str
    tasks: tuple[PlanTask, ...]
    submitted_on: date


@dataclass
class Plan:
    plan_id: UUID | None = None
    round_id: UUID | None = None
    unit_id: UUID | None = None
    jurisdiction: str = ""
    unit: str = ""
    responsible_leader: str = ""
    status: PlanStatus = PlanStatus.NONE
    revision: int = 0
    issue_ids: list[UUID] = field(default_factory=list)
    tasks: list[PlanTask] = field(default_factory=list)
    return_reasons: list[str] = field(default_factory=list)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def _illegal(plan: Plan, what_zh: str, what_en: str) -> RuleViolation:
    return RuleViolation(
        f"整改方案当前状态为“{PLAN_STATUS_ZH[plan.status]}”，不能{what_zh} / the plan is "
        f"{plan.status.value}: {what_en}"
    )


def decide_submit(state: Plan, cmd: SubmitPlan, issues: list[FedBackIssue]) -> list[EventPayload]:
    """The unit submits (or, after a return, resubmits) its plan; ``issues`` are the issues fed
    back to it in the round, and the problem list is those of them not closed out already (an
    issue closed out needs no task)."""
    if state.status is PlanStatus.SUBMITTED:
        raise _illegal(state, "重复报送", "it awaits the office's review")
    if state.status is PlanStatus.APPROVED:
        raise _illegal(state, "再报送", "it was approved already")
    if not issues:
        raise InvalidCommand(
            "本轮未向该单位反馈问题，无需整改方案 / no issue was fed back to this unit in this "
            "round"
        )
    closed = {i.issue_id for i in issues if i.closed_out}
    if len(closed) == len(issues):
        raise RuleViolation(
            "本轮反馈的问题均已对账销号，无需整改方案 / every issue fed back to this unit in this "
            "round is closed out"
        )
    named_closed = [t.issue_id for t in cmd.tasks if t.issue_id in closed]
    if named_closed:
        raise InvalidCommand(
            f"已对账销号的问题无需整改任务 / tasks name issues closed out already: "
            f"{', '.join(str(i) for i in dict.fromkeys(named_closed))}"
        )
    issues = [i for i in issues if not i.closed_out]
    known = {i.issue_id: i for i in issues}
    foreign = [t.issue_id for t in cmd.tasks if t.issue_id not in known]
    if foreign:
        raise InvalidCommand(
            f"任务所列问题不在该单位本轮反馈问题清单中 / tasks name issues not fed back to this "
            f"unit in this round: {', '.join(str(i) for i in dict.fromkeys(foreign))}"
        )
    uncovered = [i.issue_id for i in issues if all(t.issue_id != i.issue_id for t in cmd.tasks)]
    if uncovered:
        raise InvalidCommand(
            f"每个反馈问题至少需要一项整改任务 / every fed-back issue needs at least one task; "
            f"none for {', '.join(str(i) for i in uncovered)}"
        )
    for task in cmd.tasks:
        issue = known[task.issue_id]
        if task.due_on < cmd.submitted_on:
            raise InvalidCommand(
                f"任务完成时限不能早于报送日期 / task {task.task_id} is due before the plan is "
                f"submitted ({cmd.submitted_on})"
            )
        if (
            task.type is TaskType.IMMEDIATE
            and issue.due_date is not None
            and task.due_on > issue.due_date
        ):
            raise InvalidCommand(
                f"立行立改任务须在整改报告期限（{issue.due_date}）前完成（R1） / R1: an immediate "
                f"task is due by the formal report ({issue.due_date}), not {task.due_on}"
            )
    return [
        PlanSubmitted(
            plan_id=cmd.plan_id,
            round_id=cmd.round_id,
            unit_id=cmd.unit_id,
            jurisdiction=cmd.jurisdiction,
            unit=cmd.unit,
            responsible_leader=cmd.responsible_leader,
            revision=state.revision + 1,
            issue_ids=[i.issue_id for i in issues],
            tasks=list(cmd.tasks),
        )
    ]


def decide_approve(state: Plan) -> list[EventPayload]:
    if not state.exists or state.plan_id is None:
        raise UnknownPlan("未找到整改方案 / unknown plan")
    if state.status is not PlanStatus.SUBMITTED:
        raise _illegal(state, "审核通过", "only a submitted plan is approved")
    return [PlanApproved(plan_id=state.plan_id, revision=state.revision)]


def decide_return(state: Plan, reason: str) -> list[EventPayload]:
    if not state.exists or state.plan_id is None:
        raise UnknownPlan("未找到整改方案 / unknown plan")
    if state.status is not PlanStatus.SUBMITTED:
        raise _illegal(state, "退回", "only a submitted plan is returned")
    return [PlanReturned(plan_id=state.plan_id, revision=state.revision, reason=reason)]


def evolve(state: Plan, event: EventPayload, at: datetime | None = None) -> Plan:
    if isinstance(event, PlanSubmitted):
        state.plan_id = event.plan_id
        state.round_id = event.round_id
        state.unit_id = event.unit_id
        state.jurisdiction = event.jurisdiction
        state.unit = event.unit
        state.responsible_leader = event.responsible_leader
        state.revision = event.revision
        state.issue_ids = list(event.issue_ids)
        state.tasks = list(event.tasks)
        state.status = PlanStatus.SUBMITTED
    elif isinstance(event, PlanReturned):
        state.status = PlanStatus.RETURNED
        state.return_reasons.append(event.reason)
    elif isinstance(event, PlanApproved):
        state.status = PlanStatus.APPROVED
    state.version += 1
    return state


def plan_jurisdiction(state: Plan, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, PlanSubmitted) else state.jurisdiction


PLAN = AggregateKind(
    stream_type=PLAN_STREAM_TYPE, initial=Plan, evolve=evolve, jurisdiction_of=plan_jurisdiction
)


# --- oversight: supervision (督办) and red lines (R20) ----------------------------------------


@dataclass(frozen=True)
class UnitIssues:
    """A unit as rectification knows it: from the issues fed back to it."""

    unit_id: UUID
    jurisdiction: str
    unit: str
    issue_ids: frozenset[UUID]
    #: those of ``issue_ids`` closed out (对账销号): nothing left to supervise
    closed_ids: frozenset[UUID] = frozenset()


@dataclass(frozen=True)
class Supervise:
    supervision_id: UUID
    issue_ids: tuple[UUID, ...]
    kind: SupervisionKind
    note: str
    due_on: date


@dataclass(frozen=True)
class WarnRedLine:
    warning_id: UUID
    issue_ids: tuple[UUID, ...]
    finding: RedLineFinding
    note: str


@dataclass
class Oversight:
    """One supervision or one red-line warning: an act of the office on one unit."""

    oversight_id: UUID | None = None
    jurisdiction: str = ""
    version: int = 0


def _own_issues(unit: UnitIssues, issue_ids: tuple[UUID, ...]) -> list[UUID]:
    if not issue_ids:
        raise InvalidCommand("至少列出一个问题 / name at least one issue")
    foreign = [i for i in issue_ids if i not in unit.issue_ids]
    if foreign:
        raise InvalidCommand(
            f"所列问题不是该单位的反馈问题 / not issues of this unit: "
            f"{', '.join(str(i) for i in foreign)}"
        )
    return list(dict.fromkeys(issue_ids))


def _open_issues(unit: UnitIssues, issue_ids: tuple[UUID, ...], refusal: str) -> list[UUID]:
    """The unit's issues named (``_own_issues``), none of them closed out: a closed one is
    refused (409) with ``refusal`` and the ids it names."""
    own = _own_issues(unit, issue_ids)
    closed = [i for i in own if i in unit.closed_ids]
    if closed:
        raise RuleViolation(f"{refusal}: {', '.join(str(i) for i in closed)}")
    return own


def decide_supervise(unit: UnitIssues, cmd: Supervise, today: date) -> list[EventPayload]:
    if cmd.due_on < today:
        raise InvalidCommand(f"督办时限不能早于今天 / due_on {cmd.due_on} is in the past")
    # supervision orders work that a close-out has ended
    issue_ids = _open_issues(
        unit, cmd.issue_ids, "问题已对账销号，无需督办 / issues closed out are not supervised"
    )
    return [
        SupervisionOrdered(
            supervision_id=cmd.supervision_id,
            jurisdiction=unit.jurisdiction,
            unit_id=unit.unit_id,
            unit=unit.unit,
            issue_ids=issue_ids,
            kind=cmd.kind,
            note=cmd.note,
            due_on=cmd.due_on,
        )
    ]


def decide_red_line(unit: UnitIssues, cmd: WarnRedLine) -> list[EventPayload]:
    """R20: a red-line warning with its negative record (负面信息档案), on issues still open: a
    close-out says the office found the rectification done; perfunctory or fake rectification
    found afterwards goes through a revisit (回头看, R18), which reopens the issue, and the
    warning then names it."""
    issue_ids = _open_issues(
        unit,
        cmd.issue_ids,
        "问题已对账销号，不能发出红线预警；销号后发现敷衍、虚假整改的，请经回头看重新整改后再"
        "预警 / issues closed out take no red-line warning (reopen them by a revisit first)",
    )
    return [
        RedLineWarningIssued(
            warning_id=cmd.warning_id,
            jurisdiction=unit.jurisdiction,
            unit_id=unit.unit_id,
            unit=unit.unit,
            issue_ids=issue_ids,
            finding=cmd.finding,
            note=cmd.note,
        )
    ]


def evolve_oversight(
    state: Oversight, event: EventPayload, at: datetime | None = None
) -> Oversight:
    if isinstance(event, SupervisionOrdered):
        state.oversight_id = event.supervision_id
        state.jurisdiction = event.jurisdiction
    elif isinstance(event, RedLineWarningIssued):
        state.oversight_id = event.warning_id
        state.jurisdiction = event.jurisdiction
    state.version += 1
    return state


def oversight_jurisdiction(state: Oversight, event: EventPayload) -> str:
    if isinstance(event, SupervisionOrdered | RedLineWarningIssued):
        return event.jurisdiction
    return state.jurisdiction


OVERSIGHT = AggregateKind(
    stream_type=OVERSIGHT_STREAM_TYPE,
    initial=Oversight,
    evolve=evolve_oversight,
    jurisdiction_of=oversight_jurisdiction,
)
