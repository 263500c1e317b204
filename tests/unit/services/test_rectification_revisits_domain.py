"""Revisits (R18), recurrence (R19) and common-problem lists (pure decisions), the IssueFedBack
v2 → v3 upcaster, and reporting's views of them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest
from xuncha_rectification.domain import common_lists as cl
from xuncha_rectification.domain import model
from xuncha_rectification.domain import revisits as rv
from xuncha_rectification.domain.commands import FeedBack, IssueSpec
from xuncha_rectification.domain.issue import IllegalTransition, Issue, IssueStatus
from xuncha_rectification.domain.rounds import HoldingRound, KnownRound
from xuncha_reporting.domain import revisit_views as views
from xuncha_shared.contracts import REGISTRY
from xuncha_shared.contracts.intake import RoundKind
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
    RevisitScheduled,
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
    cmd = cl.IssueCommonList(uuid.uuid4(), "361002", 2, (item,), (later, later))
    state = cl.CommonList()
    [issued] = cl.decide_issue_list(state, cmd)
    cl.evolve_list(state, issued)
    assert state.unit_ids == [later]
    with pytest.raises(cl.UnknownCommonList):
        cl.decide_self_check(state, cl.SelfCheck(other, "无", "无"))
    [checked] = cl.decide_self_check(state, cl.SelfCheck(later, "发现2次", "退赔"))
    cl.evolve_list(state, checked)
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


LATER = uuid.uuid4()


def holding(mode: str | None = "revisit", round_id: uuid.UUID = LATER) -> HoldingRound:
    known = KnownRound(jurisdiction="361002", term_no=4, round_no=2, kind=RoundKind.REGULAR)
    return HoldingRound(round_id, known, date(2026, 9, 7), date(2026, 11, 30), mode)


def held_by(in_round: uuid.UUID | None, on: date = date(2026, 9, 20)) -> rv.ScheduleRevisit:
    return rv.ScheduleRevisit(uuid.uuid4(), "361002", UNIT, "某局", ROUND, on, in_round)


def test_a_revisit_held_by_a_round_names_one_revisiting_the_unit() -> None:
    """巡察“回头看” (R18): the holding round assigns the unit in mode revisit, is not the round
    revisited, and the revisit's day is not before it starts; none: the office's own."""
    today = date(2026, 10, 1)
    state = rv.Revisit()
    [event] = rv.decide_schedule(state, held_by(LATER), today, holding())
    assert isinstance(event, RevisitScheduled) and event.in_round_id == LATER
    rv.evolve_revisit(state, event)
    assert state.in_round_id == LATER and state.round_id == ROUND
    [own] = rv.decide_schedule(rv.Revisit(), held_by(None), today)
    assert isinstance(own, RevisitScheduled) and own.in_round_id is None
    # a round unknown here, or of another jurisdiction (the lookup answers none): unknown
    with pytest.raises(InvalidCommand, match=f"未找到开展回头看的巡察轮次 {LATER}"):
        rv.decide_schedule(rv.Revisit(), held_by(LATER), today, None)
    with pytest.raises(InvalidCommand, match="未找到开展回头看的巡察轮次"):
        rv.decide_schedule(rv.Revisit(), held_by(LATER), today, holding(round_id=uuid.uuid4()))
    with pytest.raises(InvalidCommand, match="临川区第4届第2轮巡察未以“回头看”方式巡察某局"):
        rv.decide_schedule(rv.Revisit(), held_by(LATER), today, holding("regular"))
    with pytest.raises(InvalidCommand, match="未以“回头看”方式"):
        rv.decide_schedule(rv.Revisit(), held_by(LATER), today, holding(None))
    with pytest.raises(InvalidCommand, match="不能是被回访的反馈轮次"):
        rv.decide_schedule(rv.Revisit(), held_by(ROUND), today, holding(round_id=ROUND))
    with pytest.raises(InvalidCommand, match="不能早于临川区第4届第2轮巡察开始日期 2026-09-07"):
        rv.decide_schedule(rv.Revisit(), held_by(LATER, date(2026, 9, 6)), today, holding())
    # its findings may come after the round's days
    after = held_by(LATER, date(2026, 12, 1))
    assert rv.decide_schedule(rv.Revisit(), after, date(2026, 12, 2), holding())
    # a unit whose earlier inspection fed back nothing here: the holding round alone
    first = rv.ScheduleRevisit(uuid.uuid4(), "361002", UNIT, "某局", None, date(2026, 9, 20), LATER)
    [alone] = rv.decide_schedule(rv.Revisit(), first, today, holding())
    assert isinstance(alone, RevisitScheduled) and alone.round_id is None
    neither = rv.ScheduleRevisit(uuid.uuid4(), "361002", UNIT, "某局", None, date(2026, 9, 20))
    with pytest.raises(InvalidCommand, match="请选择回访的反馈轮次或开展回头看的轮次"):
        rv.decide_schedule(rv.Revisit(), neither, today)
    with pytest.raises(ValueError, match="names the round it goes back to or the round holding"):
        RevisitScheduled(
            revisit_id=uuid.uuid4(), jurisdiction="361002", unit_id=UNIT, unit="某局",
            round_id=None, scheduled_on=date(2026, 9, 20), in_round_id=None,
        )  # fmt: skip


def test_revisit_scheduled_v1_is_upcast_as_the_offices_own() -> None:
    event = RevisitScheduled(
        revisit_id=uuid.uuid4(), jurisdiction="361002", unit_id=UNIT, unit="某局",
        round_id=ROUND, scheduled_on=date(2026, 10, 10), in_round_id=None,
    )  # fmt: skip
    payload: dict[str, Any] = event.model_dump(mode="json", exclude={"in_round_id"})
    assert REGISTRY.current_version("rectification.RevisitScheduled") == 2
    upcast = UPCASTERS[("rectification.RevisitScheduled", 1)](payload)
    assert RevisitScheduled.model_validate(upcast).in_round_id is None


def test_revisits_view_links_a_rounds_revisit_mode_units_to_their_revisits() -> None:
    fed, later, other = str(ROUND), str(LATER), str(uuid.uuid4())
    u1, u2 = str(UNIT), str(uuid.uuid4())

    def rnd(no: int, starts: str) -> dict[str, Any]:
        return {"jurisdiction": "361002", "term_no": 4, "round_no": no, "kind": "regular",
                "starts_on": starts, "ends_on": "2026-11-30"}  # fmt: skip

    def revisit(unit: str, in_round: str | None, on: str) -> dict[str, Any]:
        doc = {"jurisdiction": "361002", "unit_id": unit, "unit": "某局", "round_id": fed,
               "scheduled_on": on, "at": f"{on}T00:00:00+00:00"}  # fmt: skip
        return doc | ({"in_round_id": in_round} if in_round != "v1" else {})

    docs = {
        "round": {
            fed: rnd(1, "2025-03-03"),
            later: rnd(2, "2026-09-07"),
            other: rnd(3, "2026-10-12"),
        },
        "round_unit": {
            f"{later}/{u1}": {"round_id": later, "unit_id": u1, "mode": "revisit"},
            f"{later}/{u2}": {"round_id": later, "unit_id": u2, "mode": "revisit"},
            f"{other}/{u1}": {"round_id": other, "unit_id": u1, "mode": "regular"},
        },
        "unit": {u1: {"name": "某局"}, u2: {"name": "另一局"}},
        "revisit": {
            "r1": revisit(u1, later, "2026-09-20"),
            "r2": revisit(u1, None, "2026-08-01"),
            "r3": revisit(u1, "v1", "2026-07-01"),  # stored before v2: no key at all
        },
        "revisit_findings": {
            "r1": {"checked_issue_ids": ["i"], "reopened_issue_ids": [], "new_problems": []}
        },
    }
    view = views.revisits(docs)
    by_id = {i["revisit_id"]: i for i in view["items"]}
    assert by_id["r1"]["in_round_name"] == "临川区第4届第2轮巡察"
    assert by_id["r1"]["round_name"] == "临川区第4届第1轮巡察"
    assert by_id["r2"]["in_round_id"] is None and by_id["r3"]["in_round_id"] is None
    assert [
        (p["unit"], p["revisit_id"], p["findings_recorded"]) for p in view["round_revisits"]
    ] == [
        ("另一局", None, False),
        ("某局", "r1", True),
    ]
    assert view["round_revisits_recorded"] == 1
    assert {p["round_name"] for p in view["round_revisits"]} == {"临川区第4届第2轮巡察"}
