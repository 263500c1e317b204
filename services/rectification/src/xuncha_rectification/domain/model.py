"""Issues fed back to inspected units (反馈) and their rectification (整改): the decisions and the
evolution of the issue aggregate. Pure: no I/O. The state is in ``issue.py``, the commands in
``commands.py``.

* One ``IssueFedBack`` per problem; all issues of one feedback share a ``feedback_id``.
* R1: the unit reports within **2 months** of the feedback: ``due_date`` = feedback date (in
  China Standard Time) + 2 calendar months, clamped to the month's last day (31 Dec → 28/29 Feb).
* Reports (``RectificationReported``): ``progress``, ``formal`` (the 2-month report of R1) or
  ``final``. Completion is declared by a formal or final report (never a progress report) and
  says 100 %; progress never goes back; nothing can be reported on an issue whose *final* report
  declared it complete (the office verifies and closes it out next, step 11).
* R10 colours: the shared thresholds (``xuncha_shared.clocks.rules``, yellow 20 days before the
  due date unless a jurisdiction configures otherwise), red when the formal report is overdue.
* States (step 10–11): fed back → planned (its tasks of an approved plan) → in progress →
  reported done → verified → closed out; a rejected verification sends it back to in progress.
  A later "reopened" (回头看) joins at in progress the same way (``evolve`` keeps the status a
  field of its own, set by each event, so new events slot in).
* R16: a feedback naming a round and a unit needs that unit's report of the round heard
  (``decide_feedback``'s ``heard``), unless it is fed back during stationing (边巡边改).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.rectification import (
    IssueClosedOut,
    IssueFedBack,
    IssuePlanned,
    IssueReopened,
    PlanTask,
    RectificationReported,
    RectificationTaskClosedOut,
    RectificationTaskCompleted,
    RectificationTaskReturned,
    RectificationVerified,
    RecurrenceDetected,
    ReportKind,
    VerificationOutcome,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_rectification.domain import tasks
from xuncha_rectification.domain.commands import (
    CloseOut,
    FeedBack,
    ReportRectification,
    VerifyRectification,
)
from xuncha_rectification.domain.issue import (
    REPORTABLE,
    STREAM_TYPE,
    Issue,
    IssueStatus,
    Report,
    UnknownIssue,
    Verification,
    illegal,
    report_due_date,
)


def missing_hearing_detail(round_id: UUID, unit_id: UUID) -> str:
    return (
        "该单位本轮巡察情况汇报尚未听取，不能反馈（R16）：请先在“问题与报告 → 巡察报告”中登记"
        "该单位报告的听取情况；巡察期间边巡边改的问题请标明“边巡边改”"
        f" / R16: the report on unit {unit_id} of round {round_id} has not been heard "
        f"(no clues.InspectionReportHeard yet); feed back after the hearing, or mark the "
        f"feedback during_stationing (边巡边改)"
    )


class HearingMissing(RuleViolation):
    """R16: no hearing of the unit's report of the round (409)."""


def unusable_clue_detail(clue_id: UUID) -> str:
    """R25: the same words for an unknown clue and another jurisdiction's (no oracle)."""
    return (
        f"线索 {clue_id} 不是本辖区的线索，不能作为问题依据（R25）"
        f" / R25: clue {clue_id} is not a clue of this jurisdiction"
    )


