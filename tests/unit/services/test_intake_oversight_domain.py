"""intake, R29 (pure model): the city office checks its counties' inspection work (督导检查),
puts a county under key supervision (重点督办) and lifts it, and designates pilot points (联系点);
nobody else does, for no other county, on no day to come."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from xuncha_intake.domain.oversight import (
    COUNTY_OVERSIGHT,
    CheckCountyWork,
    CountyOversight,
    DesignatePilotPoint,
    LiftCountyKeySupervision,
    OrderCountyKeySupervision,
    OversightKind,
    PilotPoint,
    decide_check,
    decide_key_supervision,
    decide_lift,
    decide_pilot_point,
)
from xuncha_intake.domain.planning import AlreadyExists
from xuncha_shared.contracts.intake import (
    CheckFinding,
    CountyKeySupervisionLifted,
    CountyKeySupervisionOrdered,
    CountyWorkChecked,
    PilotPlaceLevel,
    PilotPointDesignated,
    PilotPointKind,
    pilot_point_id_for,
)
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed, NotFoundError, RuleViolation

pytestmark = pytest.mark.unit

CITY, LINCHUAN, NANCHENG = "361000", "361002", "361021"
TODAY = date(2026, 6, 30)
FINDINGS = (
    CheckFinding(aspect="组织建设", description="巡察机构人员到位率低"),
    CheckFinding(aspect="巡察质量", description="村级巡察推进不力"),
)


def check(county: str = NANCHENG, day: date = date(2026, 3, 20)) -> CheckCountyWork:
    return CheckCountyWork(uuid4(), county, day, FINDINGS, note="3月全面检查")


def test_the_city_checks_a_countys_work_with_its_findings() -> None:
    cmd = check()
    [event] = decide_check(CountyOversight(), cmd, CITY, TODAY)
    assert isinstance(event, CountyWorkChecked)
    assert (event.check_id, event.jurisdiction, event.county) == (cmd.record_id, CITY, NANCHENG)
    assert [f.aspect for f in event.findings] == ["组织建设", "巡察质量"]
    state = COUNTY_OVERSIGHT.replay([event])
    assert (state.kind, state.county, state.day, state.text) == (
        OversightKind.CHECK,
        NANCHENG,
        date(2026, 3, 20),
        "3月全面检查",
    )
    assert COUNTY_OVERSIGHT.jurisdiction_of(state, event) == CITY
    with pytest.raises(AlreadyExists):
        decide_check(state, cmd, CITY, TODAY)
    # a check that found nothing is recorded too
    assert decide_check(CountyOversight(), CheckCountyWork(uuid4(), LINCHUAN, TODAY), CITY, TODAY)


def test_a_county_under_key_supervision() -> None:
    cmd = OrderCountyKeySupervision(uuid4(), LINCHUAN, date(2026, 6, 10), "全覆盖进度慢")
    [event] = decide_key_supervision(CountyOversight(), cmd, CITY, TODAY)
    assert isinstance(event, CountyKeySupervisionOrdered)
    assert (event.county, event.ordered_on, event.reason) == (
        LINCHUAN,
        date(2026, 6, 10),
        "全覆盖进度慢",
    )
    state = COUNTY_OVERSIGHT.replay([event])
    assert (state.kind, state.text) == (OversightKind.KEY_SUPERVISION, "全覆盖进度慢")


def test_only_the_city_office_for_its_own_counties_and_not_ahead_of_today() -> None:
    with pytest.raises(NotAllowed, match="R29"):
        decide_check(CountyOversight(), check(), LINCHUAN, TODAY)  # a county office
    for county in (CITY, "360102", "999999"):  # the city itself, another city, unknown
        with pytest.raises(InvalidCommand, match="不是本市的县区"):
            decide_check(CountyOversight(), check(county), CITY, TODAY)
    with pytest.raises(InvalidCommand, match="晚于今天"):
        decide_check(CountyOversight(), check(day=date(2026, 7, 1)), CITY, TODAY)
    late = OrderCountyKeySupervision(uuid4(), LINCHUAN, date(2026, 7, 1), "r")
    with pytest.raises(InvalidCommand, match="ordered_on"):
        decide_key_supervision(CountyOversight(), late, CITY, TODAY)


def test_a_key_supervision_is_lifted_once_between_its_order_and_today() -> None:
    supervision_id = uuid4()
    cmd = OrderCountyKeySupervision(supervision_id, LINCHUAN, date(2026, 6, 10), "全覆盖进度慢")
    ordered = decide_key_supervision(CountyOversight(), cmd, CITY, TODAY)
    state = COUNTY_OVERSIGHT.replay(ordered)
    early = LiftCountyKeySupervision(supervision_id, date(2026, 6, 9), "已赶上")
    with pytest.raises(InvalidCommand, match="早于督办日期"):
        decide_lift(state, early, CITY, TODAY)
    with pytest.raises(InvalidCommand, match="晚于今天"):
        decide_lift(
            state, LiftCountyKeySupervision(supervision_id, date(2026, 7, 1), "r"), CITY, TODAY
        )
    with pytest.raises(NotAllowed):
        decide_lift(state, LiftCountyKeySupervision(supervision_id, TODAY, "r"), LINCHUAN, TODAY)
    lift = LiftCountyKeySupervision(supervision_id, date(2026, 6, 28), "全覆盖进度已赶上")
    [event] = decide_lift(state, lift, CITY, TODAY)
    assert isinstance(event, CountyKeySupervisionLifted)
    assert (event.county, event.lifted_on, event.jurisdiction) == (LINCHUAN, lift.lifted_on, CITY)
    state = COUNTY_OVERSIGHT.replay([*ordered, event])
    assert (state.lifted_on, state.lift_reason, state.text) == (
        date(2026, 6, 28),
        "全覆盖进度已赶上",
        "全覆盖进度慢",
    )
    assert (state.kind, state.county, state.version) == (OversightKind.KEY_SUPERVISION, LINCHUAN, 2)
    with pytest.raises(RuleViolation, match="已于 2026-06-28 解除"):
        decide_lift(state, lift, CITY, TODAY)
    # nothing to lift: no record, or a check
    with pytest.raises(NotFoundError):
        decide_lift(CountyOversight(), lift, CITY, TODAY)
    checked = COUNTY_OVERSIGHT.replay(decide_check(CountyOversight(), check(), CITY, TODAY))
    with pytest.raises(NotFoundError):
        decide_lift(checked, lift, CITY, TODAY)


def point(
    kind: PilotPointKind = PilotPointKind.RECTIFICATION,
    level: PilotPlaceLevel | None = PilotPlaceLevel.VILLAGE_OR_COMMUNITY,
    place: str | None = "上唐镇 王家村",
) -> DesignatePilotPoint:
    return DesignatePilotPoint(
        NANCHENG, kind, "市委组织部部长 张某", date(2026, 4, 2), level, place
    )


def test_pilot_points_a_county_or_a_township_or_village_of_it_once() -> None:
    cmd = point()
    point_id = pilot_point_id_for(cmd.county, cmd.kind.value, cmd.place, "village_or_community")
    [event] = decide_pilot_point(CountyOversight(), cmd, point_id, CITY, TODAY)
    assert isinstance(event, PilotPointDesignated)
    assert (event.point_id, event.county, event.place, event.liaison) == (
        point_id,
        NANCHENG,
        "上唐镇 王家村",
        "市委组织部部长 张某",
    )
    state = COUNTY_OVERSIGHT.replay([event])
    assert (state.kind, state.day) == (OversightKind.PILOT_POINT, date(2026, 4, 2))
    assert state.point == PilotPoint(
        PilotPointKind.RECTIFICATION,
        PilotPlaceLevel.VILLAGE_OR_COMMUNITY,
        "上唐镇 王家村",
        "市委组织部部长 张某",
    )
    with pytest.raises(AlreadyExists, match="已于 2026-04-02 确定"):
        decide_pilot_point(state, cmd, point_id, CITY, TODAY)
    # the same place written with other blanks is the same point; another kind another one
    village = "village_or_community"
    assert pilot_point_id_for(NANCHENG, "rectification", " 上唐镇  王家村", village) == point_id
    assert pilot_point_id_for(NANCHENG, "rectification", "上唐镇 王家村（一）", village) == (
        pilot_point_id_for(NANCHENG, "rectification", "上唐镇 王家村(一)", village)
    )  # full-width brackets are half-width ones
    assert pilot_point_id_for(NANCHENG, "rectification", "上唐镇", "township") != (
        pilot_point_id_for(NANCHENG, "rectification", "上唐镇", village)
    )  # a township and a village of one name are two points
    assert pilot_point_id_for(NANCHENG, "normalisation") != pilot_point_id_for(
        LINCHUAN, "normalisation"
    )
    county = point(PilotPointKind.NORMALISATION, None, None)
    [event] = decide_pilot_point(CountyOversight(), county, uuid4(), CITY, TODAY)
    assert isinstance(event, PilotPointDesignated) and event.place is None
    for wrong in (
        point(level=None),  # a rectification point names its level
        point(place=None),  # and its place
        point(PilotPointKind.NORMALISATION),  # a county's names none
    ):
        with pytest.raises(InvalidCommand):
            decide_pilot_point(CountyOversight(), wrong, uuid4(), CITY, TODAY)
    with pytest.raises(NotAllowed):
        decide_pilot_point(CountyOversight(), cmd, point_id, LINCHUAN, TODAY)
