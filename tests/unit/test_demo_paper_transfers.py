"""The demo's clues transferred on paper (补录, R26): days relative to the load day, a transfer
letter old enough that R3 (3 months from it) is past due at the load, the R2 route to 纪委监委,
and the group registering while the county office transfers."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from xuncha_clues.domain.paper_dates import earliest_paper_day
from xuncha_clues.domain.routing import route_of
from xuncha_shared.cli.demo import paper_transfers
from xuncha_shared.clocks.calendar import add_calendar_months
from xuncha_shared.contracts.common import Department

pytestmark = pytest.mark.unit

LOAD_DAY = date(2026, 11, 30)


@pytest.mark.parametrize("county", [True, False])
def test_the_days_are_relative_to_the_load_day_and_r3_is_past_due(county: bool) -> None:
    clues = paper_transfers.paper_clues(LOAD_DAY, county=county)
    assert 3 <= len(clues) <= 4
    assert clues == paper_transfers.paper_clues(LOAD_DAY, county=county)  # deterministic
    for clue in clues:
        assert earliest_paper_day(LOAD_DAY) <= clue.registered_on < clue.transferred_on < LOAD_DAY
        assert 140 <= (LOAD_DAY - clue.registered_on).days <= 160  # about five months
        assert 110 <= (LOAD_DAY - clue.transferred_on).days <= 130  # about four months
        assert add_calendar_months(clue.transferred_on, 3) < LOAD_DAY  # R3 overdue at the load
        assert route_of(clue.topic) is Department.DISCIPLINE  # R2
    assert len({c.unit_id for c in clues}) == len(clues)
    assert {c.jurisdiction for c in clues} == {"361002" if county else "361000"}


async def test_the_group_registers_and_the_office_transfers_with_the_letters_day() -> None:
    calls: list[tuple[str, str, Any]] = []
    urls: list[str] = []

    class Resp:
        def json(self) -> dict[str, str]:
            return {"id": f"clue-{len(calls)}"}

    async def call(method: str, url: str, who: str, body: Any = None, ok: Any = None) -> Resp:
        calls.append((url.rsplit("/", 1)[-1], who, body))
        urls.append(url)
        return Resp()

    tokens = {"city_admin": "a", "county_admin": "b", "group_member": "c", "department": "d"}
    ids = await paper_transfers.load_paper_transfers(call, "http://clues", tokens, LOAD_DAY)
    clues = paper_transfers.paper_clues(LOAD_DAY)
    assert len(ids) == len(clues)
    registrations = [b for a, w, b in calls if a == "clues"]
    transfers = [b for a, w, b in calls if a == "transfer"]
    assert {w for a, w, b in calls if a in ("clues", "classify")} == {"group_member"}
    assert {w for a, w, b in calls if a == "transfer"} == {"county_admin"}
    assert [r["registered_on"] for r in registrations] == [
        c.registered_on.isoformat() for c in clues
    ]
    assert [t["transferred_on"] for t in transfers] == [c.transferred_on.isoformat() for c in clues]
    assert {t["department"] for t in transfers} == {"discipline_commission"}
    # the office urges the first clue's result (催办, R27), past R3's three months
    assert [(a, w, b) for a, w, b in calls if a == "urges"] == [
        ("urges", "county_admin", {"note": paper_transfers.URGE_NOTE})
    ]
    assert urls[-1] == f"http://clues/api/v1/clues/{ids[0]}/urges"  # the first clue's, last
    # without the county's tokens the city office enters them
    calls.clear()
    await paper_transfers.load_paper_transfers(call, "http://clues", {"city_admin": "a"}, LOAD_DAY)
    assert {w for a, w, b in calls} == {"city_admin"}