def decide_feedback(
    cmd: FeedBack,
    heard: bool = True,
    own_clues: frozenset[UUID] | None = None,
    round_closed: bool = False,
) -> list[IssueFedBack]:
    """One ``IssueFedBack`` per problem, all due 2 months after the feedback date (R1). With a
    round and a unit, R16: ``heard`` says whether the unit's report of the round was heard;
    边巡边改 (``during_stationing``) only while the round is open (``round_closed``: intake
    closed it, its stationings over).
    R25: ``own_clues`` are the cited clue ids known to be the jurisdiction's own (``None``: not
    checked); any other cited clue, unknown or another jurisdiction's, is refused alike."""
    if (cmd.round_id is None) != (cmd.unit_id is None):
        raise InvalidCommand("round_id 与 unit_id 须同时给出 / give round_id and unit_id together")
    if cmd.round_name is not None and cmd.round_id is None:
        raise InvalidCommand("轮次名称须与巡察轮次一同给出 / round_name needs round_id and unit_id")
    if cmd.during_stationing and cmd.round_id is None:
        raise InvalidCommand(
            "边巡边改须标明巡察轮次和单位 / during_stationing needs round_id and unit_id"
        )
    if cmd.during_stationing and round_closed:
        raise RuleViolation(
            "本轮巡察已结束，不能再按“边巡边改”反馈；请在该单位巡察情况汇报听取后反馈（R16） / "
            "the round is closed: nothing is fed back during its stationing any more (R16)"
        )
    r16_applies = cmd.round_id is not None and cmd.unit_id is not None
    if r16_applies and not heard and not cmd.during_stationing:
        assert cmd.round_id is not None
        assert cmd.unit_id is not None
        raise HearingMissing(missing_hearing_detail(cmd.round_id, cmd.unit_id))
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    if not cmd.issues:
        raise InvalidCommand("反馈至少包含一个问题 / a feedback needs at least one issue")
    if own_clues is not None:
        for clue_id in (c for i in cmd.issues for c in i.clue_ids):
            if clue_id not in own_clues:
                raise InvalidCommand(unusable_clue_detail(clue_id))
    ids = [i.issue_id for i in cmd.issues]
    if len(set(ids)) != len(ids):
        raise InvalidCommand("问题编号重复 / duplicate issue ids")
    due = report_due_date(cmd.fed_back_at).isoformat()
    return [
        IssueFedBack(
            issue_id=spec.issue_id,
            feedback_id=cmd.feedback_id,
            jurisdiction=cmd.jurisdiction,
            unit=cmd.unit,
            description=spec.description,
            rect_type=spec.rect_type,
            clue_ids=list(dict.fromkeys(spec.clue_ids)),
            concerns=list(dict.fromkeys(spec.concerns)),
            due_date=due,
            round_id=cmd.round_id,
            unit_id=cmd.unit_id,
            during_stationing=cmd.during_stationing,
            round_name=cmd.round_name,
            topics=list(dict.fromkeys(t.strip() for t in spec.topics if t.strip())),
            problem_id=spec.problem_id,
        )
        for spec in cmd.issues
    ]


def decide_report(state: Issue, cmd: ReportRectification) -> list[EventPayload]:
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status not in REPORTABLE:
        raise illegal(state, ("再报告整改情况", "no further report is accepted"))
    if state.closed_for_reports:
        raise RuleViolation(
            "该问题已报告整改完成（整改完成报告），不能再报告 / "
            "a final report already declared this issue's rectification complete; no further "
            "report is accepted (the office verifies and closes it out)"
        )
    if cmd.completed and cmd.progress_percent != 100:
        raise InvalidCommand(
            f"报告整改完成时进度须为100% / a report with completed=true must have "
            f"progress_percent 100, not {cmd.progress_percent}"
        )
    if cmd.kind is ReportKind.FINAL and not cmd.completed:
        raise InvalidCommand(
            "整改完成报告即报告整改完成（整改完成、进度100%）；尚未完成的请报送整改进展报告 / "
            "a final report declares the rectification completed (completed=true, "
            "progress_percent 100); report progress with kind progress or formal"
        )
    if cmd.completed and cmd.kind is ReportKind.PROGRESS:
        raise InvalidCommand(
            "整改进展报告不能报告整改完成，请使用整改情况报告或整改完成报告 / "
            "a progress report cannot declare the rectification completed; use kind formal "
            "(the 2-month report) or final"
        )
    if not (cmd.leader_report or "").strip() and (
        cmd.kind is ReportKind.FORMAL
        or (
            cmd.kind is ReportKind.FINAL
            and not any((r.leader_report or "").strip() for r in state.reports)
        )
    ):
        # R1: the two-month report is the 整改情况报告 with the top leader's report on
        # organising it; a completion report sent without one before stands in for it
        raise InvalidCommand(
            "整改情况报告须附主要负责人组织落实情况报告（R1）；"
            "尚未报送的，整改完成报告须一并附上 / "
            "R1: a formal report carries leader_report, and so does a final report when no "
            "earlier report of the issue did"
        )
    if cmd.progress_percent < state.progress_percent:
        raise InvalidCommand(
            f"整改进度不能倒退（当前 {state.progress_percent}%） / progress cannot go back: the "
            f"last report said {state.progress_percent}%, this one {cmd.progress_percent}%"
        )
    return [
        RectificationReported(
            issue_id=state.issue_id,
            kind=cmd.kind,
            progress_percent=cmd.progress_percent,
            completed=cmd.completed,
            note=cmd.note,
            evidence=list(cmd.evidence),
            leader_report=cmd.leader_report,
            attempt=state.attempt,
        )
    ]


def decide_plan(state: Issue, plan_id: UUID, tasks: list[PlanTask]) -> list[EventPayload]:
    """The issue's tasks of an approved plan; its state becomes planned (unless the unit has
    already been reporting: it stays in progress)."""
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status not in (IssueStatus.FED_BACK, IssueStatus.PLANNED, IssueStatus.IN_PROGRESS):
        raise illegal(state, ("制定整改任务", "its tasks can no longer be planned"))
    return [IssuePlanned(issue_id=state.issue_id, plan_id=plan_id, tasks=tasks)]


