"""The pure decisions of step 1 (units, term plans, linkage plans, rounds), with plain states."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from xuncha_intake.domain import planning
from xuncha_intake.domain.linkage import (
    LINKAGE_PLAN,
    IssueLinkagePlan,
    LinkagePlan,
    decide_issue_linkage_plan,
)
from xuncha_intake.domain.rounds import (
    ROUND,
    AssignUnits,
    AuthoriseRound,
    PlanRound,
    Round,
    decide_assign_units,
    decide_authorise,
    decide_close,
    decide_plan_round,
    evolve_round,
    round_id_for,
)
from xuncha_shared.contracts.intake import (
    InspectionMode,
    LinkagePlanIssued,
    RoundAuthorised,
    RoundKind,
    RoundPlanned,
    RoundUnit,
    TermPlanAdopted,
    UnitKind,
)
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation

CITY, LINCHUAN, NANCHENG = "361000", "361002", "361021"


def fact(jurisdiction: str = LINCHUAN) -> planning.UnitFact:
    return planning.UnitFact(uuid4(), jurisdiction, "某乡镇")


def term_plan(jurisdiction: str = LINCHUAN, term_no: int = 4) -> planning.TermPlan:
    u = fact(jurisdiction)
    return planning.TERM_PLAN.replay(
        [
            TermPlanAdopted(
                term_plan_id=planning.term_plan_id_for(jurisdiction, term_no),
                jurisdiction=jurisdiction,
                term_no=term_no,
                starts_on=date(2022, 1, 1),
                ends_on=date(2026, 12, 31),
                unit_ids=[u.unit_id],
            )
        ]
    )


def plan_round(kind: RoundKind = RoundKind.REGULAR, jurisdiction: str = LINCHUAN) -> PlanRound:
    return PlanRound(
        jurisdiction=jurisdiction,
        term_no=4,
        round_no=7,
        kind=kind,
        starts_on=date(2024, 3, 1),
        ends_on=date(2024, 5, 31),
    )


def test_natural_keys_give_stable_ids() -> None:
    assert planning.unit_id_for(LINCHUAN, "上顿渡镇") == planning.unit_id_for(
        LINCHUAN, " 上顿渡镇 "
    )
    # a blank between Chinese characters means nothing: 上顿渡 镇 is 上顿渡镇
    assert planning.unit_id_for(LINCHUAN, "上顿渡 镇") == planning.unit_id_for(LINCHUAN, "上顿渡镇")
    assert planning.normalize_name("临川区　上顿渡镇 ") == "临川区上顿渡镇"
    assert planning.normalize_name("XX  Co Ltd") == "XX Co Ltd"
    assert planning.unit_id_for(LINCHUAN, "上顿渡镇") != planning.unit_id_for(NANCHENG, "上顿渡镇")
    # a unit registered before, its name with a blank (its id from the name as written), is
    # the one a new registration names (the handler finds it: ``alike``)
    with pytest.raises(RuleViolation, match="上顿渡 镇"):
        planning.decide_register_unit(
            planning.Unit(),
            planning.RegisterUnit(LINCHUAN, "上顿渡镇", UnitKind.TOWNSHIP),
            "上顿渡 镇",
        )
    assert round_id_for(LINCHUAN, 4, 7) != round_id_for(LINCHUAN, 4, 6)
    assert round_id_for(LINCHUAN, 4, 7) != round_id_for(LINCHUAN, 5, 7)


def test_unit_registered_once() -> None:
    cmd = planning.RegisterUnit(LINCHUAN, "上顿渡镇", UnitKind.TOWNSHIP)
    state = planning.UNIT.replay(planning.decide_register_unit(planning.Unit(), cmd))
    assert state.name == "上顿渡镇"
    with pytest.raises(RuleViolation, match="上顿渡镇"):
        planning.decide_register_unit(state, cmd)
    with pytest.raises(InvalidCommand):
        planning.decide_register_unit(
            planning.Unit(), planning.RegisterUnit("999900", "x", UnitKind.OTHER)
        )


def test_term_plan_refuses_units_of_other_jurisdictions_and_reversed_dates() -> None:
    mine, theirs = fact(), fact(NANCHENG)
    known = {mine.unit_id: mine, theirs.unit_id: theirs}
    good = planning.AdoptTermPlan(LINCHUAN, 4, date(2022, 1, 1), date(2026, 12, 31), [mine.unit_id])
    [event] = planning.decide_adopt_term_plan(planning.TermPlan(), good, known)
    assert isinstance(event, TermPlanAdopted)
    for cmd in (
        planning.AdoptTermPlan(LINCHUAN, 4, date(2022, 1, 1), date(2026, 12, 31), [theirs.unit_id]),
        planning.AdoptTermPlan(LINCHUAN, 4, date(2022, 1, 1), date(2026, 12, 31), []),
        planning.AdoptTermPlan(LINCHUAN, 4, date(2027, 1, 1), date(2026, 12, 31), [mine.unit_id]),
    ):
        with pytest.raises(InvalidCommand):
            planning.decide_adopt_term_plan(planning.TermPlan(), cmd, known)
    with pytest.raises(RuleViolation):
        planning.decide_adopt_term_plan(term_plan(), good, known)
    with pytest.raises(
        InvalidCommand, match=r"^本届巡察规划至少包含一个被巡察单位 / the term plan names no unit$"
    ):
        planning.decide_adopt_term_plan(
            planning.TermPlan(),
            planning.AdoptTermPlan(LINCHUAN, 4, date(2022, 1, 1), date(2026, 12, 31), []),
            known,
        )


def test_a_term_plan_starts_after_the_previous_term_and_ends_before_the_next() -> None:
    """Term 4 of 临川区 runs 2022-01-01 … 2026-12-31: a 5th from 2026-01-01 overlaps it, a 5th
    from 2027-01-01 follows it; a 3rd must end before 2022-01-01."""
    mine = fact()
    known = {mine.unit_id: mine}
    four = term_plan()

    def adopt(term_no: int, starts: date, ends: date) -> None:
        cmd = planning.AdoptTermPlan(LINCHUAN, term_no, starts, ends, [mine.unit_id])
        previous = four if term_no == 5 else None
        following = four if term_no == 3 else None
        planning.decide_adopt_term_plan(planning.TermPlan(), cmd, known, previous, following)

    with pytest.raises(InvalidCommand, match=r"第5届须在第4届届满（2026-12-31）之后开始"):
        adopt(5, date(2026, 1, 1), date(2030, 12, 31))
    with pytest.raises(InvalidCommand, match=r"第3届须在第4届开始（2022-01-01）之前结束"):
        adopt(3, date(2017, 1, 1), date(2022, 1, 1))
    adopt(5, date(2027, 1, 1), date(2031, 12, 31))
    adopt(3, date(2017, 1, 1), date(2021, 12, 31))
    # an absent neighbour bounds nothing
    cmd = planning.AdoptTermPlan(LINCHUAN, 5, date(2026, 1, 1), date(2030, 12, 31), [mine.unit_id])
    empty = planning.TermPlan()
    assert planning.decide_adopt_term_plan(planning.TermPlan(), cmd, known, empty, empty)


def test_round_needs_its_term_plan_and_dates_inside_it() -> None:
    [event] = decide_plan_round(Round(), plan_round(), term_plan(), None)
    assert isinstance(event, RoundPlanned)
    with pytest.raises(InvalidCommand):
        decide_plan_round(Round(), plan_round(), planning.TermPlan(), None)
    late = PlanRound(LINCHUAN, 4, 7, RoundKind.REGULAR, date(2026, 12, 1), date(2027, 1, 31))
    with pytest.raises(InvalidCommand):
        decide_plan_round(Round(), late, term_plan(), None)
    existing = ROUND.replay([event])
    with pytest.raises(RuleViolation):
        decide_plan_round(existing, plan_round(), term_plan(), None)


def test_cross_regional_round_is_a_county_round_authorised_twice() -> None:
    with pytest.raises(InvalidCommand):
        decide_plan_round(
            Round(), plan_round(RoundKind.CROSS_REGIONAL, CITY), term_plan(CITY), None
        )
    state = ROUND.replay(
        decide_plan_round(Round(), plan_round(RoundKind.CROSS_REGIONAL), term_plan(), None)
    )
    assert state.required_authorisations == [CITY, LINCHUAN]
    assert not state.fully_authorised
    rid = state.round_id
    assert rid is not None
    with pytest.raises(InvalidCommand):
        decide_authorise(state, rid, AuthoriseRound(NANCHENG))
    for code in (LINCHUAN, CITY):
        [event] = decide_authorise(state, rid, AuthoriseRound(code))
        assert isinstance(event, RoundAuthorised)
        evolve_round(state, event)
    assert state.fully_authorised
    with pytest.raises(RuleViolation):
        decide_authorise(state, rid, AuthoriseRound(CITY))


def test_units_assigned_once_and_not_after_close() -> None:
    state = ROUND.replay(decide_plan_round(Round(), plan_round(), term_plan(), None))
    rid = state.round_id
    assert rid is not None
    u = fact()
    known = {u.unit_id: u}
    cmd = AssignUnits([RoundUnit(unit_id=u.unit_id, mode=InspectionMode.LINKED)])
    for event in decide_assign_units(state, rid, cmd, known):
        evolve_round(state, event)
    assert state.units == {u.unit_id: InspectionMode.LINKED}
    with pytest.raises(RuleViolation):
        decide_assign_units(state, rid, cmd, known)
    # not while a group is still stationed: the refusal names the units
    with pytest.raises(RuleViolation, match="本轮尚有2个单位的进驻未结束（市城管局、市水利局）"):
        decide_close(state, rid, ["市城管局", "市水利局"])
    for event in decide_close(state, rid, []):
        evolve_round(state, event)
    with pytest.raises(RuleViolation):
        decide_close(state, rid, [])
    with pytest.raises(NotFoundError):
        decide_close(Round(), uuid4(), [])


def test_an_inspection_office_is_neither_planned_nor_assigned_at_its_own_level() -> None:
    """R28: a 巡察办 itself (registered as the home body of pool members) is overseen by the
    level above; a term plan or a round of its own level naming it is a 422 naming it."""
    office = planning.UnitFact(uuid4(), LINCHUAN, "临川区委巡察办", "inspection_office")
    known = {office.unit_id: office}
    state = ROUND.replay(decide_plan_round(Round(), plan_round(), term_plan(), None))
    assert state.round_id is not None
    cmd = AssignUnits([RoundUnit(unit_id=office.unit_id, mode=InspectionMode.REGULAR)])
    with pytest.raises(InvalidCommand, match="临川区委巡察办是巡察机构，不列为本级巡察对象"):
        decide_assign_units(state, state.round_id, cmd, known)
    with pytest.raises(InvalidCommand, match="R28"):
        planning.check_units([office.unit_id], known, LINCHUAN, ("本届巡察规划", "the plan"))
    # a unit of another kind, as before
    other = planning.UnitFact(uuid4(), LINCHUAN, "临川区委组织部", "other")
    planning.check_units([other.unit_id], {other.unit_id: other}, LINCHUAN, ("规划", "plan"))


def test_county_linkage_plan_hangs_under_its_citys_plan() -> None:
    city_plan = LINKAGE_PLAN.replay(
        [
            LinkagePlanIssued(
                linkage_plan_id=uuid4(),
                jurisdiction=CITY,
                title="联动方案",
                issued_on=date(2024, 3, 1),
                trigger="省委第五轮巡视",
            )
        ]
    )
    cmd = IssueLinkagePlan(
        LINCHUAN, "临川区方案", date(2024, 3, 5), "市委方案", city_plan.linkage_plan_id, uuid4()
    )
    [event] = decide_issue_linkage_plan(LinkagePlan(), cmd, city_plan)
    assert isinstance(event, LinkagePlanIssued)
    county_plan = LINKAGE_PLAN.replay([event])
    with pytest.raises(InvalidCommand):
        decide_issue_linkage_plan(LinkagePlan(), cmd, county_plan)
    with pytest.raises(InvalidCommand):
        decide_issue_linkage_plan(LinkagePlan(), cmd, None)
