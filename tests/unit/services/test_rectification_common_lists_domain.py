"""催报 (``domain.common_lists.decide_urge``): the office chases the units of a common-problem
list that have not sent their self-check in, each urge counted per unit with its day, words and
the day asked for, each unit at most once a day; a unit the list did not go to, one that has
answered, and a reply day in the past are refused."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from xuncha_rectification.domain import common_lists as cl
from xuncha_shared.contracts.rectification import CommonProblem, CommonProblemSelfCheckUrged
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation

TODAY = date(2026, 12, 5)
A, B, C = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()


def issued(*units: uuid.UUID) -> cl.CommonList:
    item = CommonProblem(aspect="八项规定", description="超标准接待")
    state = cl.CommonList()
    cmd = cl.IssueCommonList(uuid.uuid4(), "361002", 2, (item,), units)
    for event in cl.decide_issue_list(state, cmd):
        cl.evolve_list(state, event)
    return state


def urge(
    state: cl.CommonList, *units: uuid.UUID, reply_by: date | None = None, on: date = TODAY
) -> None:
    cmd = cl.UrgeSelfCheck(units, "请抓紧报送自查情况", reply_by)
    for event in cl.decide_urge(state, cmd, on):
        cl.evolve_list(state, event)


def test_an_urge_without_names_chases_every_unit_yet_to_answer() -> None:
    state = issued(A, B, C)
    for event in cl.decide_self_check(state, cl.SelfCheck(A, "无", "无")):
        cl.evolve_list(state, event)
    [event] = cl.decide_urge(state, cl.UrgeSelfCheck((), "请报送", date(2026, 12, 10)), TODAY)
    assert isinstance(event, CommonProblemSelfCheckUrged)
    assert event.unit_ids == [B, C] and event.urged_on == TODAY
    assert event.reply_by == date(2026, 12, 10) and event.jurisdiction == "361002"
    cl.evolve_list(state, event)
    urge(state, C, on=date(2026, 12, 6))  # the next day
    assert state.urges[B] == cl.Urge(1, TODAY, date(2026, 12, 10), "请报送")
    assert state.urges[C].count == 2 and state.urges[C].reply_by is None
    assert state.urges[C].last_on == date(2026, 12, 6)
    assert A not in state.urges


def test_a_unit_is_chased_at_most_once_a_day() -> None:
    state = issued(A, B, C)
    urge(state, A)
    with pytest.raises(RuleViolation, match="今天已催报"):
        urge(state, A, B)  # named: refused, nothing recorded
    assert state.urges[A].count == 1 and B not in state.urges
    urge(state)  # none named: those not chased today
    assert (state.urges[A].count, state.urges[B].count, state.urges[C].count) == (1, 1, 1)
    with pytest.raises(RuleViolation, match="今天均已催报"):
        urge(state)
    urge(state, A, on=date(2026, 12, 6))
    assert state.urges[A].count == 2


def test_refused_urges_name_why() -> None:
    state = issued(A, B)
    for event in cl.decide_self_check(state, cl.SelfCheck(A, "无", "无")):
        cl.evolve_list(state, event)
    with pytest.raises(RuleViolation, match="已报送自查"):
        urge(state, A, B)
    with pytest.raises(InvalidCommand, match="未下发"):
        urge(state, C)
    with pytest.raises(InvalidCommand, match="早于今天"):
        urge(state, B, reply_by=date(2026, 12, 4))
    urge(state, B, reply_by=TODAY)  # today itself may be asked
    for event in cl.decide_self_check(state, cl.SelfCheck(B, "无", "无")):
        cl.evolve_list(state, event)
    with pytest.raises(RuleViolation, match="均已报送自查"):
        urge(state)
    with pytest.raises(cl.UnknownCommonList):
        urge(cl.CommonList(), A)
