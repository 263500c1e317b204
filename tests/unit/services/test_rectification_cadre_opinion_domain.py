"""rectification, 干部任用征求巡察意见 (R4, pure model): a request is asked on or before today
and answered once, not before it was asked and not after today; no draft's blank is sent; a
unit fed issues back is not answered 尚未巡察; the drafts carry the unit's figures."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from xuncha_rectification.domain.cadre_opinion import (
    CADRE_OPINION,
    CadreOpinion,
    GiveCadreOpinion,
    RequestCadreOpinion,
    UnitRecord,
    WithdrawCadreOpinion,
    decide_give,
    decide_request,
    decide_withdraw,
    draft,
    office_of,
    suggested,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.rectification import (
    CadreOpinionGiven,
    CadreOpinionRequested,
    OpinionConclusion,
    OpinionPurpose,
)
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed, NotFoundError, RuleViolation

pytestmark = pytest.mark.unit

TODAY = date(2026, 10, 20)
UNIT_ID = uuid.uuid4()
INSPECTED = UnitRecord(
    unit_id=UNIT_ID,
    unit="临川区某局",
    rounds=("四届区委第五轮巡察",),
    issues=5,
    done=3,
    red_line_warnings=1,
    red_line_findings=("false",),
)
NOT_INSPECTED = UnitRecord(unit_id=None, unit=None)


def asked(**kw: object) -> RequestCadreOpinion:
    values: dict[str, object] = {
        "request_id": uuid.uuid4(),
        "jurisdiction": "361002",
        "department": Department.ORGANISATION,
        "unit": "临川区某局",
        "cadre_name": "王某某",
        "cadre_post": "副局长",
        "purpose": OpinionPurpose.PROMOTION,
        "requested_on": date(2026, 10, 19),
        "unit_id": UNIT_ID,
        "reply_by": date(2026, 10, 23),
        **kw,
    }
    return RequestCadreOpinion(**values)  # type: ignore[arg-type]


def requested(cmd: RequestCadreOpinion | None = None) -> CadreOpinion:
    cmd = cmd or asked()
    return CADRE_OPINION.replay(decide_request(CadreOpinion(), cmd, INSPECTED, TODAY))


def test_a_request_names_the_unit_as_the_inspections_know_it() -> None:
    [event] = decide_request(CadreOpinion(), asked(unit="某局"), INSPECTED, TODAY)
    assert isinstance(event, CadreOpinionRequested)
    assert (event.unit, event.unit_id) == ("临川区某局", UNIT_ID)
    with pytest.raises(NotFoundError):
        decide_request(CadreOpinion(), asked(), None, TODAY)
    with pytest.raises(InvalidCommand, match="晚于今天"):
        decide_request(CadreOpinion(), asked(requested_on=date(2026, 10, 21)), INSPECTED, TODAY)
    with pytest.raises(InvalidCommand, match="早于征求日期"):
        decide_request(CadreOpinion(), asked(reply_by=date(2026, 10, 18)), INSPECTED, TODAY)
    with pytest.raises(InvalidCommand, match="早于一年前"):
        decide_request(CadreOpinion(), asked(requested_on=date(2025, 10, 18)), INSPECTED, TODAY)
    with pytest.raises(RuleViolation, match="已于 2026-10-01 就王某某同志选拔任用征求巡察意见"):
        decide_request(CadreOpinion(), asked(), INSPECTED, TODAY, date(2026, 10, 1))
    with pytest.raises(RuleViolation):
        decide_request(requested(), asked(), INSPECTED, TODAY)


def test_an_answer_is_given_once_with_the_units_figures() -> None:
    state = requested()
    answer = GiveCadreOpinion(
        request_id=uuid.uuid4(),
        conclusion=OpinionConclusion.NO_ADVERSE,
        text="经查……",
        given_on=TODAY,
    )
    [event] = decide_give(state, answer, INSPECTED, TODAY)
    assert isinstance(event, CadreOpinionGiven)
    assert (event.issues, event.done, event.red_line_warnings) == (5, 3, 1)
    answered = CADRE_OPINION.evolve(state, event, None)
    assert answered.given and not answered.overdue(date(2026, 12, 1))
    with pytest.raises(RuleViolation, match="已于 2026-10-20 回复"):
        decide_give(answered, answer, INSPECTED, TODAY)
    with pytest.raises(NotFoundError):
        decide_give(CadreOpinion(), answer, INSPECTED, TODAY)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"text": "发现以下问题：____。"}, "空白"),
        ({"text": "发现以下问题：__。"}, "空白"),
        ({"text": "发现以下问题：＿＿＿。"}, "空白"),
        ({"text": "巡察中发现王某某同志存在以下问题：违规吃喝。"}, "却写明存在问题"),
        ({"conclusion": OpinionConclusion.ADVERSE, "text": "存在以下问题：。"}, "未写问题内容"),
        ({"conclusion": OpinionConclusion.ADVERSE, "text": "存在以下问题："}, "未写问题内容"),
        (
            {"conclusion": OpinionConclusion.ADVERSE, "text": "未发现王某某同志存在影响使用的问题"},
            "却写明未发现问题",
        ),
        ({"given_on": date(2026, 10, 18)}, "早于征求日期"),
        ({"given_on": date(2026, 10, 21)}, "晚于今天"),
        ({"conclusion": OpinionConclusion.NOT_INSPECTED}, "不能答复"),
    ],
)
def test_an_answer_is_refused(change: dict[str, object], message: str) -> None:
    values: dict[str, object] = {
        "request_id": uuid.uuid4(),
        "conclusion": OpinionConclusion.NO_ADVERSE,
        "text": "经查……",
        "given_on": TODAY,
        **change,
    }
    with pytest.raises(InvalidCommand, match=message):
        decide_give(requested(), GiveCadreOpinion(**values), INSPECTED, TODAY)  # type: ignore[arg-type]


def test_not_inspected_may_be_answered_for_a_unit_never_fed_back() -> None:
    state = requested(asked(unit_id=None))
    answer = GiveCadreOpinion(
        request_id=uuid.uuid4(),
        conclusion=OpinionConclusion.NOT_INSPECTED,
        text=draft(state, NOT_INSPECTED, OpinionConclusion.NOT_INSPECTED),
        given_on=TODAY,
    )
    [event] = decide_give(state, answer, NOT_INSPECTED, TODAY)
    assert isinstance(event, CadreOpinionGiven) and event.issues == 0
    assert "尚未接受区委巡察" in answer.text


def test_the_drafts_carry_the_figures_and_leave_the_finding_to_the_office() -> None:
    state = requested()
    fine = draft(state, INSPECTED, OpinionConclusion.NO_ADVERSE)
    assert fine == (
        "经查，临川区某局接受了四届区委第五轮巡察，巡察反馈问题5个，经核实整改到位3个，"
        "正在整改2个。该单位在整改中被红线预警1次（虚假整改）。经核查巡察谈话、问题线索和信访举报中"
        "涉及王某某同志的情况：____。巡察中未发现王某某同志存在影响选拔任用的问题。"
    )
    # a favourable answer too leaves what the office checked of the cadre blank: sent as
    # drafted it is refused (a draft's blank), never a one-click 未发现
    with pytest.raises(InvalidCommand):
        decide_give(
            state,
            GiveCadreOpinion(uuid.uuid4(), OpinionConclusion.NO_ADVERSE, fine, TODAY),
            INSPECTED,
            TODAY,
            "361002",
        )
    adverse = draft(state, INSPECTED, OpinionConclusion.ADVERSE)
    assert adverse.endswith("巡察中发现王某某同志存在以下问题：____。")
    done = UnitRecord(unit_id=UNIT_ID, unit="临川区某局", issues=2, done=2)
    all_done = draft(state, done, OpinionConclusion.NO_ADVERSE)
    assert "巡察反馈问题2个，均已经核实整改到位。经核查" in all_done


def test_a_request_past_its_day_unanswered_is_overdue() -> None:
    state = requested()
    assert not state.overdue(date(2026, 10, 23))
    assert state.overdue(date(2026, 10, 24))
    assert not requested(asked(reply_by=None)).overdue(date(2027, 1, 1))


def test_only_the_office_of_the_units_area_answers_and_as_the_record_says() -> None:
    state = requested()
    answer = GiveCadreOpinion(uuid.uuid4(), OpinionConclusion.NO_ADVERSE, "经查……", TODAY)
    with pytest.raises(NotAllowed, match="由临川区委巡察办回复"):
        decide_give(state, answer, INSPECTED, TODAY, "361000")
    assert decide_give(state, answer, INSPECTED, TODAY, "361002")
    with pytest.raises(InvalidCommand, match="没有巡察记录"):
        decide_give(state, answer, NOT_INSPECTED, TODAY)
    with pytest.raises(InvalidCommand, match="没有巡察记录"):
        draft(state, NOT_INSPECTED, OpinionConclusion.ADVERSE)
    assert (suggested(INSPECTED), suggested(NOT_INSPECTED)) == (
        OpinionConclusion.NO_ADVERSE,
        OpinionConclusion.NOT_INSPECTED,
    )
    assert (office_of("361000"), office_of("361021")) == ("市委巡察办", "南城县委巡察办")


def test_the_department_that_asked_withdraws_a_request_not_answered() -> None:
    state = requested()
    withdraw = WithdrawCadreOpinion(uuid.uuid4(), TODAY, "拟任人选调整")
    with pytest.raises(NotAllowed):
        decide_withdraw(state, withdraw, Department.AUDIT, TODAY)
    early = WithdrawCadreOpinion(uuid.uuid4(), date(2026, 10, 18), "x")
    with pytest.raises(InvalidCommand, match="早于征求日期"):
        decide_withdraw(state, early, Department.ORGANISATION, TODAY)
    [event] = decide_withdraw(state, withdraw, Department.ORGANISATION, TODAY)
    CADRE_OPINION.evolve(state, event, None)
    assert state.withdrawn and not state.overdue(date(2027, 1, 1))
    with pytest.raises(RuleViolation, match="已于 2026-10-20 撤回"):
        decide_withdraw(state, withdraw, Department.ORGANISATION, TODAY)
    answer = GiveCadreOpinion(uuid.uuid4(), OpinionConclusion.NO_ADVERSE, "经查……", TODAY)
    with pytest.raises(RuleViolation, match="撤回"):
        decide_give(state, answer, INSPECTED, TODAY)
    answered = requested()
    for event in decide_give(answered, answer, INSPECTED, TODAY):
        CADRE_OPINION.evolve(answered, event, None)
    with pytest.raises(RuleViolation, match="不能撤回"):
        decide_withdraw(answered, withdraw, Department.ORGANISATION, TODAY)
    late = requested(asked(reply_by=date(2026, 10, 19)))
    for event in decide_give(late, answer, INSPECTED, TODAY):
        CADRE_OPINION.evolve(late, event, None)
    assert late.answered_late and not answered.answered_late
