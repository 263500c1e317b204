"""The demo plan's way of clues to their results: verifications before transfers only, most
transfers to 纪委监委 get a result, a few stay without one (their R3 clock runs on)."""

from __future__ import annotations

from typing import Any

import pytest
from xuncha_shared.cli.demo import results
from xuncha_shared.cli.demo.plan import build_plan
from xuncha_shared.contracts.common import Department

pytestmark = pytest.mark.unit


def test_verifications_are_for_transferred_clues_and_repeatable() -> None:
    plan = build_plan()
    chosen = [p.index for p in plan.petitions if results.verification_for(p)]
    assert chosen == [p.index for p in build_plan().petitions if results.verification_for(p)]
    assert all(plan.petitions[i].transfer_to is not None for i in chosen)
    assert 0.3 * len(plan.transfers) < len(chosen) < 0.8 * len(plan.transfers)


def test_the_discipline_commission_receives_the_most() -> None:
    plan = build_plan()
    discipline = results.discipline_clues(plan.petitions)
    assert all(p.transfer_to is Department.DISCIPLINE for p in discipline)
    others = [p for p in plan.transfers if p.transfer_to is not Department.DISCIPLINE]
    biggest_other = max(sum(1 for p in others if p.transfer_to is d) for d in Department)
    assert len(discipline) > 2 * biggest_other


async def test_results_for_all_but_a_few_and_two_thirds_closed() -> None:
    plan = build_plan()
    clues = [(p, f"clue-{p.index}") for p in results.discipline_clues(plan.petitions)]
    calls: list[tuple[str, str, str, Any]] = []

    async def call(method: str, url: str, who: str, body: Any = None, ok: Any = None) -> None:
        calls.append((method, url.rsplit("/", 1)[-1], who, body))

    acked, reported, disposed = await results.results(
        call, "http://clues", clues, lambda code: "city_admin"
    )
    assert acked == len(clues)
    assert reported == len(clues) - results.WITHOUT_RESULT
    assert 0 < disposed < reported
    dispositions = {b["disposition"] for m, a, w, b in calls if a == "result"}
    assert dispositions <= {d for d, _ in results.DISPOSITIONS}
    assert {w for m, a, w, b in calls if a in ("acknowledge", "result")} == {"department"}
    assert {w for m, a, w, b in calls if a == "dispose"} == {"city_admin"}


async def test_each_clue_is_closed_by_the_office_that_handles_it() -> None:
    plan = build_plan()
    clues = [(p, f"clue-{p.index}") for p in results.discipline_clues(plan.petitions)]
    calls: list[tuple[str, str]] = []

    async def call(method: str, url: str, who: str, body: Any = None, ok: Any = None) -> None:
        calls.append((url.rsplit("/", 2)[-2], who))

    await results.results(call, "http://clues", clues, lambda code: f"office:{code}")
    by_clue = {p.index: p for p, _ in clues}
    closed = [(clue, who) for clue, who in calls if who.startswith(("office:", "city_admin"))]
    assert closed
    for clue, who in closed:
        p = by_clue[int(clue.removeprefix("clue-"))]
        assert who == ("city_admin" if p.needs_escalation else f"office:{p.jurisdiction}")
    assert {who for _, who in closed} > {"office:361002"}  # the counties' offices among them
