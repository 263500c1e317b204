"""The demo's R29 records (cli/demo/county_oversight.py), after 000:L39: 3 counties, 10
townships and 100 villages made pilot points in April, every county checked in March with 19
problems in five aspects, 4 counties under key supervision in June, all with the city office's
token and none without it."""

from __future__ import annotations

from typing import Any

import pytest
from xuncha_shared.cli.demo import county_oversight
from xuncha_shared.domain import jurisdictions

pytestmark = pytest.mark.unit


def test_every_county_checked_with_the_seeds_19_problems_in_five_aspects() -> None:
    checks = county_oversight.checks()
    assert [c["county"] for c in checks] == [c.code for c in jurisdictions.COUNTIES]
    findings = [f for c in checks for f in c["findings"]]
    assert len(findings) == 19
    assert len({f["aspect"] for f in findings}) == 5
    assert all(f["description"].endswith("（演示）") for f in findings)
    assert {c["checked_on"][:7] for c in checks} == {"2026-03"}


async def test_the_city_office_records_them() -> None:
    calls: list[tuple[str, str, Any]] = []

    async def call(method: str, url: str, who: str, body: Any = None) -> None:
        calls.append((url.rsplit("/", 1)[-1], who, body))

    made = await county_oversight.load_county_oversight(call, "http://intake", {"city_admin": "t"})
    assert made == 113 + 11 + 4 == len(calls)
    assert {who for _, who, _ in calls} == {"city_admin"}
    keys = [body["county"] for path, _, body in calls if path == "county-key-supervisions"]
    assert keys == list(county_oversight.KEY_COUNTIES)
    assert await county_oversight.load_county_oversight(call, "http://intake", {}) == 0


def test_the_seeds_pilot_points_each_once_in_a_leaders_charge() -> None:
    points = county_oversight.pilot_points()
    kinds = [p.get("level", p["kind"]) for p in points]
    assert (kinds.count("normalisation"), kinds.count("township")) == (3, 10)
    assert kinds.count("village_or_community") == 100
    # each point once: no two share a county, kind and place (the stream id, pilot_point_id_for)
    keys = {(p["county"], p["kind"], p.get("place")) for p in points}
    assert len(keys) == len(points)
    assert all(p["liaison"].endswith("（演示）") for p in points)
    assert all(p.get("place", "（演示）").endswith("（演示）") for p in points)
