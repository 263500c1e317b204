"""R6 watched on the coverage view (pure): a term ending within a year with units not yet
inspected is warned yellow, one that has ended so red; a term whose units are all inspected, or
a plan kept before its dates were, is not warned."""

from __future__ import annotations

from datetime import date
from typing import Any

from xuncha_reporting.domain.lifecycle import COVERAGE_WARNING_DAYS, coverage, coverage_warning

CITY, COUNTY = "361000", "361002"


def docs(ends_on: str | None, inspected: int) -> dict[str, dict[str, dict[str, Any]]]:
    """A term plan of two units of 临川区; the first ``inspected`` of them had a stationing
    that ended in a round of the term."""
    plan: dict[str, Any] = {"jurisdiction": COUNTY, "term_no": 4, "unit_ids": ["u1", "u2"]}
    if ends_on is not None:
        plan |= {"starts_on": "2022-01-01", "ends_on": ends_on}
    out: dict[str, dict[str, dict[str, Any]]] = {
        "unit": {"u1": {"name": "临川区甲局"}, "u2": {"name": "临川区乙局"}},
        "term_plan": {f"{COUNTY}/4": plan},
        "round": {"r": {"jurisdiction": COUNTY, "term_no": 4}},
        "group": {"g": {"round_id": "r"}},
        "stationing": {},
        "stationing_end": {},
    }
    for n in range(inspected):
        out["stationing"][f"s{n}"] = {"group_id": "g", "unit_id": f"u{n + 1}"}
        out["stationing_end"][f"s{n}"] = {}
    return out


def row(doc: dict[str, Any]) -> dict[str, Any]:
    [only] = doc["jurisdictions"]
    return only


def test_the_last_year_of_a_term_with_units_left_is_warned_yellow_then_red() -> None:
    ends = "2026-12-31"
    far = row(coverage(docs(ends, 1), 4, CITY, date(2025, 12, 30)))
    assert (far["days_left"], far["warning"]) == (366, None)
    near = row(coverage(docs(ends, 1), 4, CITY, date(2025, 12, 31)))
    assert (near["days_left"], near["warning"]) == (COVERAGE_WARNING_DAYS, "yellow")
    last = row(coverage(docs(ends, 1), 4, CITY, date(2026, 12, 31)))
    assert (last["days_left"], last["warning"]) == (0, "yellow")
    ended = row(coverage(docs(ends, 1), 4, CITY, date(2027, 1, 1)))
    assert (ended["days_left"], ended["warning"]) == (-1, "red")
    assert ended["starts_on"] == "2022-01-01" and ended["ends_on"] == ends
    assert [u["name"] for u in ended["not_inspected"]] == ["临川区乙局"]


def test_a_term_covered_in_full_or_without_dates_is_not_warned() -> None:
    done = row(coverage(docs("2026-12-31", 2), 4, CITY, date(2027, 6, 1)))
    assert (done["rate"], done["warning"], done["days_left"]) == (100.0, None, -152)
    undated = row(coverage(docs(None, 0), 4, CITY, date(2027, 6, 1)))
    assert (undated["ends_on"], undated["days_left"], undated["warning"]) == (None, None, None)
    assert coverage_warning(None, 5, date(2030, 1, 1)) == (None, None)
