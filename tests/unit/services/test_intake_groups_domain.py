"""The pure decisions of steps 2 and 3: recusal grounds, group formation, stationing."""

from __future__ import annotations

from datetime import date
from uuid import UUID, uuid4

import pytest
from xuncha_intake.domain import groups, planning
from xuncha_intake.domain.pool import (
    POOL_MEMBER,
    AdmitReserveCadre,
    PoolMember,
    RemoveReserveCadre,
    decide_admit_reserve,
    decide_remove_reserve,
)
from xuncha_intake.domain.rounds import ROUND, Round, evolve_round
from xuncha_shared.contracts.intake import (
    Grade,
    GroupFormed,
    InspectionMode,
    InspectorEvaluationCorrected,
    RoundAuthorised,
    RoundKind,
    RoundPlanned,
    RoundUnit,
    RoundUnitsAssigned,
    Speciality,
    TalentPoolMemberEnrolled,
    TalentSource,
)
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation

CITY, LINCHUAN, NANCHENG = "361000", "361002", "361021"


def unit(jurisdiction: str = LINCHUAN, name: str = "某局") -> planning.UnitFact:
    return planning.UnitFact(uuid4(), jurisdiction, name)


def member(jurisdiction: str, home: UUID, name: str = "某人") -> PoolMember:
    return POOL_MEMBER.replay(
        [
            TalentPoolMemberEnrolled(
                member_id=uuid4(),
                jurisdiction=jurisdiction,
                name=name,
                home_unit_id=home,
                source=TalentSource.ORGANISATION,
                specialities=[Speciality.PERSONNEL],
                rank="副科级",
                birth_year=1980,
            )
        ]
    )


def a_round(kind: RoundKind, unit_ids: list[UUID]) -> Round:
    rid = uuid4()
    return ROUND.replay(
        [
            RoundPlanned(
                round_id=rid,
                jurisdiction=LINCHUAN,
                term_no=1,
                round_no=1,
                kind=kind,
                starts_on=date(2026, 9, 1),
                ends_on=date(2026, 12, 31),
            ),
            RoundUnitsAssigned(
                round_id=rid,
                units=[RoundUnit(unit_id=u, mode=InspectionMode.REGULAR) for u in unit_ids],
            ),
        ]
    )


def form(
    rnd: Round, people: list[PoolMember], units: dict[UUID, planning.UnitFact],
    busy: list[groups.Busy] | None = None, unit_ids: list[UUID] | None = None,
) -> list[object]:  # fmt: skip
    assert rnd.round_id is not None
    ids = [p.member_id for p in people if p.member_id]
    cmd = groups.FormGroup(rnd.round_id, 1, ids[0], ids, unit_ids or list(rnd.units))
    return list(
        groups.decide_form_group(
            groups.Group(), cmd, rnd, {p.member_id: p for p in people if p.member_id}, units,
            busy or [],
        )
    )  # fmt: skip


def test_clean_group_is_formed_with_the_rounds_dates() -> None:
    target, home = unit(), unit(name="巡察办")
    rnd = a_round(RoundKind.REGULAR, [target.unit_id])
    people = [member(LINCHUAN, home.unit_id) for _ in range(4)]
    [event] = form(rnd, people, {target.unit_id: target, home.unit_id: home})
    assert isinstance(event, GroupFormed)
    assert event.starts_on == date(2026, 9, 1)
    assert len(event.member_ids) == 4


@pytest.mark.parametrize("ground", list(groups.RecusalGround))
def test_each_recusal_ground_names_the_member(ground: groups.RecusalGround) -> None:
    target, office = unit(), unit(name="巡察办")
    nc_home = unit(NANCHENG, "南城县某局")
    kind = (
        RoundKind.CROSS_REGIONAL
        if ground is groups.RecusalGround.HOME_COUNTY
        else RoundKind.REGULAR
    )
    rnd = a_round(kind, [target.unit_id])
    ok = member(NANCHENG, nc_home.unit_id)
    home_of_bad = target.unit_id if ground is groups.RecusalGround.HOME_UNIT else office.unit_id
    bad = member(LINCHUAN, home_of_bad, "有事由的人")
    busy: list[groups.Busy] = []
    if ground is groups.RecusalGround.DECLARED:
        bad.recusals[target.unit_id] = "亲属"
    elif ground is groups.RecusalGround.RETIRED:
        bad.retired = True
    elif ground is groups.RecusalGround.OVERLAPPING_GROUP:
        assert bad.member_id is not None
        busy = [groups.Busy(bad.member_id, uuid4(), 2, date(2026, 10, 1), date(2026, 11, 1))]
    units = {u.unit_id: u for u in (target, office, nc_home)}
    with pytest.raises(groups.Recusal) as refused:
        form(rnd, [ok, bad], units, busy)
    assert refused.value.member_id == bad.member_id
    assert refused.value.ground is ground
    assert "有事由的人" in refused.value.detail


