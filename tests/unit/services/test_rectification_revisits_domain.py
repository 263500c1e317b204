"""Revisits (R18), recurrence (R19) and common-problem lists (pure decisions), the IssueFedBack
v2 → v3 upcaster, and reporting's views of them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from xuncha_rectification.domain import model
from xuncha_rectification.domain import revisits as rv
from xuncha_rectification.domain.commands import FeedBack, IssueSpec
from xuncha_rectification.domain.issue import IllegalTransition, Issue, IssueStatus
from xuncha_reporting.domain import revisit_views as views
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.rectification import (
    UPCASTERS,
    CommonProblem,
    IssueClosedOut,
    IssueFedBack,
    IssueReopened,
    RectificationReported,
    RectificationVerified,
    RecurrenceCause,
    RecurrenceDetected,
    ReportKind,
    VerificationOutcome,
)
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation

pytestmark = pytest.mark.unit

UNIT, ROUND = uuid.uuid4(), uuid.uuid4()
FED = datetime(2026, 9, 30, 2, tzinfo=UTC)


def fed_back(*topics: str) -> IssueFedBack:
    cmd = FeedBack(
        feedback_id=uuid.uuid4(),
        jurisdiction="361002",
        unit="某局",
        issues=(IssueSpec(uuid.uuid4(), "超标准接待", topics=topics),),
        fed_back_at=FED,
        round_id=ROUND,
        unit_id=UNIT,
    )
    [event] = model.decide_feedback(cmd)
    return event


def closed_issue(*topics: str) -> Issue:
    event = fed_back(*topics)
    return model.replay(
        [
            event,
            RectificationReported(
                issue_id=event.issue_id,
                kind=ReportKind.FORMAL,
                progress_percent=100,
                completed=True,
                note="完成",
            ),
            RectificationVerified(
                issue_id=event.issue_id, outcome=VerificationOutcome.ACCEPTED, note="通过"
            ),
            IssueClosedOut(issue_id=event.issue_id, note="销号"),
        ]
    )


def test_feedback_keeps_topics_trimmed_and_unique() -> None:
    assert fed_back(" 公务接待 ", "公务接待", "", "会议费").topics == ["公务接待", "会议费"]


def test_recurrence_only_for_a_shared_topic() -> None:
    new = fed_back("公务接待", "会议费")
    earlier = rv.ClosedIssue(uuid.uuid4(), ("公务接待", "公车"))
    unrelated = rv.ClosedIssue(uuid.uuid4(), ("公车",))
    [found] = rv.detect_recurrence(new, [earlier, unrelated])
    assert found.earlier_issue_id == earlier.issue_id and found.issue_id == new.issue_id
    assert found.topics == ["公务接待"] and found.cause is RecurrenceCause.FED_BACK_AGAIN
    assert rv.detect_recurrence(fed_back(), [earlier]) == []


def test_a_revisit_reopens_only_a_verified_or_closed_out_issue() -> None:
    revisit = uuid.uuid4()
    state = closed_issue("公务接待")
    reopened, recurrence = rv.decide_reopen(state, revisit, "反弹")
    assert isinstance(reopened, IssueReopened) and isinstance(recurrence, RecurrenceDetected)
    assert recurrence.cause is RecurrenceCause.REOPENED and recurrence.revisit_id == revisit
    model.evolve(state, reopened)
    model.evolve(state, recurrence)
    assert state.status is IssueStatus.IN_PROGRESS and state.open_reports == []
    assert state.reopened_by == [revisit] and state.recurs == [state.issue_id]
    with pytest.raises(IllegalTransition, match="整改中"):
        rv.decide_reopen(state, revisit, "again")
    fresh = model.replay([fed_back("公务接待")])
    with pytest.raises(IllegalTransition, match="fed_back"):
        rv.decide_reopen(fresh, revisit, "")


def scheduled() -> rv.Revisit:
    cmd = rv.ScheduleRevisit(uuid.uuid4(), "361002", UNIT, "某局", ROUND, date(2026, 10, 10))
    state = rv.Revisit()
    for event in rv.decide_schedule(state, cmd, date(2026, 10, 1)):
        rv.evolve_revisit(state, event)
    return state


def test_revisit_schedule_and_findings() -> None:
    # one held before it was entered, with its day (R26): its findings may follow at once
    held = rv.ScheduleRevisit(uuid.uuid4(), "361002", UNIT, "某局", ROUND, date(2026, 9, 1))
    entered = rv.Revisit()
    for event in rv.decide_schedule(entered, held, date(2026, 10, 1)):
        rv.evolve_revisit(entered, event)
    assert entered.scheduled_on == date(2026, 9, 1)
    issue = uuid.uuid4()
    assert rv.decide_findings(
        entered, rv.RecordFindings((issue,), (), ()), frozenset({issue}), date(2026, 10, 1)
    )
    # not more than a term back
    too_old = rv.ScheduleRevisit(uuid.uuid4(), "361002", UNIT, "某局", ROUND, date(2021, 9, 30))
    with pytest.raises(InvalidCommand, match="回头看日期不能早于 2021-10-01"):
        rv.decide_schedule(rv.Revisit(), too_old, date(2026, 10, 1))
    state = scheduled()
    mine, foreign = uuid.uuid4(), uuid.uuid4()
    with pytest.raises(InvalidCommand, match=str(foreign)):
        rv.decide_findings(state, rv.RecordFindings((mine, foreign), (), ()), frozenset({mine}))
    with pytest.raises(InvalidCommand):
        rv.decide_findings(state, rv.RecordFindings((), (), ()), frozenset({mine}))
    # not before the revisit's day (2026-10-10); on it, yes
    with pytest.raises(RuleViolation, match="回头看定于 2026-10-10 开展"):
        rv.decide_findings(
            state, rv.RecordFindings((mine,), (), ()), frozenset({mine}), date(2026, 10, 9)
        )
    assert rv.decide_findings(
        state, rv.RecordFindings((mine,), (), ()), frozenset({mine}), date(2026, 10, 10)
    )
    [event] = rv.decide_findings(
        state, rv.RecordFindings((), (mine,), ("新问题",)), frozenset({mine})
    )
    rv.evolve_revisit(state, event)
    assert state.checked_issue_ids == [mine] and state.reopened_issue_ids == [mine]
    with pytest.raises(RuleViolation):
        rv.decide_findings(state, rv.RecordFindings((mine,), (), ()), frozenset({mine}))


def test_self_check_only_by_a_unit_the_list_went_to() -> None:
    later, other = uuid.uuid4(), uuid.uuid4()
    item = CommonProblem(aspect="八项规定", description="超标准接待", topics=["公务接待"])
    cmd = rv.IssueCommonList(uuid.uuid4(), "361002", 2, (item,), (later, later))
    state = rv.CommonList()
    [issued] = rv.decide_issue_list(state, cmd)
    rv.evolve_list(state, issued)
    assert state.unit_ids == [later]
    with pytest.raises(rv.UnknownCommonList):
        rv.decide_self_check(state, rv.SelfCheck(other, "无", "无"))
    [checked] = rv.decide_self_check(state, rv.SelfCheck(later, "发现2次", "退赔"))
    rv.evolve_list(state, checked)
    assert state.self_checks == {later: ("发现2次", "退赔")}


def test_issue_fed_back_v2_is_upcast_with_no_topics() -> None:
    event = fed_back("公务接待")
    payload: dict[str, Any] = event.model_dump(mode="json", exclude={"topics", "round_name"})
    assert REGISTRY.current_version("rectification.IssueFedBack") == 5
    upcast = UPCASTERS[("rectification.IssueFedBack", 2)](payload)
    upcast = UPCASTERS[("rectification.IssueFedBack", 3)](upcast)
    assert IssueFedBack.model_validate(upcast).topics == []


def test_common_pattern_needs_two_units_in_one_term() -> None:
    r1, r2 = str(uuid.uuid4()), str(uuid.uuid4())

    def topic(unit: str, rnd: str, *topics: str) -> dict[str, Any]:
        return {"jurisdiction": "361002", "unit": unit, "unit_id": None, "round_id": rnd,
                "topics": list(topics)}  # fmt: skip

    docs = {
        "round": {r1: {"term_no": 2}, r2: {"term_no": 3}},
        "rect_topic": {
            "a": topic("甲局", r1, "公务接待"),
            "b": topic("乙局", r1, "公务接待", "会议费"),
            "c": topic("丙局", r2, "会议费"),
        },
    }
    [pattern] = views.common_patterns(docs)
    assert pattern["topic"] == "公务接待" and pattern["units"] == ["乙局", "甲局"]
    assert pattern["term_no"] == 2 and pattern["unit_count"] == 2
