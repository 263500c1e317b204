"""rectification: feedback (R1 due dates), reports, colours (R10), service layer in memory."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from xuncha_rectification.domain import model
from xuncha_rectification.domain.commands import FeedBack, IssueSpec, ReportRectification
from xuncha_rectification.domain.issue import (
    Issue,
    IssueStatus,
    UnknownIssue,
    add_months,
    report_due_date,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    IssueFedBack,
    RectificationReported,
    RectType,
    ReportKind,
)
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import Actor, now_utc

from tests.support.fakes import (
    InMemoryEventStore,
    InMemoryIssueReadModel,
    rectification_handlers,
)

LINCHUAN = "361002"
ACTOR = Actor(principal_id="county-1", role="county_admin")


@pytest.mark.parametrize(
    ("day", "due"),
    [
        (date(2024, 3, 15), date(2024, 5, 15)),
        (date(2023, 12, 31), date(2024, 2, 29)),  # clamped, leap year
        (date(2022, 12, 31), date(2023, 2, 28)),
        (date(2024, 11, 30), date(2025, 1, 30)),  # across the year
        (date(2024, 8, 31), date(2024, 10, 31)),
    ],
)
def test_add_two_months(day: date, due: date) -> None:
    assert add_months(day, 2) == due


def test_due_date_uses_china_standard_time() -> None:
    # 20:00 UTC on 31 Mar is already 1 Apr in China: due 1 Jun, not 31 May
    assert report_due_date(datetime(2024, 3, 31, 20, 0, tzinfo=UTC)) == date(2024, 6, 1)
    assert report_due_date(datetime(2024, 3, 31, 10, 0, tzinfo=UTC)) == date(2024, 5, 31)


def _feedback(n: int = 2, jurisdiction: str = LINCHUAN) -> FeedBack:
    return FeedBack(
        feedback_id=uuid.uuid4(),
        jurisdiction=jurisdiction,
        unit="临川区某局",
        issues=tuple(
            IssueSpec(
                issue_id=uuid.uuid4(),
                description=f"问题{i}",
                rect_type=RectType.IMMEDIATE if i == 0 else RectType.LONG_TERM,
                clue_ids=(uuid.uuid4(),),
                concerns=(Department.DISCIPLINE, Department.DISCIPLINE),
            )
            for i in range(n)
        ),
        fed_back_at=datetime(2024, 3, 15, 2, 0, tzinfo=UTC),
    )


def test_feedback_decides_one_event_per_issue() -> None:
    cmd = _feedback(3)
    events = model.decide_feedback(cmd)
    assert len(events) == 3
    assert all(isinstance(e, IssueFedBack) for e in events)
    assert {e.feedback_id for e in events} == {cmd.feedback_id}
    assert [e.issue_id for e in events] == [i.issue_id for i in cmd.issues]
    assert {e.due_date for e in events} == {"2024-05-15"}
    assert events[0].concerns == [Department.DISCIPLINE]  # de-duplicated


def test_feedback_refuses_unknown_jurisdiction_and_empty_list() -> None:
    with pytest.raises(model.InvalidCommand, match="unknown jurisdiction"):
        model.decide_feedback(_feedback(1, "999999"))
    with pytest.raises(model.InvalidCommand, match="at least one issue"):
        model.decide_feedback(_feedback(0))


def fed_back() -> Issue:
    [event] = model.decide_feedback(_feedback(1))
    return model.replay([event])


def report(
    kind: ReportKind = ReportKind.PROGRESS, percent: int = 50, completed: bool = False
) -> ReportRectification:
    leader = None if kind is ReportKind.PROGRESS else "主要负责人组织落实情况报告"  # R1
    return ReportRectification(
        kind=kind,
        progress_percent=percent,
        completed=completed,
        note="已制定整改方案",
        leader_report=leader,
    )


def test_reports_move_the_issue_along() -> None:
    state = fed_back()
    assert state.status is IssueStatus.FED_BACK
    [event] = model.decide_report(state, report())
    assert isinstance(event, RectificationReported)
    model.evolve(state, event)
    assert state.status is IssueStatus.IN_PROGRESS
    assert state.progress_percent == 50
    assert not state.formal_reported
    model.evolve(state, model.decide_report(state, report(ReportKind.FORMAL, 80))[0])
    assert state.formal_reported
    model.evolve(state, model.decide_report(state, report(ReportKind.FINAL, 100, True))[0])
    assert state.status is IssueStatus.REPORTED_DONE
    assert state.completed
    with pytest.raises(model.RuleViolation, match="final report") as info:
        model.decide_report(state, report(ReportKind.PROGRESS, 100))
    assert info.value.status == 409


def test_the_two_month_report_carries_the_top_leaders_report_r1() -> None:
    """R1: the formal report goes with the top leader's report on organising the work; a final
    report sent when none carried it before stands in for it and needs it too (422)."""
    state = fed_back()
    bare = dataclasses.replace(report(ReportKind.FORMAL, 60), leader_report="  ")
    with pytest.raises(model.InvalidCommand, match="R1") as info:
        model.decide_report(state, bare)
    assert info.value.status == 422
    final = dataclasses.replace(report(ReportKind.FINAL, 100, True), leader_report=None)
    with pytest.raises(model.InvalidCommand, match="主要负责人组织落实情况报告"):
        model.decide_report(state, final)
    model.evolve(state, model.decide_report(state, report())[0])  # a progress one needs none
    # once a report carried it, a final report may come without
    model.evolve(state, model.decide_report(state, report(ReportKind.FORMAL, 80))[0])
    [done] = model.decide_report(state, final)
    assert isinstance(done, RectificationReported) and done.leader_report is None


def test_formal_report_may_declare_completion_and_a_final_one_may_follow() -> None:
    state = fed_back()
    model.evolve(state, model.decide_report(state, report(ReportKind.FORMAL, 100, True))[0])
    assert state.completed
    assert state.status is IssueStatus.REPORTED_DONE
    assert not state.closed_for_reports
    with pytest.raises(model.InvalidCommand, match="cannot go back"):
        model.decide_report(state, report(ReportKind.PROGRESS, 90))
    model.evolve(state, model.decide_report(state, report(ReportKind.FINAL, 100, True))[0])
    assert state.closed_for_reports
    with pytest.raises(model.RuleViolation):
        model.decide_report(state, report(ReportKind.FINAL, 100, True))


def test_a_final_report_declares_the_rectification_completed() -> None:
    """整改完成报告 is the report that the rectification is complete: one that is not (a unit's
    form once sent it at 62 %, switch off) is refused, and the unit reports progress instead."""
    state = fed_back()
    for cmd in (report(ReportKind.FINAL, 90), report(ReportKind.FINAL, 100)):
        with pytest.raises(model.InvalidCommand, match="a final report declares") as info:
            model.decide_report(state, cmd)
        assert info.value.status == 422
    assert model.decide_report(state, report(ReportKind.PROGRESS, 95))


@pytest.mark.parametrize(
    ("cmd", "match"),
    [
        (report(ReportKind.FINAL, 90, True), "progress_percent 100"),
        (report(ReportKind.PROGRESS, 100, True), "progress report cannot"),
    ],
)
def test_invalid_reports(cmd: ReportRectification, match: str) -> None:
    with pytest.raises(model.InvalidCommand, match=match) as info:
        model.decide_report(fed_back(), cmd)
    assert info.value.status == 422


def test_progress_cannot_go_back() -> None:
    state = fed_back()
    model.evolve(state, model.decide_report(state, report(percent=60))[0])
    with pytest.raises(model.InvalidCommand, match="cannot go back"):
        model.decide_report(state, report(percent=40))


def test_unknown_issue() -> None:
    with pytest.raises(UnknownIssue):
        model.decide_report(Issue(), report())


def test_colours_r10() -> None:
    state = fed_back()
    due = state.due_date
    assert due == date(2024, 5, 15)
    assert state.colour(due - timedelta(days=30)) == "green"
    assert state.colour(due - timedelta(days=10)) == "yellow"
    assert state.colour(due) == "yellow"
    assert state.colour(due + timedelta(days=1)) == "red"
    assert state.days_left(due - timedelta(days=3)) == 3
    model.evolve(state, model.decide_report(state, report(ReportKind.FORMAL, 70))[0])
    assert state.colour(due + timedelta(days=1)) is None


async def test_service_layer_feedback_and_reports() -> None:
    store, views = InMemoryEventStore(), InMemoryIssueReadModel()
    handlers = rectification_handlers(store, views, now_utc)
    meta = Meta(actor=ACTOR, correlation_id=uuid.uuid4())
    cmd = _feedback(2)
    with pytest.raises(model.InvalidCommand, match="R25"):  # its clues are not known yet
        await handlers.feed_back(cmd, meta)
    handlers.tables.clues |= {(c, cmd.jurisdiction) for i in cmd.issues for c in i.clue_ids}
    recorded = await handlers.feed_back(cmd, meta)
    assert [i.issue_id for i in recorded.issues] == [i.issue_id for i in cmd.issues]
    for spec in cmd.issues:
        [env] = await store.read_stream(str(spec.issue_id))
        assert env.stream_type == "issue"
        assert env.event_type == "rectification.IssueFedBack"
        assert env.jurisdiction == LINCHUAN
        assert env.actor == ACTOR
        assert env.correlation_id == meta.correlation_id
    issue_id = cmd.issues[0].issue_id
    state = await handlers.report(issue_id, report(ReportKind.FINAL, 100, True), meta)
    assert state.status is IssueStatus.REPORTED_DONE
    assert state.reports[0].reported_at is not None
    with pytest.raises(model.RuleViolation):
        await handlers.report(issue_id, report(), meta)
    with pytest.raises(UnknownIssue):
        await handlers.report(uuid.uuid4(), report(), meta)
    rows = await views.list(LINCHUAN)
    assert {r.issue_id for r in rows} == {i.issue_id for i in cmd.issues}
    assert {r.status for r in rows} == {"reported_done", "fed_back"}
    assert len(await views.list("3610__", department="discipline_commission")) == 2
    assert await views.list("3610__", department="audit") == []


def test_r25_feedback_cites_only_own_clues_with_one_refusal_for_unknown_and_foreign() -> None:
    cmd = _feedback(2)
    cited = [c for i in cmd.issues for c in i.clue_ids]
    assert cited
    assert len(model.decide_feedback(cmd, own_clues=frozenset(cited))) == 2
    refusals = []
    for own in (frozenset(cited[1:]), frozenset()):
        with pytest.raises(model.InvalidCommand) as exc:
            model.decide_feedback(cmd, own_clues=own)
        refusals.append(exc.value.detail)
    assert refusals[0] == refusals[1]
    assert "R25" in refusals[0]
    # feedbacks citing no clue need none
    plain = dataclasses.replace(
        cmd, issues=tuple(dataclasses.replace(i, clue_ids=()) for i in cmd.issues)
    )
    assert len(model.decide_feedback(plain, own_clues=frozenset())) == 2