def decide_verify(state: Issue, cmd: VerifyRectification) -> list[EventPayload]:
    """核实: only a rectification reported done; a rejection sends it back to in progress."""
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status is not IssueStatus.REPORTED_DONE:
        raise illegal(
            state, ("核实", "only a rectification reported done (reported_done) is verified")
        )
    return [
        RectificationVerified(
            issue_id=state.issue_id,
            outcome=cmd.outcome,
            note=cmd.note,
            evidence=list(cmd.evidence),
        )
    ]


def decide_close_out(state: Issue, cmd: CloseOut) -> list[EventPayload]:
    """对账销号 only after an accepted verification; a long-term issue needs its lasting
    mechanism (长效机制) and stays watched."""
    if not state.exists or state.issue_id is None:
        raise UnknownIssue("未找到该问题 / unknown issue")
    if state.status is not IssueStatus.VERIFIED:
        raise illegal(state, ("销号", "only a verified (accepted) rectification is closed out"))
    if state.long_term and not cmd.mechanism:
        raise InvalidCommand(
            "长期坚持类问题须登记长效机制后方可销号 / a long-term issue closes out only with "
            "its lasting mechanism (mechanism)"
        )
    return [
        IssueClosedOut(
            issue_id=state.issue_id,
            note=cmd.note,
            mechanism=cmd.mechanism,
            watched=state.long_term,
        )
    ]


# --- evolution --------------------------------------------------------------------------------


def evolve(state: Issue, event: EventPayload, at: datetime | None = None) -> Issue:
    if isinstance(event, IssueFedBack):
        state.issue_id = event.issue_id
        state.feedback_id = event.feedback_id
        state.jurisdiction = event.jurisdiction
        state.unit = event.unit
        state.description = event.description
        state.rect_type = event.rect_type
        state.clue_ids = list(event.clue_ids)
        state.concerns = list(event.concerns)
        state.due_date = date.fromisoformat(event.due_date) if event.due_date else None
        state.fed_back_at = at
        state.round_id = event.round_id
        state.unit_id = event.unit_id
        state.during_stationing = event.during_stationing
        state.round_name = event.round_name
        state.problem_id = event.problem_id
        state.topics = list(event.topics)
        state.status = IssueStatus.FED_BACK
    elif isinstance(event, IssuePlanned):
        state.plan_id = event.plan_id
        state.tasks = list(event.tasks)
        if state.status is IssueStatus.FED_BACK:
            state.status = IssueStatus.PLANNED
    elif isinstance(event, RectificationReported):
        report = Report(
            kind=event.kind,
            progress_percent=event.progress_percent,
            completed=event.completed,
            note=event.note,
            reported_at=at,
            evidence=list(event.evidence),
            leader_report=event.leader_report,
        )
        state.reports.append(report)
        state.open_reports.append(report)
        state.status = IssueStatus.REPORTED_DONE if state.completed else IssueStatus.IN_PROGRESS
    elif isinstance(event, RectificationVerified):
        state.verifications.append(
            Verification(
                outcome=event.outcome, note=event.note, at=at, evidence=list(event.evidence)
            )
        )
        if event.outcome is VerificationOutcome.ACCEPTED:
            state.status = IssueStatus.VERIFIED
        else:  # rejected → in progress; the next report starts again
            state.status = IssueStatus.IN_PROGRESS
            state.open_reports = []
    elif isinstance(
        event, RectificationTaskCompleted | RectificationTaskClosedOut | RectificationTaskReturned
    ):
        tasks.evolve_task(state, event)
    elif isinstance(event, IssueClosedOut):
        tasks.close_with_issue(state)
        state.status = IssueStatus.CLOSED_OUT
        state.mechanism = event.mechanism
        state.watched = event.watched
        state.closed_out_at = at
    elif isinstance(event, IssueReopened):  # 回头看: back to in progress, reports start again
        state.status = IssueStatus.IN_PROGRESS
        state.open_reports = []
        state.closed_out_at = None
        state.reopened_by.append(event.revisit_id)
    elif isinstance(event, RecurrenceDetected):
        state.recurs.append(event.earlier_issue_id)
    state.version += 1
    return state


def event_jurisdiction(state: Issue, event: EventPayload) -> str:
    """The envelope jurisdiction of an event of this issue: the fed-back unit's."""
    return event.jurisdiction if isinstance(event, IssueFedBack) else state.jurisdiction


#: the issue aggregate, for the shared command loop
ISSUE = AggregateKind(
    stream_type=STREAM_TYPE, initial=Issue, evolve=evolve, jurisdiction_of=event_jurisdiction
)


def replay(events: list[EventPayload]) -> Issue:
    return ISSUE.replay(events)
