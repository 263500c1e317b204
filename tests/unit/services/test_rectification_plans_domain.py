"""Rectification's plans and the issue state machine (pure decisions, plain states)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
from xuncha_rectification.domain import model, plans
from xuncha_rectification.domain.commands import (
    CloseOut,
    FeedBack,
    IssueSpec,
    ReportRectification,
    VerifyRectification,
)
from xuncha_rectification.domain.issue import IllegalTransition, Issue, IssueStatus
from xuncha_shared.contracts.rectification import (
    IssueFedBack,
    PlanSubmitted,
    PlanTask,
    RectType,
    ReportKind,
    TaskType,
    VerificationOutcome,
)
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation

pytestmark = pytest.mark.unit

ROUND, UNIT = uuid.uuid4(), uuid.uuid4()
FED = datetime(2026, 9, 30, 2, tzinfo=UTC)


def feedback(heard: bool, stationing: bool = False, closed: bool = False) -> list[IssueFedBack]:
    cmd = FeedBack(
        feedback_id=uuid.uuid4(),
        jurisdiction="361002",
        unit="某局",
        issues=(IssueSpec(uuid.uuid4(), "问题", RectType.LONG_TERM),),
        fed_back_at=FED,
        round_id=ROUND,
        unit_id=UNIT,
        during_stationing=stationing,
    )
    return model.decide_feedback(cmd, heard, round_closed=closed)


def test_r16_no_feedback_before_the_hearing_unless_during_stationing() -> None:
    with pytest.raises(model.HearingMissing, match="R16"):
        feedback(heard=False)
    [event] = feedback(heard=False, stationing=True)
    assert event.during_stationing and event.round_id == ROUND and event.unit_id == UNIT
    assert feedback(heard=True)[0].schema_version == 5
    # once intake closed the round, nothing is fed back "during its stationing"
    with pytest.raises(RuleViolation, match="本轮巡察已结束"):
        feedback(heard=False, stationing=True, closed=True)
    assert feedback(heard=True, closed=True)  # after the hearing: as ever


def issue() -> Issue:
    return model.replay(list(feedback(heard=True)))


def task(issue_id: uuid.UUID, kind: TaskType = TaskType.LONG_TERM, due: int = 1) -> PlanTask:
    return PlanTask(
        task_id=uuid.uuid4(),
        issue_id=issue_id,
        measure="措施",
        owner="办公室",
        type=kind,
        due_on=date(2026, 10, due),
    )


def apply(state: Issue, events: list) -> Issue:  # type: ignore[type-arg]
    for e in events:
        model.evolve(state, e)
    return state


def test_the_issue_state_machine_to_close_out() -> None:
    s = issue()
    assert s.issue_id is not None
    with pytest.raises(IllegalTransition, match="fed_back"):
        model.decide_verify(s, VerifyRectification(VerificationOutcome.ACCEPTED, "x"))
    apply(s, model.decide_plan(s, uuid.uuid4(), [task(s.issue_id)]))
    assert s.status is IssueStatus.PLANNED
    done = ReportRectification(ReportKind.FORMAL, 100, True, "完成", leader_report="已部署")
    apply(s, model.decide_report(s, done))
    assert s.status is IssueStatus.REPORTED_DONE
    reject = VerifyRectification(VerificationOutcome.REJECTED, "不到位")
    apply(s, model.decide_verify(s, reject))
    assert s.status is IssueStatus.IN_PROGRESS and s.progress_percent == 0
    with pytest.raises(IllegalTransition, match="in_progress"):
        model.decide_close_out(s, CloseOut("x"))
    apply(s, model.decide_report(s, done))
    apply(s, model.decide_verify(s, VerifyRectification(VerificationOutcome.ACCEPTED, "ok")))
    with pytest.raises(InvalidCommand, match="长效机制"):
        model.decide_close_out(s, CloseOut("x"))
    apply(s, model.decide_close_out(s, CloseOut("x", mechanism="联席会议制度")))
    assert s.status is IssueStatus.CLOSED_OUT and s.watched
    with pytest.raises(RuleViolation):
        model.decide_report(s, done)


def submission(*tasks: PlanTask) -> plans.SubmitPlan:
    """The unit's plan of ``tasks`` for round ``ROUND``, submitted on 2026-10-01."""
    return plans.SubmitPlan(
        plan_id=plans.plan_id_for(ROUND, UNIT),
        round_id=ROUND,
        unit_id=UNIT,
        jurisdiction="361002",
        unit="某局",
        responsible_leader="局长",
        tasks=tasks,
        submitted_on=date(2026, 10, 1),
    )


def test_a_plan_lists_only_the_issues_not_closed_out() -> None:
    """An issue closed out before the plan (对账销号) needs no task and may not be given one; a
    round whose issues are all closed out needs no plan."""
    a, b = uuid.uuid4(), uuid.uuid4()
    issues = [
        plans.FedBackIssue(a, date(2026, 11, 30)),
        plans.FedBackIssue(b, date(2026, 11, 30), closed_out=True),
    ]

    [submitted] = plans.decide_submit(plans.Plan(), submission(task(a, due=5)), issues)
    assert isinstance(submitted, PlanSubmitted)
    assert submitted.issue_ids == [a]
    with pytest.raises(InvalidCommand, match="closed out already"):
        plans.decide_submit(plans.Plan(), submission(task(a, due=5), task(b, due=6)), issues)
    all_closed = [plans.FedBackIssue(a, None, closed_out=True), issues[1]]
    with pytest.raises(RuleViolation, match="均已对账销号"):
        plans.decide_submit(plans.Plan(), submission(task(a, due=5)), all_closed)