def test_group_input_refusals() -> None:
    target, home = unit(), unit(name="巡察办")
    rnd = a_round(RoundKind.REGULAR, [target.unit_id])
    units = {target.unit_id: target, home.unit_id: home}
    assert rnd.round_id is not None
    p = member(LINCHUAN, home.unit_id)
    assert p.member_id is not None
    with pytest.raises(InvalidCommand):
        groups.decide_form_group(
            groups.Group(), groups.FormGroup(rnd.round_id, 1, p.member_id, [], [target.unit_id]),
            rnd, {}, units, [],
        )  # fmt: skip
    with pytest.raises(InvalidCommand):
        form(rnd, [p], units, unit_ids=[home.unit_id])  # not in the round


def test_stationing_waits_for_dual_authorisation_and_ends_once() -> None:
    target, home = unit(), unit(name="巡察办")
    rnd = a_round(RoundKind.CROSS_REGIONAL, [target.unit_id])
    people = [member(NANCHENG, home.unit_id)]
    g = groups.GROUP.replay(form(rnd, people, {target.unit_id: target, home.unit_id: home}))  # type: ignore[arg-type]
    assert g.group_id is not None
    sid = uuid4()
    cmd = groups.StationGroup(target.unit_id, date(2026, 9, 30), date(2026, 10, 27), sid)
    with pytest.raises(RuleViolation, match=CITY):
        groups.decide_station(g, g.group_id, cmd, rnd)
    for code in (CITY, LINCHUAN):
        evolve_round(rnd, RoundAuthorised(round_id=rnd.round_id, authorising_jurisdiction=code))
    for event in groups.decide_station(g, g.group_id, cmd, rnd):
        groups.evolve_group(g, event)
    with pytest.raises(RuleViolation):
        groups.decide_station(g, g.group_id, cmd, rnd)
    end = groups.EndStationing(sid, date(2026, 10, 27))
    # not on a day to come (but the first day, for one that has not begun)
    with pytest.raises(InvalidCommand, match="晚于今天"):
        groups.decide_end_stationing(g, g.group_id, end, date(2026, 10, 20))
    first_day = groups.EndStationing(sid, date(2026, 9, 30))
    assert groups.decide_end_stationing(g, g.group_id, first_day, date(2026, 9, 1))
    for event in groups.decide_end_stationing(g, g.group_id, end, date(2026, 10, 27)):
        groups.evolve_group(g, event)
    assert g.stationings[sid].ended_on == date(2026, 10, 27)
    with pytest.raises(RuleViolation):
        groups.decide_end_stationing(g, g.group_id, end, date(2026, 10, 28))
    assert people[0].member_id is not None
    # rated after the round (每轮巡察结束后): from its last day on, not before
    rate = groups.EvaluateInspector(people[0].member_id, Grade.EXCELLENT)
    ends = date(2026, 12, 31)
    with pytest.raises(RuleViolation, match="本轮巡察尚未结束（2026-12-31 结束）"):
        groups.decide_evaluate(g, g.group_id, rate, date(2026, 12, 30), ends)
    [evaluated] = groups.decide_evaluate(g, g.group_id, rate, ends, ends)
    assert evaluated.grade is Grade.EXCELLENT  # type: ignore[attr-defined]


