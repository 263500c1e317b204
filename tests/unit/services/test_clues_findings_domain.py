"""Problems, inspection reports, hearings and consultations: the pure models' rules."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from xuncha_clues.domain import consultation as cm
from xuncha_clues.domain import inspection_report as rm
from xuncha_clues.domain import problem as pm
from xuncha_clues.domain.scope import Viewer
from xuncha_shared.contracts.clues import (
    ConsultationHeld,
    HearingMeeting,
    InspectionReportDrafted,
    InspectionReportHeard,
    InspectionReportKind,
    ProblemRecorded,
)
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation

CITY, LINCHUAN, NANCHENG = "361000", "361002", "361021"
ROUND, OTHER_ROUND = uuid.uuid4(), uuid.uuid4()
UNIT_A, UNIT_B = uuid.uuid4(), uuid.uuid4()
TODAY = date(2026, 11, 29)


def record(unit: uuid.UUID = UNIT_A, **kw: object) -> pm.Problem:
    cmd = pm.RecordProblem(
        problem_id=uuid.uuid4(),
        round_id=kw.pop("round_id", ROUND),  # type: ignore[arg-type]
        jurisdiction=kw.pop("jurisdiction", LINCHUAN),  # type: ignore[arg-type]
        unit_id=unit,
        title="落实全面从严治党主体责任不到位",
        **kw,  # type: ignore[arg-type]
    )
    events = pm.decide_record(pm.Problem(), cmd)
    return pm.PROBLEM.replay(events)


def ref(p: pm.Problem) -> rm.ProblemRef:
    assert p.problem_id is not None
    assert p.round_id is not None
    assert p.unit_id is not None
    return rm.ProblemRef(p.problem_id, p.round_id, p.jurisdiction, p.unit_id)


def draft(kind: InspectionReportKind, unit: uuid.UUID | None, *problems: pm.Problem, **kw: object):
    report_id = rm.report_id_for(kind, ROUND, unit) or uuid.uuid4()
    cmd = rm.DraftReport(
        report_id=report_id,
        round_id=ROUND,
        jurisdiction=LINCHUAN,
        kind=kind,
        unit_id=unit,
        problems=tuple(ref(p) for p in problems),
        **kw,  # type: ignore[arg-type]
    )
    return cmd


def test_a_problem_is_recorded_once_with_its_topics_deduplicated():
    p = record(topics=("四风", " 四风", "选人用人", ""), pointed=True)
    assert p.topics == ["四风", "选人用人"]
    assert p.pointed
    events = [
        ProblemRecorded(
            problem_id=p.problem_id,  # type: ignore[arg-type]
            round_id=ROUND,
            jurisdiction=LINCHUAN,
            unit_id=UNIT_A,
            title="x",
        )
    ]
    again = pm.RecordProblem(p.problem_id, ROUND, LINCHUAN, UNIT_A, "x")  # type: ignore[arg-type]
    with pytest.raises(RuleViolation):
        pm.decide_record(pm.PROBLEM.replay(events), again)


def test_a_problem_needs_a_known_jurisdiction_and_a_title():
    with pytest.raises(InvalidCommand):
        pm.decide_record(pm.Problem(), pm.RecordProblem(uuid.uuid4(), ROUND, "999999", UNIT_A, "t"))
    with pytest.raises(InvalidCommand):
        pm.decide_record(pm.Problem(), pm.RecordProblem(uuid.uuid4(), ROUND, LINCHUAN, UNIT_A, " "))


def test_a_unit_report_covers_its_unit_and_presents_its_problems():
    a1, a2 = record(UNIT_A), record(UNIT_A)
    [event] = rm.decide_draft(
        rm.InspectionReport(), draft(InspectionReportKind.UNIT, UNIT_A, a1, a2)
    )
    assert isinstance(event, InspectionReportDrafted)
    assert event.unit_ids == [UNIT_A]
    assert event.problem_ids == [a1.problem_id, a2.problem_id]


def test_an_overall_report_covers_the_units_of_its_problems_and_those_named():
    a, b = record(UNIT_A), record(UNIT_B)
    extra = uuid.uuid4()
    cmd = draft(InspectionReportKind.OVERALL, None, a, b, unit_ids=(extra, UNIT_A))
    [event] = rm.decide_draft(rm.InspectionReport(), cmd)
    assert isinstance(event, InspectionReportDrafted)
    assert event.unit_ids == [UNIT_A, UNIT_B, extra]


@pytest.mark.parametrize(
    ("kind", "unit", "problems", "extra"),
    [
        (InspectionReportKind.UNIT, None, "a", ()),  # a unit report without its unit
        (InspectionReportKind.OVERALL, "a", "a", ()),  # an overall report naming one unit
        (InspectionReportKind.UNIT, "a", "b", ()),  # another unit's problem in a unit report
        (InspectionReportKind.UNIT, "a", "a", ("b",)),  # a unit report covering two units
        (InspectionReportKind.THEMATIC, None, "", ()),  # a report covering no unit
        (InspectionReportKind.UNIT, "a", "other_round", ()),
        (InspectionReportKind.UNIT, "a", "other_jurisdiction", ()),
    ],
)
def test_malformed_reports_are_refused(kind, unit, problems, extra):
    units = {"a": UNIT_A, "b": UNIT_B}
    made = {
        "a": [record(UNIT_A)],
        "b": [record(UNIT_B)],
        "": [],
        "other_round": [record(UNIT_A, round_id=OTHER_ROUND)],
        "other_jurisdiction": [record(UNIT_A, jurisdiction=NANCHENG)],
    }[problems]
    cmd = draft(kind, units.get(unit or ""), *made, unit_ids=tuple(units[u] for u in extra))
    with pytest.raises(InvalidCommand):
        rm.decide_draft(rm.InspectionReport(), cmd)


def test_a_round_has_one_unit_report_per_unit_and_one_overall_report():
    assert rm.report_id_for(InspectionReportKind.UNIT, ROUND, UNIT_A) == rm.report_id_for(
        InspectionReportKind.UNIT, ROUND, UNIT_A
    )
    assert rm.report_id_for(InspectionReportKind.UNIT, ROUND, UNIT_B) != rm.report_id_for(
        InspectionReportKind.UNIT, ROUND, UNIT_A
    )
    assert rm.report_id_for(InspectionReportKind.THEMATIC, ROUND, None) is None
    cmd = draft(InspectionReportKind.UNIT, UNIT_A, record(UNIT_A))
    state = rm.INSPECTION_REPORT.replay(rm.decide_draft(rm.InspectionReport(), cmd))
    with pytest.raises(RuleViolation, match="已形成报告"):
        rm.decide_draft(state, cmd)


def drafted(*problems: pm.Problem) -> rm.InspectionReport:
    cmd = draft(InspectionReportKind.UNIT, UNIT_A, *problems)
    return rm.INSPECTION_REPORT.replay(rm.decide_draft(rm.InspectionReport(), cmd))


def hear(meeting: HearingMeeting, *pointed: uuid.UUID, held_on: date = TODAY) -> rm.HearReport:
    return rm.HearReport(uuid.uuid4(), meeting, held_on, "全面接受，立行立改", tuple(pointed))


def test_a_hearing_carries_every_unit_of_the_report_and_its_pointed_problems():
    a1, a2 = record(UNIT_A, pointed=True), record(UNIT_A)
    state = drafted(a1, a2)
    assert a1.problem_id is not None
    [event] = rm.decide_hear(state, hear(HearingMeeting.SECRETARY_MEETING, a1.problem_id), TODAY)
    assert isinstance(event, InspectionReportHeard)
    assert event.unit_ids == [UNIT_A]
    assert event.unit_id == UNIT_A
    assert event.pointed_problem_ids == [a1.problem_id]
    assert event.round_id == ROUND
    heard = rm.evolve(state, event)
    assert heard.status is rm.ReportStatus.HEARD
    assert heard.pointed_problem_ids == [a1.problem_id]
    # the standing committee may hear it too; the same meeting kind twice is a conflict
    assert rm.decide_hear(heard, hear(HearingMeeting.STANDING_COMMITTEE), TODAY)
    with pytest.raises(RuleViolation, match="已听取汇报"):
        rm.decide_hear(heard, hear(HearingMeeting.SECRETARY_MEETING), TODAY)


def test_a_hearing_is_not_in_the_future_and_points_only_the_reports_problems():
    a = record(UNIT_A)
    state = drafted(a)
    with pytest.raises(InvalidCommand):
        rm.decide_hear(
            state, hear(HearingMeeting.STANDING_COMMITTEE, held_on=date(2026, 11, 30)), TODAY
        )
    # nor more than a term back (R26: a hearing recorded after the fact is a day on paper)
    with pytest.raises(InvalidCommand, match="不能早于5年前"):
        rm.decide_hear(
            state, hear(HearingMeeting.STANDING_COMMITTEE, held_on=date(2016, 11, 30)), TODAY
        )
    assert rm.decide_hear(
        state, hear(HearingMeeting.STANDING_COMMITTEE, held_on=date(2021, 11, 29)), TODAY
    )
    with pytest.raises(InvalidCommand, match="点人点事"):
        rm.decide_hear(state, hear(HearingMeeting.SECRETARY_MEETING, uuid.uuid4()), TODAY)
    with pytest.raises(NotFoundError):
        rm.decide_hear(rm.InspectionReport(), hear(HearingMeeting.SECRETARY_MEETING), TODAY)


def consult(**kw: object) -> cm.HoldConsultation:
    base: dict[str, object] = {
        "consultation_id": uuid.uuid4(),
        "jurisdiction": LINCHUAN,
        "clue_ids": (uuid.uuid4(),),
        "held_on": TODAY,
        "participants": ("巡察办主任", "第一巡察组组长"),
        "decision": "立即移交区纪委监委",
    }
    base.update(kw)
    return cm.HoldConsultation(**base)  # type: ignore[arg-type]


def test_a_consultation_is_recorded_once():
    cmd = consult(participants=("巡察办主任", " 巡察办主任 ", "组长"))
    [event] = cm.decide_hold(cm.Consultation(), cmd, TODAY)
    assert isinstance(event, ConsultationHeld)
    assert event.participants == ["巡察办主任", "组长"]
    state = cm.CONSULTATION.replay([event])
    with pytest.raises(RuleViolation):
        cm.decide_hold(state, cmd, TODAY)


@pytest.mark.parametrize(
    "bad",
    [
        {"clue_ids": ()},
        {"participants": (" ",)},
        {"held_on": date(2016, 11, 30)},
        {"held_on": date(2026, 12, 1)},
        {"decision": "  "},
        {"jurisdiction": "123"},
    ],
)
def test_malformed_consultations_are_refused(bad):
    with pytest.raises(InvalidCommand):
        cm.decide_hold(cm.Consultation(), consult(**bad), TODAY)


def test_a_group_bound_member_sees_only_its_groups_units_in_its_round():
    group = Viewer(LINCHUAN, False, uuid.uuid4(), ROUND, frozenset({UNIT_A}))
    assert group.sees(LINCHUAN, ROUND, [UNIT_A])
    assert not group.sees(LINCHUAN, ROUND, [UNIT_A, UNIT_B])
    assert not group.sees(LINCHUAN, OTHER_ROUND, [UNIT_A])
    assert not group.sees(NANCHENG, ROUND, [UNIT_A])
    unknown_group = Viewer(LINCHUAN, False, uuid.uuid4())
    assert not unknown_group.sees(LINCHUAN, ROUND, [UNIT_A])
    city = Viewer(CITY, True)
    assert city.sees(LINCHUAN, ROUND, [UNIT_B])
    assert city.sees(CITY, None, [])
    county = Viewer(NANCHENG, False)
    assert not county.sees(LINCHUAN, ROUND, [UNIT_A])
    assert county.sees(NANCHENG, ROUND, [UNIT_A])


def test_a_problem_of_a_round_is_at_its_units_in_its_area() -> None:
    cmd = pm.RecordProblem(uuid.uuid4(), ROUND, LINCHUAN, UNIT_A, "t")
    pm.require_in_round(cmd, frozenset({LINCHUAN}), frozenset({UNIT_A}))
    with pytest.raises(InvalidCommand, match="不是该地区的轮次"):
        pm.require_in_round(cmd, frozenset({"361022"}), frozenset({UNIT_A}))
    with pytest.raises(InvalidCommand, match="不在所选轮次的巡察范围内"):
        pm.require_in_round(cmd, frozenset({LINCHUAN}), frozenset({uuid.uuid4()}))
