"""clues: the lifecycle after the transfer (pure model): verification, acknowledgement (once,
whichever way), the department's result, disposal, 参考类 archiving, R11, and every illegal
transition a 409 naming the state."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, date, datetime

import pytest
from xuncha_clues.domain import model, results
from xuncha_clues.domain.clue import Clue, ClueStatus, IllegalTransition, Office
from xuncha_clues.domain.commands import (
    AcknowledgeClue,
    ArchiveClue,
    ClassifyClue,
    DisposeClue,
    EscalateClue,
    RegisterClue,
    ReportResult,
    TransferClue,
    UrgeTransferResult,
    VerifyClue,
)
from xuncha_shared.contracts.clues import (
    AcknowledgementPath,
    CadreLevel,
    ClueAcknowledged,
    ClueCategory,
    ClueDisposed,
    CluePerson,
    ClueVerified,
    Disposition,
    TransferResultReported,
    TransferResultUrged,
    VerificationMethod,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed, NotFoundError, RuleViolation

pytestmark = pytest.mark.unit

LINCHUAN = "361002"
COUNTY = Office(jurisdiction=LINCHUAN, city_wide=False)
ORGANISATION = Department.ORGANISATION
DISCIPLINE = Department.DISCIPLINE
TODAY = date(2026, 6, 1)
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
TRANSFER_EVENT = uuid.uuid4()


def apply(state: Clue, events: list) -> Clue:  # type: ignore[type-arg]
    for e in events:
        model.evolve(state, e, T0)
    return state


def clue(petition: uuid.UUID | None = None) -> Clue:
    cmd = RegisterClue(
        clue_id=uuid.uuid4(),
        jurisdiction=LINCHUAN,
        unit="临川区某局",
        summary="违规发放津补贴",
        source_petition_id=petition,
    )
    return apply(Clue(), model.decide_register(Clue(), cmd))


def classified(category: ClueCategory = ClueCategory.FURTHER_INQUIRY) -> Clue:
    s = clue()
    cmd = ClassifyClue(category=category, cadre_level=CadreLevel.SECTION, topics=("四风",))
    return apply(s, model.decide_classify(s, cmd, COUNTY))


def verified() -> Clue:
    s = classified()
    cmd = VerifyClue(method=VerificationMethod.QUICK_CHECK, outcome="基本属实")
    return apply(s, model.decide_verify(s, cmd, COUNTY))


def transferred() -> Clue:
    s = verified()
    return apply(s, model.decide_transfer(s, TransferClue(DISCIPLINE, "按规定移交"), COUNTY))


def transferred_to(department: Department) -> Clue:
    """A clue on 选人用人 (R2: the organisation department's) transferred to ``department`` and
    signed for by it."""
    s = clue()
    cmd = ClassifyClue(category=ClueCategory.FURTHER_INQUIRY, topics=("选人用人",))
    apply(s, model.decide_classify(s, cmd, COUNTY))
    apply(s, model.decide_transfer(s, TransferClue(department, "按规定移交"), COUNTY))
    signed = AcknowledgeClue(department, AcknowledgementPath.DIRECT, TRANSFER_EVENT)
    return apply(s, results.decide_acknowledge(s, signed))


def ack(via: AcknowledgementPath = AcknowledgementPath.DIRECT) -> AcknowledgeClue:
    return AcknowledgeClue(DISCIPLINE, via, TRANSFER_EVENT)


def acknowledged() -> Clue:
    s = transferred()
    return apply(s, results.decide_acknowledge(s, ack()))


RESULT = ReportResult(DISCIPLINE, Disposition.TALK_OR_LETTER, date(2026, 5, 20), "已谈话提醒")


def result_reported() -> Clue:
    s = acknowledged()
    return apply(s, results.decide_report_result(s, RESULT, TODAY))


def test_the_whole_path_moves_through_every_state() -> None:
    s = clue()
    assert s.status is ClueStatus.REGISTERED
    assert classified().status is ClueStatus.CLASSIFIED
    assert verified().status is ClueStatus.VERIFYING
    assert transferred().status is ClueStatus.TRANSFERRED
    assert acknowledged().status is ClueStatus.ACKNOWLEDGED
    s = result_reported()
    assert s.status is ClueStatus.RESULT_REPORTED
    assert s.disposition is Disposition.TALK_OR_LETTER
    [event] = model.decide_dispose(s, DisposeClue(disposed_on=TODAY), COUNTY)
    assert isinstance(event, ClueDisposed)
    assert event.disposition is Disposition.TALK_OR_LETTER
    assert apply(s, [event]).status is ClueStatus.DISPOSED


def test_verification_can_repeat_and_counts() -> None:
    s = verified()
    cmd = VerifyClue(method=VerificationMethod.VERIFICATION, outcome="属实", notes="调阅账目")
    apply(s, model.decide_verify(s, cmd, COUNTY))
    assert s.verifications == 2
    assert s.status is ClueStatus.VERIFYING


def test_reference_clue_is_kept_then_archived_and_never_transferred() -> None:
    s = classified(ClueCategory.REFERENCE)
    assert s.status is ClueStatus.KEPT
    with pytest.raises(IllegalTransition, match="kept"):
        model.decide_transfer(s, TransferClue(DISCIPLINE, "x"), COUNTY)
    apply(s, model.decide_archive(s, ArchiveClue("留存备查"), COUNTY))
    assert s.status is ClueStatus.ARCHIVED
    with pytest.raises(IllegalTransition, match="archived"):
        model.decide_archive(s, ArchiveClue("again"), COUNTY)


def test_acknowledgement_is_once_whichever_way() -> None:
    s = acknowledged()
    # the feed's second acknowledgement is a no-op, the HTTP one a 409 naming the state
    assert results.decide_acknowledge(s, ack(AcknowledgementPath.FEED)) == []
    with pytest.raises(IllegalTransition, match="acknowledged"):
        results.decide_acknowledge(s, ack())
    # the same when the feed came first
    s = transferred()
    apply(s, results.decide_acknowledge(s, ack(AcknowledgementPath.FEED)))
    assert s.acknowledged_via is AcknowledgementPath.FEED
    with pytest.raises(RuleViolation):
        results.decide_acknowledge(s, ack())


def test_the_acknowledgement_keeps_the_departments_note() -> None:
    """签收备注: what the department wrote when it signed goes into its acknowledgement."""
    s = transferred()
    noted = dataclasses.replace(ack(AcknowledgementPath.FEED), note="已收到，转审查调查室办理")
    [event] = results.decide_acknowledge(s, noted)
    assert isinstance(event, ClueAcknowledged) and event.note == "已收到，转审查调查室办理"
    [plain] = results.decide_acknowledge(s, ack())
    assert isinstance(plain, ClueAcknowledged) and plain.note is None


def test_another_department_gets_the_unknown_clue() -> None:
    s = transferred()
    other = AcknowledgeClue(Department.ORGANISATION, AcknowledgementPath.DIRECT, TRANSFER_EVENT)
    with pytest.raises(NotFoundError):
        results.decide_acknowledge(s, other)
    s = acknowledged()
    with pytest.raises(NotFoundError):
        results.decide_report_result(
            s, ReportResult(Department.AUDIT, Disposition.CLOSED, TODAY, "x"), TODAY
        )
    # a clue not transferred at all is unknown to any department
    with pytest.raises(NotFoundError):
        results.decide_acknowledge(verified(), ack())


@pytest.mark.parametrize(
    ("make", "decide"),
    [
        (
            clue,
            lambda s: model.decide_verify(
                s, VerifyClue(VerificationMethod.QUICK_CHECK, "x"), COUNTY
            ),
        ),
        (
            transferred,
            lambda s: model.decide_verify(
                s, VerifyClue(VerificationMethod.QUICK_CHECK, "x"), COUNTY
            ),
        ),
        (transferred, lambda s: results.decide_report_result(s, RESULT, TODAY)),
        (acknowledged, lambda s: model.decide_dispose(s, DisposeClue(TODAY), COUNTY)),
        (result_reported, lambda s: results.decide_report_result(s, RESULT, TODAY)),
        (result_reported, lambda s: model.decide_escalate(s, EscalateClue("x"), COUNTY)),
        (verified, lambda s: model.decide_archive(s, ArchiveClue("x"), COUNTY)),
        (transferred, lambda s: model.decide_dispose(s, DisposeClue(TODAY), COUNTY)),
    ],
)
def test_illegal_transitions_are_refused_naming_the_state(make, decide) -> None:  # type: ignore[no-untyped-def]
    s = make()
    with pytest.raises(RuleViolation) as refused:
        decide(s)
    assert s.status.value in str(refused.value) or "transferred" in str(refused.value)


def test_a_disposed_clue_refuses_everything() -> None:
    s = result_reported()
    apply(s, model.decide_dispose(s, DisposeClue(TODAY), COUNTY))
    for decide in (
        lambda: model.decide_dispose(s, DisposeClue(TODAY), COUNTY),
        lambda: results.decide_report_result(s, RESULT, TODAY),
        lambda: results.decide_acknowledge(s, ack()),
        lambda: model.decide_classify(s, ClassifyClue(ClueCategory.INQUIRY), COUNTY),
    ):
        with pytest.raises(RuleViolation):
            decide()


def test_result_dates_are_checked() -> None:
    s = acknowledged()
    late = ReportResult(DISCIPLINE, Disposition.CLOSED, date(2026, 6, 2), "x")
    with pytest.raises(InvalidCommand, match="after today"):
        results.decide_report_result(s, late, TODAY)
    early = ReportResult(DISCIPLINE, Disposition.CLOSED, date(2026, 1, 1), "x")
    with pytest.raises(InvalidCommand, match="before the transfer"):
        results.decide_report_result(s, early, TODAY)
    [event] = results.decide_report_result(s, RESULT, TODAY)
    assert isinstance(event, TransferResultReported)


def test_disposal_carries_the_petition_for_the_result_notice() -> None:
    petition = uuid.uuid4()
    s = clue(petition)
    for decide in (
        lambda: model.decide_classify(s, ClassifyClue(ClueCategory.INQUIRY), COUNTY),
        lambda: model.decide_transfer(s, TransferClue(DISCIPLINE, "x"), COUNTY),
        lambda: results.decide_acknowledge(s, ack()),
        lambda: results.decide_report_result(s, RESULT, TODAY),
    ):
        apply(s, decide())
    [event] = model.decide_dispose(s, DisposeClue(TODAY), COUNTY)
    assert isinstance(event, ClueDisposed) and event.source_petition_id == petition


@pytest.mark.parametrize(
    "summary",
    ["举报人电话13907941234", "联系 139-0794-1234", "身份证号36100219900101123X", "0794-8234567"],
)
def test_direct_registration_refuses_an_identity_in_the_summary(summary: str) -> None:
    cmd = RegisterClue(
        clue_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="u", summary=summary, direct=True
    )
    with pytest.raises(InvalidCommand, match="R11"):
        model.decide_register(Clue(), cmd)


def test_direct_registration_keeps_persons_and_amounts() -> None:
    cmd = RegisterClue(
        clue_id=uuid.uuid4(),
        jurisdiction=LINCHUAN,
        unit="u",
        summary="2023年违规发放津补贴共计128000元，涉及3人",
        direct=True,
        persons=(CluePerson(cadre_level=CadreLevel.DIVISION, city_managed=True),),
    )
    s = apply(Clue(), model.decide_register(Clue(), cmd))
    assert s.city_managed and s.persons[0].cadre_level is CadreLevel.DIVISION


def test_organisational_handling_is_the_organisation_departments_to_report() -> None:
    """R9: 组织处理 is the organisation department's; 纪委监委 reports its own dispositions."""
    s = acknowledged()
    org = ReportResult(DISCIPLINE, Disposition.ORGANISATIONAL_HANDLING, TODAY, "x")
    with pytest.raises(InvalidCommand, match="the organisation's disposition") as info:
        results.decide_report_result(s, org, TODAY)
    assert info.value.status == 422
    assert "组织处理由组织部作出" in info.value.detail
    assert results.decide_report_result(s, RESULT, TODAY)


@pytest.mark.parametrize("disposition", [Disposition.PRELIMINARY_CHECK, Disposition.CASE_OPENED])
def test_only_the_discipline_commission_checks_or_opens_a_case(disposition: Disposition) -> None:
    """R9: 初步核实 and 立案审查调查 are a discipline body's; the organisation department (or
    any other) reports its own dispositions: 组织处理, 谈话函询, 暂存待查, 予以了结."""
    s = transferred_to(ORGANISATION)
    with pytest.raises(InvalidCommand, match="discipline_commission's disposition") as info:
        results.decide_report_result(s, ReportResult(ORGANISATION, disposition, TODAY, "x"), TODAY)
    assert "由纪委监委作出" in info.value.detail
    for own in (Disposition.ORGANISATIONAL_HANDLING, Disposition.TALK_OR_LETTER):
        assert results.decide_report_result(s, ReportResult(ORGANISATION, own, TODAY, "x"), TODAY)
    assert results.decide_report_result(
        acknowledged(), ReportResult(DISCIPLINE, disposition, TODAY, "x"), TODAY
    )


# --- 催办 (R27) ---------------------------------------------------------------------------------


CITY = Office(jurisdiction="361000", city_wide=True)
OTHER_COUNTY = Office(jurisdiction="361021", city_wide=False)


def urge(
    note: str = "请尽快反馈办理情况", due: date | None = date(2026, 5, 30)
) -> UrgeTransferResult:
    return UrgeTransferResult(note=note, due_date=due)


def test_the_office_urges_a_transferred_clue_once_a_day_numbering_each_urge() -> None:
    s = transferred()
    first = results.decide_urge(s, urge(), COUNTY, TODAY)
    assert len(first) == 1
    event = first[0]
    assert isinstance(event, TransferResultUrged)
    assert (event.urge_no, event.urged_on, event.department) == (1, TODAY, DISCIPLINE)
    assert (event.jurisdiction, event.unit, event.summary) == (
        LINCHUAN,
        "临川区某局",
        "违规发放津补贴",
    )
    assert event.due_date == date(2026, 5, 30) and event.overdue  # urged after R3's last day
    apply(s, first)
    assert (s.urges, s.last_urged_on, s.status) == (1, TODAY, ClueStatus.TRANSFERRED)

    with pytest.raises(RuleViolation, match="今天（2026-06-01）已催办过该线索（第1次）"):
        results.decide_urge(s, urge(), COUNTY, TODAY)

    # the next day, after the department signed: the second urge, before the due day
    apply(s, results.decide_acknowledge(s, ack()))
    later = TODAY.replace(day=2)
    second = results.decide_urge(s, urge(due=date(2026, 6, 2)), COUNTY, later)
    assert isinstance(second[0], TransferResultUrged)
    assert (second[0].urge_no, second[0].overdue) == (2, False)  # the last day itself is in time
    apply(s, second)
    assert (s.urges, s.last_urged_on, s.status) == (2, later, ClueStatus.ACKNOWLEDGED)


def test_an_urge_without_a_clock_names_no_due_day_and_is_not_overdue() -> None:
    event = results.decide_urge(transferred(), urge(due=None), COUNTY, TODAY)[0]
    assert isinstance(event, TransferResultUrged)
    assert (event.due_date, event.overdue) == (None, False)


@pytest.mark.parametrize("make", [classified, result_reported])
def test_only_a_clue_awaiting_its_result_is_urged(make) -> None:  # type: ignore[no-untyped-def]
    s = make()
    with pytest.raises(IllegalTransition, match="不能催办") as refused:
        results.decide_urge(s, urge(), COUNTY, TODAY)
    assert refused.value.state is s.status


def test_an_urge_needs_a_note_and_the_office_responsible() -> None:
    s = transferred()
    with pytest.raises(InvalidCommand, match="请填写催办意见"):
        results.decide_urge(s, urge(note="   "), COUNTY, TODAY)
    with pytest.raises(NotAllowed):
        results.decide_urge(s, urge(), OTHER_COUNTY, TODAY)
    # the city office acts on its counties' clues
    assert results.decide_urge(s, urge(), CITY, TODAY)


def test_the_city_office_checks_a_clue_a_county_reported_up() -> None:
    """R12 then R21: the clue a county escalated is the city's to check (速查/核查) before it
    decides where it goes; the clue stays escalated, its check counted and carrying the city's
    jurisdiction, and the county can no longer check it."""
    s = verified()
    apply(s, model.decide_escalate(s, EscalateClue(reason="涉及市管干部"), COUNTY))
    assert s.status is ClueStatus.ESCALATED
    method = VerificationMethod.VERIFICATION
    cmd = VerifyClue(method=method, outcome="基本属实", notes="市委巡察办调阅账目")
    with pytest.raises(NotAllowed, match="escalated"):
        model.decide_verify(s, cmd, COUNTY)
    [event] = model.decide_verify(s, cmd, CITY)
    assert isinstance(event, ClueVerified)
    assert model.event_jurisdiction(s, event) == CITY.jurisdiction
    apply(s, [event])
    assert (s.status, s.verifications) == (ClueStatus.ESCALATED, 2)
    # and the city goes on to transfer it (R12 met)
    [transfer] = model.decide_transfer(s, TransferClue(DISCIPLINE, "按规定移交"), CITY)
    assert apply(s, [transfer]).status is ClueStatus.TRANSFERRED


def test_a_clue_reported_up_that_the_city_keeps_for_reference_is_archived_not_transferred() -> None:
    """A 参考类 clue is kept and never transferred, also one a county escalated: the city
    office classifies it so, and then archives it (R9); the county cannot."""
    s = verified()
    apply(s, model.decide_escalate(s, EscalateClue(reason="涉及市管干部"), COUNTY))
    cmd = ClassifyClue(category=ClueCategory.REFERENCE, cadre_level=CadreLevel.SECTION)
    apply(s, model.decide_classify(s, cmd, CITY))
    assert s.status is ClueStatus.KEPT
    with pytest.raises(IllegalTransition, match="kept"):
        model.decide_transfer(s, TransferClue(DISCIPLINE, "按规定移交"), CITY)
    with pytest.raises(NotAllowed, match="escalated"):
        model.decide_archive(s, ArchiveClue(reason="留存备查"), COUNTY)
    [archived] = model.decide_archive(s, ArchiveClue(reason="留存备查"), CITY)
    assert apply(s, [archived]).status is ClueStatus.ARCHIVED


def test_a_clue_keeps_the_time_it_took_its_status_while_other_steps_follow() -> None:
    """``status_since`` (what a county's stub of a clue it reported up shows of time) moves
    with the status only: the city's check and the 催办 move ``updated_at`` alone."""
    s = verified()
    escalated_at = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
    for event in model.decide_escalate(s, EscalateClue(reason="涉及市管干部"), COUNTY):
        model.evolve(s, event, escalated_at)
    assert s.status_since == s.updated_at == escalated_at
    checked_at = datetime(2026, 3, 9, 2, 0, tzinfo=UTC)
    cmd = VerifyClue(method=VerificationMethod.VERIFICATION, outcome="基本属实")
    for event in model.decide_verify(s, cmd, CITY):
        model.evolve(s, event, checked_at)
    assert (s.status_since, s.updated_at) == (escalated_at, checked_at)
    transferred_at = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    for event in model.decide_transfer(s, TransferClue(DISCIPLINE, "按规定移交"), CITY):
        model.evolve(s, event, transferred_at)
    assert s.status_since == s.updated_at == transferred_at
