"""The demo's city feedbacks name a round that the demo plans: round 5, with exactly the units
they are fed back to, within the term (rectification then names the round: 本单位整改 and the
rounds page show 第4届第5轮, not its id)."""

from __future__ import annotations

from xuncha_shared.cli.demo.plan import build_plan
from xuncha_shared.cli.demo.rounds_data import (
    FEEDBACK_ROUND,
    FEEDBACK_ROUND_NO,
    FEEDBACK_ROUND_UNITS,
    ROUNDS,
    TERM,
    demo_round_id,
)
from xuncha_shared.domain import jurisdictions


def test_the_city_feedbacks_name_the_round_the_demo_plans_with_their_units() -> None:
    city = [f for f in build_plan().feedbacks if f.jurisdiction == jurisdictions.CITY.code]
    assert sorted(f.unit for f in city) == sorted(FEEDBACK_ROUND_UNITS)
    assert {f.round_id for f in city} == {demo_round_id(FEEDBACK_ROUND_NO)}
    assert FEEDBACK_ROUND_NO not in ROUNDS  # planned on its own: no groups, no stationings
    starts, ends = FEEDBACK_ROUND
    assert TERM[0] <= starts < ends <= TERM[1]
    assert ends < min(start for start, _, _ in ROUNDS.values())  # before rounds 6 and 7
