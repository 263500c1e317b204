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


def plan(jurisdiction: str, term_no: int, starts_on: str, ends_on: str) -> dict[str, Any]:
    return {
        "jurisdiction": jurisdiction,
        "term_no": term_no,
        "unit_ids": [],
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


def test_without_a_term_the_view_is_of_the_term_of_today() -> None:
    """The term whose plan of the reader's own scope runs over today; between two terms (the
    4th ended, the 5th not yet adopted) the latest begun; before any, the first planned."""
    plans = {
        "a": plan(CITY, 4, "2021-09-01", "2026-08-31"),
        "b": plan(COUNTY, 4, "2021-10-01", "2026-09-30"),
        "c": plan(CITY, 5, "2026-09-01", "2031-08-31"),
    }
    some: dict[str, dict[str, dict[str, Any]]] = {"term_plan": plans}
    in_five = coverage(some, None, CITY, date(2026, 9, 15))
    assert (in_five["term_no"], in_five["current_term_no"]) == (5, 5)
    # a county office of a county still in its 4th term, with the city's 5th in view
    assert coverage(some, None, COUNTY, date(2026, 9, 15))["term_no"] == 4
    # a county's next plan does not move the city, whose own 4th has ended, to the 5th
    early = {"term_plan": {"a": plans["a"], "d": plan(COUNTY, 5, "2026-01-01", "2030-12-31")}}
    assert coverage(early, None, CITY, date(2026, 12, 3))["term_no"] == 4
    assert coverage(early, None, COUNTY, date(2026, 12, 3))["term_no"] == 5
    # a reader with no plan of its own goes by the plans in view
    assert coverage(early, None, "361021", date(2026, 12, 3))["term_no"] == 5
    assert [(p["term_no"], p["jurisdiction"]) for p in in_five["term_plans"]] == [
        (4, CITY),
        (4, COUNTY),
        (5, CITY),
    ]
    assert "unit_ids" not in in_five["term_plans"][0]
    # a term asked for is answered whatever today's is
    asked = coverage(some, 4, CITY, date(2026, 9, 15))
    assert (asked["term_no"], asked["current_term_no"]) == (4, 5)
    assert [r["jurisdiction"] for r in asked["jurisdictions"]] == [CITY, COUNTY]

    del plans["c"]
    between = coverage(some, None, CITY, date(2026, 12, 3))
    assert (between["term_no"], between["current_term_no"]) == (4, 4)
    before = coverage(some, None, CITY, date(2020, 1, 1))
    assert before["term_no"] == 4
    none = coverage({}, None, CITY, date(2026, 12, 3))
    assert (none["term_no"], none["term_plans"], none["jurisdictions"]) == (None, [], [])
    assert none["city"]["rate"] is None


def test_a_city_in_its_next_term_does_not_hide_the_counties_still_in_theirs() -> None:
    """Without a term asked for, each jurisdiction's row is of its own term of today: the
    counties whose 4th term has ended with units left keep their row and its red (届末未全覆盖)
    warning once the city has adopted its 5th; a term asked for lists that term only."""
    unit = "u-1"
    plans = {
        "a": plan(CITY, 4, "2021-09-01", "2026-08-31"),
        "b": {**plan(COUNTY, 4, "2021-10-01", "2026-09-30"), "unit_ids": [unit]},
        "c": plan(CITY, 5, "2026-09-01", "2031-08-31"),
    }
    some: dict[str, dict[str, dict[str, Any]]] = {"term_plan": plans}
    view = coverage(some, None, CITY, date(2026, 12, 3))
    assert view["term_no"] == 5
    rows = {r["jurisdiction"]: r for r in view["jurisdictions"]}
    assert (rows[CITY]["term_no"], rows[COUNTY]["term_no"]) == (5, 4)
    assert rows[COUNTY]["warning"] == "red" and rows[COUNTY]["not_inspected"][0]["unit_id"] == unit
    assert view["city"]["planned"] == 1
    assert [
        r["jurisdiction"] for r in coverage(some, 5, CITY, date(2026, 12, 3))["jurisdictions"]
    ] == [CITY]
    # the county's inspections count in its own term, not in the city's
    inspected = {
        **some,
        "round": {"r": {"jurisdiction": COUNTY, "term_no": 4}},
        "group": {"g": {"round_id": "r"}},
        "stationing": {"s": {"group_id": "g", "unit_id": unit}},
        "stationing_end": {"s": {}},
    }
    row = next(
        r for r in coverage(inspected, None, CITY, date(2026, 12, 3))["jurisdictions"]
        if r["jurisdiction"] == COUNTY
    )  # fmt: skip
    assert (row["inspected"], row["warning"]) == (1, None)
