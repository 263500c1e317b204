"""Issue 13's additions, pure: a unit in one group of a round (R24), a petition's group and
unit, counterpart reports under a county's linkage plan, the linked view's linkage figures."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from xuncha_intake.domain import groups
from xuncha_intake.domain.linkage import (
    LINKAGE_PLAN,
    LinkagePlan,
    ProvideCounterpartReport,
    decide_counterpart_report,
    evolve_linkage_plan,
)
from xuncha_intake.domain.petition_place import place_petition
from xuncha_reporting.domain.linkage import city_linkage, linkage_figures
from xuncha_shared.contracts.intake import (
    CounterpartReportProvided,
    GroupFormed,
    LinkagePlanIssued,
    RoundKind,
)
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation

from tests.unit.services.test_intake_groups_domain import LINCHUAN, a_round, member, unit

pytestmark = pytest.mark.unit


def test_a_unit_already_in_a_group_of_the_round_is_refused_r23() -> None:
    target, other, home = unit(name="甲局"), unit(name="乙局"), unit(name="办")
    rnd = a_round(RoundKind.REGULAR, [target.unit_id, other.unit_id])
    people = [member(LINCHUAN, home.unit_id) for _ in range(2)]
    units = {u.unit_id: u for u in (target, other, home)}
    assert rnd.round_id is not None
    ids = [p.member_id for p in people if p.member_id]
    cmd = groups.FormGroup(rnd.round_id, 2, ids[0], ids, [target.unit_id])
    members = {p.member_id: p for p in people if p.member_id}
    with pytest.raises(RuleViolation, match="R24"):
        groups.decide_form_group(groups.Group(), cmd, rnd, members, units, [], {target.unit_id: 1})
    cmd = groups.FormGroup(rnd.round_id, 2, ids[0], ids, [other.unit_id])
    [event] = groups.decide_form_group(
        groups.Group(), cmd, rnd, members, units, [], {target.unit_id: 1}
    )
    assert isinstance(event, GroupFormed)


def _group(unit_ids: list) -> groups.Group:
    round_id = uuid4()
    return groups.GROUP.replay(
        [
            GroupFormed(
                group_id=groups.group_id_for(round_id, 1),
                round_id=round_id,
                jurisdiction=LINCHUAN,
                group_no=1,
                leader_id=uuid4(),
                member_ids=[uuid4()],
                unit_ids=unit_ids,
                starts_on=date(2026, 9, 1),
                ends_on=date(2026, 12, 31),
            )
        ]
    )


def test_a_petition_takes_its_groups_round_and_its_units_name() -> None:
    mine, stranger = unit(name="临川区甲局"), unit(name="临川区乙局")
    g = _group([mine.unit_id])
    place = place_petition(LINCHUAN, None, None, g.group_id, g, mine.unit_id, mine)
    assert place.round_id == str(g.round_id)
    assert place.unit == "临川区甲局"
    for args, error in (
        ((LINCHUAN, None, None, g.group_id, g, stranger.unit_id, stranger), InvalidCommand),
        ((LINCHUAN, None, "4-7", g.group_id, g, mine.unit_id, mine), InvalidCommand),
        (("361021", "某局", None, g.group_id, g, None, None), InvalidCommand),
        ((LINCHUAN, "某局", None, uuid4(), None, None, None), NotFoundError),
        ((LINCHUAN, None, None, None, None, uuid4(), None), InvalidCommand),
        ((LINCHUAN, None, None, None, None, None, None), InvalidCommand),
    ):
        with pytest.raises(error):
            place_petition(*args)
    bare = place_petition(LINCHUAN, "某局", "4-7", None, None, None, None)
    assert (bare.round_id, bare.group_id, bare.unit_id) == ("4-7", None, None)


def _plan(jurisdiction: str, parent: bool) -> LinkagePlan:
    return LINKAGE_PLAN.replay(
        [
            LinkagePlanIssued(
                linkage_plan_id=uuid4(),
                jurisdiction=jurisdiction,
                title="联动方案",
                issued_on=date(2025, 10, 16),
                trigger="省委巡视",
                parent_plan_id=uuid4() if parent else None,
            )
        ]
    )


def test_counterpart_reports_under_a_county_plan_once_per_pair() -> None:
    own, city_unit = unit(LINCHUAN, "临川区甲局"), unit("361000", "市甲局")
    facts = {own.unit_id: own, city_unit.unit_id: city_unit}
    plan = _plan(LINCHUAN, parent=True)
    assert plan.linkage_plan_id is not None
    cmd = ProvideCounterpartReport(own.unit_id, city_unit.unit_id, date(2025, 11, 3))
    [event] = decide_counterpart_report(plan, plan.linkage_plan_id, cmd, facts)
    assert isinstance(event, CounterpartReportProvided)
    plan = evolve_linkage_plan(plan, event)
    with pytest.raises(RuleViolation):
        decide_counterpart_report(plan, plan.linkage_plan_id, cmd, facts)
    swapped = ProvideCounterpartReport(city_unit.unit_id, own.unit_id, date(2025, 11, 3))
    early = ProvideCounterpartReport(own.unit_id, city_unit.unit_id, date(2025, 10, 1))
    for bad in (swapped, early):
        with pytest.raises(InvalidCommand):
            decide_counterpart_report(plan, plan.linkage_plan_id, bad, facts)
    city_plan = _plan("361000", parent=False)
    with pytest.raises(InvalidCommand):
        decide_counterpart_report(city_plan, uuid4(), cmd, facts)
    with pytest.raises(NotFoundError):
        decide_counterpart_report(LinkagePlan(), uuid4(), cmd, facts)


def test_linkage_figures_count_distinct_units_per_jurisdiction() -> None:
    docs = {
        "round": {
            "r1": {"jurisdiction": LINCHUAN},
            "r2": {"jurisdiction": LINCHUAN},
            "c7": {"jurisdiction": "361000"},
        },
        "round_unit": {
            "r1/a": {"round_id": "r1", "unit_id": "a", "mode": "linked"},
            "r2/a": {"round_id": "r2", "unit_id": "a", "mode": "linked"},  # counted once
            "r1/b": {"round_id": "r1", "unit_id": "b", "mode": "revisit"},
            "r1/c": {"round_id": "r1", "unit_id": "c", "mode": "regular"},
            "c7/x": {"round_id": "c7", "unit_id": "x", "mode": "linked"},
            "gone/y": {"round_id": "gone", "unit_id": "y", "mode": "linked"},
        },
        "counterpart_report": {"p/a/x": {"jurisdiction": LINCHUAN}},
    }
    figures = linkage_figures(docs)
    assert figures[LINCHUAN] == {"linked_units": 1, "revisited_units": 1, "counterpart_reports": 1}
    total, own = city_linkage("361000", [LINCHUAN, "361021"], figures)
    assert own == {"linked_units": 1, "revisited_units": 0, "counterpart_reports": 0}
    assert total == {"linked_units": 2, "revisited_units": 1, "counterpart_reports": 1}
