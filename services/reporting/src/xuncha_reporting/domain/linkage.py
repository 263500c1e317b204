"""The linked view's linkage figures (上下联动), per jurisdiction, from the lifecycle documents
(pure): units inspected in linkage (assigned to one of its rounds in mode ``linked``), units
revisited (mode ``revisit``, 回头看), and counterpart reports provided (a county's report of a
unit it inspected, matching a unit the city inspects in linkage: 以下看上).

A unit counts once per jurisdiction however many rounds name it in the mode.
"""

from __future__ import annotations

from typing import Any

from xuncha_reporting.domain.views import Counters, linked_view, single_row

Docs = dict[str, dict[str, dict[str, Any]]]

#: the document kinds the figures read
LINKAGE_KINDS = ("round", "round_unit", "counterpart_report")
#: the figures, each per jurisdiction
FIGURES = ("linked_units", "revisited_units", "counterpart_reports")
_MODES = {"linked": "linked_units", "revisit": "revisited_units"}


def linkage_figures(docs: Docs) -> dict[str, dict[str, int]]:
    """``{jurisdiction: {"linked_units": n, "revisited_units": n, "counterpart_reports": n}}``
    for every jurisdiction with any of them."""
    rounds = docs.get("round", {})
    units: dict[tuple[str, str], set[str]] = {}
    for ru in docs.get("round_unit", {}).values():
        figure = _MODES.get(ru["mode"])
        rnd = rounds.get(ru["round_id"])
        if figure is None or rnd is None:
            continue
        units.setdefault((rnd["jurisdiction"], figure), set()).add(ru["unit_id"])
    out: dict[str, dict[str, int]] = {}
    for (code, figure), ids in units.items():
        out.setdefault(code, dict.fromkeys(FIGURES, 0))[figure] = len(ids)
    for report in docs.get("counterpart_report", {}).values():
        row = out.setdefault(report["jurisdiction"], dict.fromkeys(FIGURES, 0))
        row["counterpart_reports"] += 1
    return out


def add_linkage(view_row: dict[str, Any], figures: dict[str, dict[str, int]]) -> None:
    """Put a jurisdiction's figures on its linked-view row (zeros when it has none)."""
    mine = figures.get(view_row["jurisdiction"], {})
    for figure in FIGURES:
        view_row[figure] = mine.get(figure, 0)


def city_linkage(
    city: str, counties: list[str], figures: dict[str, dict[str, int]]
) -> tuple[dict[str, int], dict[str, int]]:
    """The city's row: (its own work plus every county's, its own work alone)."""
    own = {f: figures.get(city, {}).get(f, 0) for f in FIGURES}
    total = dict(own)
    for code in counties:
        for f in FIGURES:
            total[f] += figures.get(code, {}).get(f, 0)
    return total, own


def with_linkage(
    view: dict[str, Any], city_code: str, figures: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """The linked view (``views.linked_view``) with each county's linkage figures, and the city
    row's: its counties' summed plus its own (in ``own``). The live route and the as-of replay
    both give this, so an auditor's replay equals what the office saw."""
    for row in view["counties"]:
        add_linkage(row, figures)
    codes = [c["jurisdiction"] for c in view["counties"]]
    total, own = city_linkage(city_code, codes, figures)
    view["city"] |= total
    if view["city"].get("own") is not None:
        view["city"]["own"] = {**view["city"]["own"], **own}
    return view


def linked_row(
    counters: Counters, code: str, city_code: str, figures: dict[str, dict[str, int]]
) -> dict[str, Any]:
    """One jurisdiction's row of the linked view with its linkage figures (the city's: its
    counties' summed plus its own, in ``own``). The live single-row route and the as-of replay
    of one jurisdiction both give this."""
    row = single_row(counters, code)
    if code != city_code:
        add_linkage(row, figures)
        return row
    codes = [c["jurisdiction"] for c in linked_view(counters, city_code)["counties"]]
    total, own = city_linkage(city_code, codes, figures)
    row |= total
    if row.get("own") is not None:
        row["own"] = {**row["own"], **own}
    return row
