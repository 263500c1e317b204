"""巡察规划调整 (R6): the pure decision amending an adopted term plan, with plain states."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from xuncha_intake.domain import planning
from xuncha_shared.contracts.intake import (
    MAX_AMENDMENTS,
    TermPlanAdopted,
    TermPlanAmended,
    UnitKind,
)
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation

LINCHUAN, NANCHENG = "361002", "361021"
TODAY = date(2026, 12, 6)


def fact(
    name: str, jurisdiction: str = LINCHUAN, kind: UnitKind | None = None
) -> planning.UnitFact:
    return planning.UnitFact(uuid4(), jurisdiction, name, kind)


FINANCE, WATER, DATA = fact("临川区财政局"), fact("临川区水利局"), fact("临川区数据局")
OFFICE = fact("临川区委巡察办", kind=UnitKind.INSPECTION_OFFICE)
OTHER = fact("南城县数据局", NANCHENG)
KNOWN = {u.unit_id: u for u in (FINANCE, WATER, DATA, OFFICE, OTHER)}


def adopted(*units: planning.UnitFact, ends_on: date = date(2026, 12, 31)) -> planning.TermPlan:
    return planning.TERM_PLAN.replay(
        [
            TermPlanAdopted(
                term_plan_id=planning.term_plan_id_for(LINCHUAN, 4),
                jurisdiction=LINCHUAN,
                term_no=4,
                starts_on=date(2022, 1, 1),
                ends_on=ends_on,
                unit_ids=[u.unit_id for u in units],
            )
        ]
    )


def amend(
    add: list[UUID] | None = None, remove: list[UUID] | None = None, reason: str = "机构改革"
) -> planning.AmendTermPlan:
    return planning.AmendTermPlan(LINCHUAN, 4, add or [], remove or [], reason)


def test_an_amendment_brings_units_in_and_takes_units_out_and_is_counted() -> None:
    state = adopted(FINANCE, WATER)
    [event] = planning.decide_amend_term_plan(
        state, amend([DATA.unit_id], [WATER.unit_id]), KNOWN, set(), TODAY
    )
    assert isinstance(event, TermPlanAmended)
    assert event.unit_ids == [FINANCE.unit_id, DATA.unit_id]
    assert (event.added_unit_ids, event.removed_unit_ids) == ([DATA.unit_id], [WATER.unit_id])
    assert (event.amendment_no, event.amended_on, event.reason) == (1, TODAY, "机构改革")
    assert (event.starts_on, event.ends_on) == (state.starts_on, state.ends_on)
    state = planning.evolve_term_plan(state, event)
    assert state.unit_ids == [FINANCE.unit_id, DATA.unit_id]
    [second] = planning.decide_amend_term_plan(state, amend([WATER.unit_id]), KNOWN, set(), TODAY)
    assert isinstance(second, TermPlanAmended) and second.amendment_no == 2
    state = planning.evolve_term_plan(state, second)
    assert [a.amendment_no for a in state.amendments] == [1, 2]
    assert state.amendments[0].removed_unit_ids == [WATER.unit_id]


@pytest.mark.parametrize(
    ("add", "remove", "reason", "words"),
    [
        ([], [], "机构改革", "请选择纳入或移出"),  # nothing changes
        ([DATA.unit_id], [], "  ", "调整原因"),
        ([FINANCE.unit_id], [], "机构改革", "已在本届巡察规划内"),
        ([OTHER.unit_id], [], "机构改革", "未知的被巡察单位"),  # another county's: unknown
        ([uuid4()], [], "机构改革", "未知的被巡察单位"),
        ([OFFICE.unit_id], [], "机构改革", "R28"),
        ([DATA.unit_id, DATA.unit_id], [], "机构改革", "重复"),
        ([], [DATA.unit_id], "机构改革", "不在本届巡察规划内"),
        ([], [WATER.unit_id, WATER.unit_id], "机构改革", "重复"),
        ([], [FINANCE.unit_id, WATER.unit_id], "机构改革", "至少包含一个"),
    ],
)
def test_refusals_name_what_is_wrong(
    add: list[UUID], remove: list[UUID], reason: str, words: str
) -> None:
    with pytest.raises(InvalidCommand, match=words):
        planning.decide_amend_term_plan(
            adopted(FINANCE, WATER), amend(add, remove, reason), KNOWN, set(), TODAY
        )


def test_a_unit_of_a_round_of_the_term_stays_in_the_plan() -> None:
    with pytest.raises(RuleViolation, match="临川区水利局已列入本届巡察轮次"):
        planning.decide_amend_term_plan(
            adopted(FINANCE, WATER), amend(remove=[WATER.unit_id]), KNOWN, {WATER.unit_id}, TODAY
        )


def test_an_ended_term_is_not_amended_its_last_day_still_is() -> None:
    last_day = adopted(FINANCE, ends_on=TODAY)
    assert planning.decide_amend_term_plan(last_day, amend([DATA.unit_id]), KNOWN, set(), TODAY)
    with pytest.raises(RuleViolation, match="届满"):
        planning.decide_amend_term_plan(
            adopted(FINANCE, ends_on=date(2026, 12, 5)), amend([DATA.unit_id]), KNOWN, set(), TODAY
        )


def test_a_plan_never_adopted_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="尚未制定"):
        planning.decide_amend_term_plan(
            planning.TermPlan(), amend([DATA.unit_id]), KNOWN, set(), TODAY
        )


def test_a_plan_amended_as_often_as_the_contract_holds_is_amended_no_more() -> None:
    state = adopted(FINANCE)
    state.amendments = [planning.Amendment(1, TODAY, [], [], "x")] * MAX_AMENDMENTS
    with pytest.raises(RuleViolation, match="不能再调整"):
        planning.decide_amend_term_plan(state, amend([DATA.unit_id]), KNOWN, set(), TODAY)
