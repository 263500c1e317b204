"""intake, R29 (pure model): the city office checks its counties' inspection work (督导检查) and
puts a county under key supervision (重点督办); nobody else does, for no other county, on no day
to come."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from xuncha_intake.domain.oversight import (
    COUNTY_OVERSIGHT,
    CheckCountyWork,
    CountyOversight,
    OrderCountyKeySupervision,
    OversightKind,
    decide_check,
    decide_key_supervision,
)
from xuncha_intake.domain.planning import AlreadyExists
from xuncha_shared.contracts.intake import (
    CheckFinding,
    CountyKeySupervisionOrdered,
    CountyWorkChecked,
)
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed

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
