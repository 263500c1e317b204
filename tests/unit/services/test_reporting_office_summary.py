"""The office summary view and the 组织部 feed's share of step 7, from events (pure)."""

from __future__ import annotations

import uuid
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from xuncha_reporting.domain import project
from xuncha_reporting.domain.feed_display import FEED_KIND_ZH, displayed
from xuncha_reporting.domain.model import Doc, FeedItem, FeedKind
from xuncha_reporting.domain.office_summary import SUMMARY_KINDS, office_summary, summary_docs
from xuncha_shared.contracts.clues import (
    ClueTransferred,
    ConsultationHeld,
    HearingMeeting,
    InspectionReportDrafted,
    InspectionReportHeard,
    InspectionReportKind,
    ProblemRecorded,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.intake import (
    CheckFinding,
    CountyKeySupervisionLifted,
    CountyKeySupervisionOrdered,
    CountyWorkChecked,
    Grade,
    InspectorEvaluated,
    InspectorEvaluationCorrected,
    PilotPlaceLevel,
    PilotPointDesignated,
    PilotPointKind,
    ReserveCadreAdmitted,
    ReserveCadreRemoved,
    TalentPoolMemberEnrolled,
    pilot_point_id_for,
)
from xuncha_shared.contracts.rectification import (
    CadreOpinionGiven,
    CadreOpinionRequested,
    CadreOpinionWithdrawn,
    IssueFedBack,
    OpinionConclusion,
    OpinionPurpose,
    PublicationScope,
    PublicationStage,
    ResultsPublished,
    publication_id_for,
)
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

CITY, LINCHUAN = "361000", "361002"
ACTOR = Actor(principal_id="office-1", role="city_admin")
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
ROUND = uuid.uuid4()


def envelope(payload: EventPayload, jurisdiction: str, at: datetime = T0) -> EventEnvelope:
    [sealed] = seal_events(
        "x",
        str(uuid.uuid4()),
        1,
        "0" * 64,
        [NewEvent(payload, jurisdiction, ACTOR, occurred_at=at)],
        at,
    )
    return sealed


class Docs:
    """The lifecycle documents the projection wrote, as the view reads them."""

    def __init__(self) -> None:
        self.docs: dict[str, dict[str, dict[str, Any]]] = {k: {} for k in SUMMARY_KINDS}
        self.feed: list[FeedItem] = []

    def apply(self, payload: EventPayload, jurisdiction: str, at: datetime = T0) -> None:
        for change in project(envelope(payload, jurisdiction, at), payload):
            if isinstance(change, Doc) and change.kind in self.docs:
                self.docs[change.kind][change.key] = {
                    **change.doc,
                    "jurisdiction": change.jurisdiction,
                }
            elif isinstance(change, FeedItem):
                self.feed.append(change)


def problem(unit: uuid.UUID, *topics: str, jurisdiction: str = CITY) -> ProblemRecorded:
    return ProblemRecorded(
        problem_id=uuid.uuid4(),
        round_id=ROUND,
        jurisdiction=jurisdiction,
        unit_id=unit,
        title="问题",
        topics=list(topics),
    )


def test_the_figures_of_a_year_and_their_chinese_rendering():
    d = Docs()
    unit_a, unit_b = uuid.uuid4(), uuid.uuid4()
    problems = [problem(unit_a, "四风"), problem(unit_a, "选人用人"), problem(unit_b, "民主集中制")]
    for p in problems:
        d.apply(p, CITY)
    d.apply(problem(unit_a, "四风", jurisdiction=LINCHUAN), LINCHUAN)  # a county's: not counted
    report = InspectionReportDrafted(
        report_id=uuid.uuid4(),
        round_id=ROUND,
        jurisdiction=CITY,
        kind=InspectionReportKind.OVERALL,
        unit_ids=[unit_a, unit_b],
        problem_ids=[p.problem_id for p in problems],
    )
    d.apply(report, CITY)
    for meeting, held_on, pointed in [
        (
            HearingMeeting.SECRETARY_MEETING,
            date(2026, 4, 1),
            [problems[0].problem_id, problems[1].problem_id],
        ),
        (HearingMeeting.STANDING_COMMITTEE, date(2026, 4, 9), []),
        (HearingMeeting.LEADING_GROUP, date(2025, 12, 30), [problems[2].problem_id]),  # last year
    ]:
        heard = InspectionReportHeard(
            report_id=report.report_id,
            hearing_id=uuid.uuid4(),
            round_id=ROUND,
            jurisdiction=CITY,
            kind=report.kind,
            unit_ids=report.unit_ids,
            meeting=meeting,
            held_on=held_on,
            pointed_problem_ids=pointed,
            decisions="全面接受",
        )
        d.apply(heard, CITY)
    for department in (Department.DISCIPLINE, Department.DISCIPLINE, Department.ORGANISATION):
        moved = ClueTransferred(
            clue_id=uuid.uuid4(),
            department=department,
            reason="r",
            jurisdiction=CITY,
            unit="u",
            summary="s",
        )
        d.apply(moved, CITY)
    for unit in ("市交通运输局", "市交通运输局", "市财政局"):
        fed = IssueFedBack(
            issue_id=uuid.uuid4(),
            feedback_id=uuid.uuid4(),
            jurisdiction=CITY,
            unit=unit,
            description="d",
        )
        d.apply(fed, CITY)
    # the province's review of the office itself: its own rectification, not a feedback it gave
    for _ in range(2):
        review = IssueFedBack(
            issue_id=uuid.uuid4(),
            feedback_id=uuid.uuid4(),
            jurisdiction=CITY,
            unit="市委巡察办",
            description="d",
            round_id=uuid.uuid4(),
            round_name="省委第三巡视组巡视",
        )
        d.apply(review, CITY)
    d.apply(
        ConsultationHeld(
            consultation_id=uuid.uuid4(),
            jurisdiction=CITY,
            clue_ids=[uuid.uuid4(), uuid.uuid4()],
            held_on=date(2026, 5, 5),
            participants=["巡察办主任"],
            decision="立即移交",
        ),
        CITY,
    )

    view = office_summary(d.docs, CITY, 2026)
    assert view["hearings"]["by_meeting"] == {
        "standing_committee": 1,
        "secretary_meeting": 1,
        "leading_group": 0,
    }
    assert view["hearings"]["reports_heard"] == 1
    assert view["reports"]["by_kind"] == {"unit": 0, "overall": 1, "thematic": 0}
    assert view["problems"]["recorded"] == 3
    assert view["pointed"]["problems"] == 2
    assert view["pointed"]["supervised"] == 0
    assert view["transfers"]["total"] == 3
    assert [
        (r["department"], r["transferred"], r["pending"])
        for r in view["transfers"]["by_department"]
    ] == [
        ("discipline_commission", 2, 2),
        ("organisation", 1, 1),
    ]
    assert view["feedback"] == {
        "problems": 3,
        "units": 2,
        "feedbacks": 3,
        "by_unit": [{"unit": "市交通运输局", "problems": 2}, {"unit": "市财政局", "problems": 1}],
        "received": {"problems": 2, "reviews": ["省委第三巡视组巡视"]},
    }
    assert view["consultations"] == {"held": 1, "clues": 2}
    text = view["rendering_zh"]
    assert "1次向市委常委会汇报巡察工作" in text
    assert "1次向市委书记专题会汇报" in text
    assert "0次" not in text and "领导小组" not in text  # a meeting never reported to: unsaid
    assert "移交问题线索3件（纪委监委2件、组织部1件）" in text
    assert "向2家被巡察单位反馈问题3个；市委巡察办自身整改问题2个（省委第三巡视组巡视）" in text
    assert "点人点事问题2项，尚未下达督办" in text
    last_year = office_summary(d.docs, CITY, 2025)
    assert last_year["hearings"]["by_meeting"]["leading_group"] == 1
    assert last_year["transfers"]["total"] == 0
    assert "1次向市委巡察工作领导小组汇报工作" in last_year["rendering_zh"]
    nothing = office_summary(d.docs, CITY, 2020)["rendering_zh"]
    assert nothing.startswith("2020年，市委巡察办尚未向市委汇报巡察情况；尚未形成巡察报告；")
    # a year that is over: what was not done, and no figure of nothing
    over = office_summary(d.docs, CITY, 2020, this_year=2026)["rendering_zh"]
    assert over == (
        "2020年，市委巡察办未向市委汇报巡察情况；未形成巡察报告；未移交问题线索；"
        "未向被巡察单位反馈问题。"
    ), over
    assert "0份" not in over and "0个" not in over and "0项" not in over
    assert office_summary(d.docs, LINCHUAN, 2026)["problems"]["recorded"] == 1


def test_the_organisation_feed_carries_its_problems_and_the_inspector_grades():
    d = Docs()
    d.apply(problem(uuid.uuid4(), "四风"), CITY)
    d.apply(problem(uuid.uuid4(), "选人用人", "四风"), CITY)
    d.apply(problem(uuid.uuid4(), "民主集中制"), CITY)
    d.apply(
        InspectorEvaluated(group_id=uuid.uuid4(), member_id=uuid.uuid4(), grade=Grade.EXCELLENT),
        CITY,
    )
    assert [i.kind for i in d.feed] == [
        FeedKind.PROBLEM,
        FeedKind.PROBLEM,
        FeedKind.INSPECTOR_GRADE,
    ]
    assert all(i.department is Department.ORGANISATION for i in d.feed)
    assert d.feed[0].summary.startswith("[选人用人、四风]")
    assert d.feed[2].summary == "巡察干部评价：优秀"


def test_organisation_feed_items_are_shown_with_their_names_and_own_labels():
    """The feed shows each kind under its own Chinese label, and an inspector grade naming the
    inspector, round and group (read beside the item: ``feed_display``); the projection keeps a
    pool member's home unit for it."""
    assert set(FEED_KIND_ZH) == {k.value for k in FeedKind}
    assert len(set(FEED_KIND_ZH.values())) == len(FeedKind)
    member, home, group = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    enrolled = TalentPoolMemberEnrolled(
        member_id=member, jurisdiction=CITY, name="欧阳测评", home_unit_id=home,
        source="organisation", specialities=["personnel"], rank="正科级", birth_year=1980,
    )  # fmt: skip
    [pool_doc] = [c for c in project(envelope(enrolled, CITY), enrolled) if isinstance(c, Doc)]
    assert pool_doc.doc["home_unit_id"] == str(home)
    d = Docs()
    d.apply(InspectorEvaluated(group_id=group, member_id=member, grade=Grade.COMPETENT), CITY)
    d.apply(problem(uuid.uuid4(), "民主集中制"), CITY)
    grade, found = (asdict(i) | {"kind": i.kind.value} for i in d.feed)
    names = {
        "member_name": "欧阳测评",
        "group_no": 3,
        "round_jurisdiction": CITY,
        "term_no": 9,
        "round_no": 4,
    }
    shown = displayed({**grade, **names, "unit": "市派出测试委"})
    assert (shown["kind_zh"], shown["unit"]) == ("巡察干部评价", "市派出测试委")
    assert shown["summary"] == "欧阳测评（抚州市第9届第4轮第3巡察组）评价等次：称职"
    assert not set(names) & set(shown)
    unknown = displayed({**grade, **dict.fromkeys(names)})
    assert unknown["summary"] == "未登记入库的巡察干部，评价等次：称职"
    assert displayed({**found, **dict.fromkeys(names)})["kind_zh"] == "发现问题"
    # 后备干部库: the member put into the reserve pool, named as the grade is, its note kept
    admitted = ReserveCadreAdmitted(
        member_id=member, group_id=group, admitted_on=date(2026, 11, 30), note="组长推荐"
    )
    d.apply(admitted, CITY)
    reserve = asdict(d.feed[-1]) | {"kind": d.feed[-1].kind.value}
    assert (reserve["ref_id"], reserve["reason"]) == (f"{group}/{member}", "组长推荐")
    shown = displayed({**reserve, **names, "unit": "市派出测试委"})
    assert (shown["kind_zh"], shown["reason"]) == ("纳入后备干部库", "组长推荐")
    assert (
        shown["summary"]
        == "欧阳测评（抚州市第9届第4轮第3巡察组评价优秀）于2026-11-30纳入后备干部库"
    )
    assert displayed({**reserve, **dict.fromkeys(names)})["summary"] == (
        "未登记入库的巡察干部（评价优秀）于2026-11-30纳入后备干部库"
    )
    removed = ReserveCadreRemoved(member_id=member, removed_on=date(2026, 12, 1), reason="已提拔")
    d.apply(removed, CITY)
    out = asdict(d.feed[-1]) | {"kind": d.feed[-1].kind.value}
    assert out["ref_id"] == f"/{member}"
    shown = displayed({**out, **names, "unit": "市派出测试委"})
    assert (shown["kind_zh"], shown["summary"], shown["reason"]) == (
        "移出后备干部库",
        "欧阳测评于2026-12-01移出后备干部库",
        "已提拔",
    )
    # 更正评价: the grade as corrected and the first, the reason beside them; the evaluation
    # document reads the new grade
    fixed = InspectorEvaluationCorrected(
        group_id=group, member_id=member, grade=Grade.BASICALLY_COMPETENT,
        previous_grade=Grade.COMPETENT, reason="复核后调整",
    )  # fmt: skip
    d.apply(fixed, CITY)
    out = asdict(d.feed[-1]) | {"kind": d.feed[-1].kind.value}
    assert out["ref_id"] == f"{group}/{member}"
    shown = displayed({**out, **names, "unit": "市派出测试委"})
    assert (shown["kind_zh"], shown["summary"], shown["reason"]) == (
        "巡察干部评价",
        "欧阳测评（抚州市第9届第4轮第3巡察组）评价等次：更正为基本称职（原评价称职）",
        "复核后调整",
    )
    [evaluation] = [c for c in project(envelope(fixed, CITY), fixed) if isinstance(c, Doc)]
    assert (evaluation.kind, evaluation.doc["grade"]) == ("evaluation", "基本称职")


class _Disposed(EventPayload):
    """A stand-in for the clue result event of the clue lifecycle (its contract comes later)."""

    event_type: ClassVar[str] = "clues.TransferResultReported"
    schema_version: ClassVar[int] = 1
    clue_id: uuid.UUID
    disposition: str


class _Supervised(EventPayload):
    """A stand-in for rectification's supervision (督办) of a unit's issues."""

    event_type: ClassVar[str] = "rectification.SupervisionOrdered"
    schema_version: ClassVar[int] = 1
    unit_id: uuid.UUID
    issue_ids: list[uuid.UUID]


def pointed_at_a_hearing(d: Docs, unit: uuid.UUID) -> ProblemRecorded:
    """A problem of ``unit`` recorded and pointed (点人点事) at a 书记专题会 of 2026."""
    pointed = problem(unit, "四风")
    d.apply(pointed, CITY)
    d.apply(
        InspectionReportHeard(
            report_id=uuid.uuid4(), hearing_id=uuid.uuid4(), round_id=ROUND, jurisdiction=CITY,
            kind=InspectionReportKind.UNIT, unit_id=unit, unit_ids=[unit],
            meeting=HearingMeeting.SECRETARY_MEETING, held_on=date(2026, 5, 1),
            pointed_problem_ids=[pointed.problem_id], decisions="交办",
        ),
        CITY,
    )  # fmt: skip
    return pointed


def apply_summary(d: Docs, payload: EventPayload) -> None:
    """What ``summary_docs`` writes of an event its stand-in contracts carry."""
    for change in summary_docs(envelope(payload, CITY), payload):
        d.docs[change.kind][change.key] = {**change.doc, "jurisdiction": change.jurisdiction}


def test_results_and_supervision_slot_in_when_their_events_arrive():
    d = Docs()
    clue = uuid.uuid4()
    d.apply(
        ClueTransferred(
            clue_id=clue, department=Department.DISCIPLINE, reason="r", jurisdiction=CITY,
            unit="u", summary="s",
        ),
        CITY,
    )  # fmt: skip
    unit = uuid.uuid4()
    pointed_at_a_hearing(d, unit)
    before = office_summary(d.docs, CITY, 2026)
    assert before["transfers"]["pending"] == 1
    assert before["pointed"]["supervised"] == 0
    for payload in (
        _Disposed(clue_id=clue, disposition="talk_or_letter"),
        _Supervised(unit_id=unit, issue_ids=[uuid.uuid4(), uuid.uuid4()]),
    ):
        apply_summary(d, payload)
    after = office_summary(d.docs, CITY, 2026)
    assert after["transfers"]["by_disposition"]["talk_or_letter"] == 1
    assert after["transfers"]["pending"] == 0
    assert after["pointed"]["supervised"] == 1
    assert after["pointed"]["issues_supervised"] == 2
    assert "谈话函询1件" in after["rendering_zh"]


def test_a_pointed_problem_fed_back_is_supervised_by_its_own_issue_only() -> None:
    """Once an issue names the problem it feeds back (IssueFedBack v5), a 督办 of another issue
    of the same unit does not make the problem supervised; one of its own issue does."""
    d = Docs()
    unit = uuid.uuid4()
    pointed = pointed_at_a_hearing(d, unit)
    own, other = uuid.uuid4(), uuid.uuid4()
    for issue_id, problem_id in ((own, pointed.problem_id), (other, None)):
        fed = IssueFedBack(
            issue_id=issue_id, feedback_id=uuid.uuid4(), jurisdiction=CITY, unit="市某局",
            description="d", round_id=ROUND, unit_id=unit, problem_id=problem_id,
        )  # fmt: skip
        d.apply(fed, CITY)

    def supervise(issue_id: uuid.UUID) -> int:
        apply_summary(d, _Supervised(unit_id=unit, issue_ids=[issue_id]))
        return int(office_summary(d.docs, CITY, 2026)["pointed"]["supervised"])

    assert supervise(other) == 0  # the unit's other issue: not this problem's
    assert supervise(own) == 1
    assert (
        "点人点事问题1项，其中已下达督办的1项" in office_summary(d.docs, CITY, 2026)["rendering_zh"]
    )


def test_a_transfer_made_on_paper_counts_in_its_letters_year() -> None:
    """补录 (R26): a transfer letter of last December entered in March counts in last year."""
    body = {"reason": "r", "jurisdiction": CITY, "unit": "u", "summary": "s"}
    on_paper = ClueTransferred(
        clue_id=uuid.uuid4(),
        department=Department.DISCIPLINE,
        transferred_on=date(2025, 12, 20),
        **body,
    )
    today = ClueTransferred(clue_id=uuid.uuid4(), department=Department.DISCIPLINE, **body)
    [paper_doc] = summary_docs(envelope(on_paper, CITY), on_paper)
    [today_doc] = summary_docs(envelope(today, CITY), today)
    assert (paper_doc.doc["on"], today_doc.doc["on"]) == ("2025-12-20", "2026-03-01")


def test_a_problem_without_a_type_is_counted_as_untyped() -> None:
    d = Docs()
    unit = uuid.uuid4()
    typed, untyped = problem(unit, "四风", "两个责任"), problem(unit)
    for p in (typed, untyped, problem(unit)):
        d.apply(p, CITY)
    report = InspectionReportDrafted(
        report_id=uuid.uuid4(), round_id=ROUND, jurisdiction=CITY,
        kind=InspectionReportKind.UNIT, unit_ids=[unit],
        problem_ids=[typed.problem_id, untyped.problem_id],
    )  # fmt: skip
    d.apply(report, CITY)
    heard = InspectionReportHeard(
        report_id=report.report_id, hearing_id=uuid.uuid4(), round_id=ROUND, jurisdiction=CITY,
        kind=report.kind, unit_ids=[unit], meeting=HearingMeeting.SECRETARY_MEETING,
        held_on=date(2026, 4, 1), pointed_problem_ids=[untyped.problem_id], decisions="全面接受",
    )  # fmt: skip
    d.apply(heard, CITY)
    view = office_summary(d.docs, CITY, 2026)
    assert view["problems"]["recorded"] == 3
    assert view["problems"]["by_topic"] == {"四风": 1, "两个责任": 1}
    assert view["problems"]["untyped"] == 2  # none left out of the table
    assert view["pointed"]["untyped"] == 1 and view["pointed"]["by_topic"] == {}


def test_the_citys_oversight_of_its_counties_inspection_work() -> None:
    """R29: the city's checks of its counties' work in the year, the problems found by aspect,
    the counties under 重点督办 and those lifted, the pilot points; said in the sentence; a
    county's own summary has none."""
    docs = Docs()
    finding = {"aspect": "组织建设", "description": "人员到位率低"}
    for county, findings, day in (
        ("361021", [finding, {"aspect": "巡察质量", "description": "村级巡察推进不力"}], 3),
        ("361022", [finding], 3),
        ("361021", [], 9),  # a second check of 南城县, nothing found
        ("361023", [finding], 2025),  # last year: not counted
    ):
        checked_on = date(2025, 3, 20) if day == 2025 else date(2026, day, 20)
        docs.apply(
            CountyWorkChecked(
                check_id=uuid.uuid4(),
                jurisdiction=CITY,
                county=county,
                checked_on=checked_on,
                findings=[CheckFinding(**f) for f in findings],
            ),
            CITY,
        )
    supervisions = [uuid.uuid4() for _ in range(3)]
    for supervision_id, county in zip(supervisions, ("361021", "361024", "361021"), strict=True):
        docs.apply(
            CountyKeySupervisionOrdered(
                supervision_id=supervision_id,
                jurisdiction=CITY,
                county=county,
                ordered_on=date(2026, 6, 10),
                reason="全覆盖进度慢",
            ),
            CITY,
        )
    # 361024's only supervision lifted (the next year: still this year's supervision), one of
    # 361021's two: 361021 stays under key supervision
    for supervision_id, county in ((supervisions[1], "361024"), (supervisions[0], "361021")):
        docs.apply(
            CountyKeySupervisionLifted(
                supervision_id=supervision_id,
                jurisdiction=CITY,
                county=county,
                lifted_on=date(2027, 1, 5),
                reason="已赶上进度",
            ),
            CITY,
        )
    points = (
        ("361021", PilotPointKind.NORMALISATION, None, None, 2026),
        ("361022", PilotPointKind.NORMALISATION, None, None, 2026),
        ("361022", PilotPointKind.RECTIFICATION, PilotPlaceLevel.TOWNSHIP, "××镇", 2026),
        ("361022", PilotPointKind.RECTIFICATION, PilotPlaceLevel.VILLAGE_OR_COMMUNITY, "A村", 2026),
        ("361023", PilotPointKind.RECTIFICATION, PilotPlaceLevel.VILLAGE_OR_COMMUNITY, "B村", 2026),
        ("361023", PilotPointKind.NORMALISATION, None, None, 2025),  # last year: not counted
    )
    for county, kind, level, place, year in points:
        docs.apply(
            PilotPointDesignated(
                point_id=pilot_point_id_for(county, kind.value, place, level and level.value),
                jurisdiction=CITY,
                county=county,
                kind=kind,
                level=level,
                place=place,
                liaison="市委巡察工作领导小组成员",
                designated_on=date(year, 4, 1),
            ),
            CITY,
        )
    view = office_summary(docs.docs, CITY, 2026)
    assert view["county_oversight"] == {
        "checks": 3,
        "counties_checked": 2,
        "findings": 3,
        "by_aspect": {"组织建设": 2, "巡察质量": 1},
        "key_supervision": ["361021", "361024"],
        "key_supervision_lifted": ["361024"],
        "pilot_points": {"counties": 2, "townships": 1, "villages": 2},
    }
    assert "督导检查2个县区巡察工作3次，梳理问题3项" in view["rendering_zh"]
    assert "对2个县区巡察工作进行了重点督办，已解除1个" in view["rendering_zh"]
    assert (
        "选取2个县区为县级巡察规范化推进联系点，1个乡镇、2个村（社区）为巡察整改联系点"
        in view["rendering_zh"]
    )
    county = office_summary(docs.docs, LINCHUAN, 2026)
    assert county["county_oversight"]["checks"] == 0
    assert "督导检查" not in county["rendering_zh"]
    assert "联系点" not in county["rendering_zh"]


def test_the_units_whose_inspection_the_office_made_known() -> None:
    """两公开 (R5): per scope and stage, the units of the year's publications; the public ones
    said in the sentence; another year's or another office's not counted."""
    docs = Docs()
    units = [uuid.uuid4() for _ in range(3)]
    published = (
        (units[0], PublicationStage.STATIONING, PublicationScope.PUBLIC, CITY, 2026),
        (units[1], PublicationStage.STATIONING, PublicationScope.PUBLIC, CITY, 2026),
        (units[0], PublicationStage.FEEDBACK, PublicationScope.PUBLIC, CITY, 2026),
        (units[0], PublicationStage.FEEDBACK, PublicationScope.PARTY_INTERNAL, CITY, 2026),
        (units[2], PublicationStage.RECTIFICATION, PublicationScope.PUBLIC, CITY, 2025),
        (units[2], PublicationStage.FEEDBACK, PublicationScope.PUBLIC, LINCHUAN, 2026),
    )
    round_id = uuid.uuid4()
    for unit_id, stage, scope, jurisdiction, year in published:
        docs.apply(
            ResultsPublished(
                publication_id=publication_id_for(round_id, unit_id, stage, scope),
                jurisdiction=jurisdiction,
                round_id=round_id,
                unit_id=unit_id,
                unit="某局",
                stage=stage,
                scope=scope,
                title="标题",
                text="内容",
                published_on=date(year, 5, 1),
            ),
            jurisdiction,
        )
    view = office_summary(docs.docs, CITY, 2026)
    assert view["publications"] == {
        "published": 4,
        "units": {
            "party_internal": {"stationing": 0, "feedback": 1, "rectification": 0},
            "public": {"stationing": 2, "feedback": 1, "rectification": 0},
        },
    }
    assert "向社会公开2个单位的巡察进驻情况、1个单位的巡察反馈情况" in view["rendering_zh"]
    county = office_summary(docs.docs, LINCHUAN, 2026)
    assert county["publications"]["units"]["public"]["feedback"] == 1
    assert "向社会公开" not in office_summary(docs.docs, CITY, 2024)["rendering_zh"]


def test_the_opinions_on_cadres_asked_and_given() -> None:
    """R4: the requests of the year (their day) and the answers of the year (theirs), by
    conclusion, of the office's own area; said only when some were given; nothing of the
    cadres."""
    docs = Docs()
    asked = (
        (CITY, date(2026, 12, 28), date(2027, 1, 4), OpinionConclusion.NO_ADVERSE),
        (CITY, date(2026, 5, 1), date(2026, 5, 6), OpinionConclusion.ADVERSE),
        (CITY, date(2026, 6, 1), None, None),
        (LINCHUAN, date(2026, 6, 1), date(2026, 6, 3), OpinionConclusion.NO_ADVERSE),
    )
    for jurisdiction, on, given_on, conclusion in asked:
        request_id = uuid.uuid4()
        docs.apply(
            CadreOpinionRequested(
                request_id=request_id,
                jurisdiction=jurisdiction,
                department=Department.ORGANISATION,
                unit="某局",
                cadre_name="王某某",
                cadre_post="副局长",
                purpose=OpinionPurpose.PROMOTION,
                requested_on=on,
            ),
            jurisdiction,
        )
        if given_on is not None and conclusion is not None:
            docs.apply(
                CadreOpinionGiven(
                    request_id=request_id,
                    jurisdiction=jurisdiction,
                    conclusion=conclusion,
                    text="经查……",
                    given_on=given_on,
                    issues=3,
                    done=1,
                    red_line_warnings=0,
                ),
                jurisdiction,
            )
    withdrawn = uuid.uuid4()  # asked by mistake and withdrawn: not counted as asked
    docs.apply(
        CadreOpinionRequested(
            request_id=withdrawn, jurisdiction=CITY, department=Department.ORGANISATION,
            unit="某局", cadre_name="赵某某", cadre_post="科长", purpose=OpinionPurpose.PROMOTION,
            requested_on=date(2026, 7, 1),
        ),
        CITY,
    )  # fmt: skip
    docs.apply(
        CadreOpinionWithdrawn(
            request_id=withdrawn, jurisdiction=CITY, withdrawn_on=date(2026, 7, 2), reason="误报"
        ),
        CITY,
    )
    view = office_summary(docs.docs, CITY, 2026)
    assert view["cadre_opinions"] == {
        "asked": 3,
        "given": 1,
        "by_conclusion": {"no_adverse": 0, "adverse": 1, "not_inspected": 0},
    }
    assert "回复组织部门干部任用征求巡察意见1人次，其中发现问题1人次" in view["rendering_zh"]
    assert "王某某" not in str(view)
    assert office_summary(docs.docs, CITY, 2027)["cadre_opinions"]["given"] == 1
    county = office_summary(docs.docs, LINCHUAN, 2026)
    assert "干部任用征求巡察意见1人次。" in county["rendering_zh"] or (
        "干部任用征求巡察意见1人次；" in county["rendering_zh"]
    )
    assert "征求巡察意见" not in office_summary(docs.docs, CITY, 2025)["rendering_zh"]