def test_the_reserve_pool_takes_members_graded_excellent_once_at_a_time() -> None:
    """后备干部库 (004:L8): 优秀 only, not twice, on a day between the round's end and today;
    taken out on a day between the admission and today, and then in again only by a new 优秀."""
    today, group_id = date(2026, 12, 5), uuid4()
    person = member(LINCHUAN, uuid4(), "欧阳某")
    assert person.member_id is not None
    mid = person.member_id
    admit = AdmitReserveCadre(group_id, date(2026, 12, 1), "推荐")
    with pytest.raises(RuleViolation, match="称职"):
        decide_admit_reserve(person, mid, admit, Grade.COMPETENT, today)
    with pytest.raises(InvalidCommand, match="未对 欧阳某 作出评价"):
        decide_admit_reserve(person, mid, admit, None, today)
    late = AdmitReserveCadre(group_id, date(2026, 12, 6))
    with pytest.raises(InvalidCommand, match="晚于今天"):
        decide_admit_reserve(person, mid, late, Grade.EXCELLENT, today)
    with pytest.raises(RuleViolation, match="不在后备干部库"):
        decide_remove_reserve(person, mid, RemoveReserveCadre(today, "提拔"), today)
    for event in decide_admit_reserve(person, mid, admit, Grade.EXCELLENT, today):
        POOL_MEMBER.evolve(person, event, None)
    assert (person.reserve_since, person.reserve_group) == (date(2026, 12, 1), group_id)
    with pytest.raises(RuleViolation, match="已于 2026-12-01 纳入后备干部库"):
        decide_admit_reserve(person, mid, admit, Grade.EXCELLENT, today)
    with pytest.raises(InvalidCommand, match="早于纳入日期"):
        decide_remove_reserve(person, mid, RemoveReserveCadre(date(2026, 11, 30), "x"), today)
    for event in decide_remove_reserve(person, mid, RemoveReserveCadre(today, "已提拔"), today):
        POOL_MEMBER.evolve(person, event, None)
    assert person.reserve_since is None
    assert (person.reserve_removed_on, person.reserve_removal_reason) == (today, "已提拔")
    with pytest.raises(RuleViolation, match="新的优秀评价"):
        decide_admit_reserve(person, mid, admit, Grade.EXCELLENT, today)
    later = AdmitReserveCadre(uuid4(), today)
    with pytest.raises(InvalidCommand, match="早于该轮巡察结束"):
        decide_admit_reserve(person, mid, later, Grade.EXCELLENT, today, date(2026, 12, 31))
    assert decide_admit_reserve(person, mid, later, Grade.EXCELLENT, today, date(2026, 11, 30))


def test_an_evaluation_is_corrected_with_a_reason_unless_the_reserve_pool_rests_on_it() -> None:
    """更正评价: only a grade given, to another grade; not while this group's 优秀 keeps the
    member in the reserve pool; the group then reads the new grade and the reason."""
    target, home = unit(), unit(name="巡察办")
    rnd = a_round(RoundKind.REGULAR, [target.unit_id])
    people = [member(LINCHUAN, home.unit_id) for _ in range(3)]
    [formed] = form(rnd, people, {target.unit_id: target, home.unit_id: home})
    assert isinstance(formed, GroupFormed)
    group = groups.Group()
    groups.evolve_group(group, formed)
    gid, mid = formed.group_id, formed.member_ids[1]
    fix = groups.CorrectEvaluation(mid, Grade.COMPETENT, "误选，经复核应为称职")
    with pytest.raises(RuleViolation, match="尚未评价"):
        groups.decide_correct_evaluation(group, gid, fix, reserve_by_this_group=False)
    rate = groups.EvaluateInspector(mid, Grade.EXCELLENT, "表现突出")
    for event in groups.decide_evaluate(group, gid, rate, date(2026, 12, 6), None):
        groups.evolve_group(group, event)
    assert group.evaluation_notes[mid] == "表现突出"
    same = groups.CorrectEvaluation(mid, Grade.EXCELLENT, "复核")
    with pytest.raises(InvalidCommand, match="相同"):
        groups.decide_correct_evaluation(group, gid, same, reserve_by_this_group=False)
    with pytest.raises(RuleViolation, match="请先移出后备干部库"):
        groups.decide_correct_evaluation(group, gid, fix, reserve_by_this_group=True)
    [corrected] = groups.decide_correct_evaluation(group, gid, fix, reserve_by_this_group=False)
    assert isinstance(corrected, InspectorEvaluationCorrected)
    assert (corrected.previous_grade, corrected.grade) == (Grade.EXCELLENT, Grade.COMPETENT)
    groups.evolve_group(group, corrected)
    assert group.evaluations[mid] is Grade.COMPETENT
    assert (group.evaluation_notes[mid], group.corrections[mid]) == ("误选，经复核应为称职", 1)
    # a grade that did not put the member in the reserve pool is corrected whatever the pool
    up = groups.CorrectEvaluation(mid, Grade.EXCELLENT, "补充材料后复核")
    assert groups.decide_correct_evaluation(group, gid, up, reserve_by_this_group=True)