def test_a_plan_covers_every_issue_and_is_returned_then_approved() -> None:
    a, b = uuid.uuid4(), uuid.uuid4()
    issues = [plans.FedBackIssue(a, date(2026, 11, 30)), plans.FedBackIssue(b, date(2026, 11, 30))]

    def submit(state: plans.Plan, *tasks: PlanTask) -> plans.Plan:
        for e in plans.decide_submit(state, submission(*tasks), issues):
            plans.evolve(state, e)
        return state

    state = plans.Plan()
    with pytest.raises(InvalidCommand, match="at least one task"):
        submit(state, task(a))
    late = PlanTask(
        task_id=uuid.uuid4(),
        issue_id=a,
        measure="m",
        owner="o",
        type=TaskType.IMMEDIATE,
        due_on=date(2026, 12, 31),
    )
    with pytest.raises(InvalidCommand, match="R1"):
        submit(state, late, task(b))
    submit(state, task(a, due=5), task(b, due=6))
    assert state.status is plans.PlanStatus.SUBMITTED and state.revision == 1
    with pytest.raises(RuleViolation, match="submitted"):
        submit(state, task(a, due=5), task(b, due=6))
    for e in plans.decide_return(state, "不具体"):
        plans.evolve(state, e)
    submit(state, task(a, due=5), task(b, due=6))
    assert state.revision == 2
    for e in plans.decide_approve(state):
        plans.evolve(state, e)
    assert state.status is plans.PlanStatus.APPROVED
    with pytest.raises(RuleViolation, match="approved"):
        plans.decide_return(state, "x")


def test_a_returned_plan_keeps_what_was_submitted_and_the_reason() -> None:
    """What the unit reads back (``GET /api/v1/rectification-plans/{id}``) to amend a returned
    plan: the leader and every task it submitted, with the office's reason; the resubmission
    replaces the tasks and keeps the earlier reason readable."""
    a = uuid.uuid4()
    issues = [plans.FedBackIssue(a, date(2026, 11, 30))]
    first = (task(a, due=5), task(a, TaskType.TIME_BOUND, due=20))
    state = plans.Plan()
    for e in plans.decide_submit(state, submission(*first), issues):
        plans.evolve(state, e)
    for e in plans.decide_return(state, "措施过于笼统"):
        plans.evolve(state, e)
    assert state.status is plans.PlanStatus.RETURNED
    assert (state.responsible_leader, state.tasks) == ("局长", list(first))
    assert state.return_reasons == ["措施过于笼统"]
    for e in plans.decide_submit(state, submission(first[0]), issues):
        plans.evolve(state, e)
    assert (state.status, state.revision) == (plans.PlanStatus.SUBMITTED, 2)
    assert state.tasks == [first[0]] and state.return_reasons == ["措施过于笼统"]


def test_a_report_before_the_plan_is_allowed_and_stays_in_progress() -> None:
    """Domain §3 and R16 (全面整改、立行立改): the unit may report on an issue before any plan is
    approved, a deliberate choice and no gap; the issue is then in progress, and the plan
    approved later gives it its tasks without taking it back to planned."""
    s = issue()
    assert s.issue_id is not None and s.tasks == []
    early = ReportRectification(ReportKind.PROGRESS, 30, False, "已先行整改")
    apply(s, model.decide_report(s, early))
    assert s.status is IssueStatus.IN_PROGRESS
    apply(s, model.decide_plan(s, uuid.uuid4(), [task(s.issue_id)]))
    assert s.status is IssueStatus.IN_PROGRESS and len(s.tasks) == 1 and s.progress_percent == 30


def test_an_issue_closed_out_takes_neither_supervision_nor_a_red_line_warning() -> None:
    """督办 and R20's red-line warning name the unit's issues still open (409 naming the state,
    nothing issued); perfunctory or fake rectification found after the close-out goes through a
    revisit, which reopens the issue, and the warning then names it."""
    open_, closed = uuid.uuid4(), uuid.uuid4()
    unit = plans.UnitIssues(
        unit_id=UNIT, jurisdiction="361002", unit="临川区某局",
        issue_ids=frozenset({open_, closed}), closed_ids=frozenset({closed}),
    )  # fmt: skip
    finding = plans.RedLineFinding.FALSE
    for named in ((closed,), (open_, closed)):
        with pytest.raises(RuleViolation, match="已对账销号，不能发出红线预警") as refused:
            plans.decide_red_line(unit, plans.WarnRedLine(uuid.uuid4(), named, finding, "虚假"))
        assert str(closed) in str(refused.value) and str(open_) not in str(refused.value)
    [warning] = plans.decide_red_line(
        unit, plans.WarnRedLine(uuid.uuid4(), (open_,), finding, "虚假整改")
    )
    assert warning.issue_ids == [open_]
    order = plans.Supervise(
        uuid.uuid4(), (closed,), plans.SupervisionKind.KEY, "督办", date(2026, 12, 31)
    )
    with pytest.raises(RuleViolation, match="已对账销号，无需督办"):
        plans.decide_supervise(unit, order, date(2026, 12, 1))
    # reopened by a revisit, it is open again: the warning names it
    reopened = plans.UnitIssues(
        unit_id=UNIT, jurisdiction="361002", unit="临川区某局",
        issue_ids=frozenset({open_, closed}),
    )  # fmt: skip
    assert plans.decide_red_line(
        reopened, plans.WarnRedLine(uuid.uuid4(), (closed,), finding, "回头看发现虚假整改")
    )
