"""The city/county linked view (上下联动总览), built from counters (pure)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.percent import percent_text

from xuncha_reporting.domain.model import METRICS, Metric

Counters = Mapping[tuple[str, str], int]  # (jurisdiction, metric) -> value

#: Metrics shown in each row: ``issues_closed_out`` as ``completion_rate`` as well (verified
#: close-outs / issues fed back), ``issues_completed`` (what units declared) as
#: ``self_declared_rate`` beside it. ``issues_reopened`` is no column: the close-outs a revisit
#: took back, subtracted from ``issues_closed_out`` (a close-out counts once per close-out
#: event, so an issue closed out again after a reopening counts again). Nor is
#: ``completions_withdrawn``: the declared completions a rejected verification or a reopening
#: took back, subtracted from ``issues_completed`` (a completion counts once per attempt,
#: ``RectificationReported.attempt``, so an issue declared complete again counts again).
_TAKEN_BACK = {
    Metric.ISSUES_CLOSED_OUT: Metric.ISSUES_REOPENED,
    Metric.ISSUES_COMPLETED: Metric.COMPLETIONS_WITHDRAWN,
}
ROW_METRICS: tuple[Metric, ...] = tuple(m for m in METRICS if m not in _TAKEN_BACK.values())


#: the linked view's figures as the workbench's 总览 and the time replay label them (the CLI's
#: replay table and the auditor's replay workbook)
LINKED_COLUMNS_ZH: tuple[tuple[str, str], ...] = (
    ("petitions_received", "信访举报受理"),
    ("clues_registered", "线索登记"),
    ("clues_escalated", "报市委巡察办"),
    ("clues_transferred", "线索移交"),
    ("issues_fed_back", "反馈问题"),
    ("rectification_reports", "整改报告"),
    ("issues_completed", "自报完成"),
    ("issues_closed_out", "核实销号"),
)


def rate_text(value: float | None) -> str:
    """A completion rate as 总览 shows it (12.3%; — when nothing was fed back)."""
    return "—" if value is None else percent_text(value)


def named_rows(view: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The linked view's rows as 总览 lists them, each with the name it shows: the city's
    total (名称（合计）), its own work (市本级), then each county."""
    city = view["city"]
    rows = [(f"{city['name']}（合计）", city)]
    if city.get("own"):
        rows.append(("市本级", city["own"]))
    return rows + [(c["name"], c) for c in view.get("counties", [])]


#: the decimals of a rate the views answer (``completion_rate``)
RATE_DECIMALS = 10


def completion_rate(completed: int, fed_back: int) -> float | None:
    """A rate of issues fed back, 10 decimals (enough that showing it to one decimal of a percent
    rounds as the fraction itself would, for any count below ten million: 4 made 28/33 0.8485,
    shown 84.9%); None without issues: 整改完成率 with verified close-outs, 自报完成率 with
    self-declared completions."""
    if fed_back <= 0:
        return None
    return round(min(completed, fed_back) / fed_back, RATE_DECIMALS)


@dataclass
class Row:
    jurisdiction: str
    name: str
    level: str  # "city" | "county"
    values: dict[str, int] = field(default_factory=lambda: {m.value: 0 for m in ROW_METRICS})

    def add(self, other: Mapping[str, int]) -> None:
        for key, value in other.items():
            self.values[key] = self.values.get(key, 0) + value

    def to_dict(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
            "jurisdiction": self.jurisdiction,
            "name": self.name,
            "level": self.level,
            **self.values,
        }
        fed_back = self.values[Metric.ISSUES_FED_BACK.value]
        doc["completion_rate"] = completion_rate(
            self.values[Metric.ISSUES_CLOSED_OUT.value], fed_back
        )
        doc["self_declared_rate"] = completion_rate(
            self.values[Metric.ISSUES_COMPLETED.value], fed_back
        )
        return doc


def _values(counters: Counters, code: str) -> dict[str, int]:
    values = {m.value: int(counters.get((code, m.value), 0)) for m in ROW_METRICS}
    for metric, taken_back in _TAKEN_BACK.items():
        minus = int(counters.get((code, taken_back.value), 0))
        values[metric.value] = max(0, values[metric.value] - minus)
    return values


def county_codes(counters: Counters, city: str) -> list[str]:
    """The counties of ``city``: the configured ones, plus any other code of the city that has
    data (a code the table does not know yet is still shown, not silently dropped)."""
    known = [c.code for c in jurisdictions.COUNTIES if c.parent == city]
    extra = sorted(
        {
            code
            for code, _ in counters
            if jurisdictions.city_of(code) == city and code != city and code not in known
        }
    )
    return known + extra


def linked_view(counters: Counters, city: str = jurisdictions.CITY.code) -> dict[str, Any]:
    """``{"city": row, "counties": [row, ...]}``.

    The city row sums city-level work (``own``) and every county; each county row is its own.
    """
    counties = [
        Row(code, jurisdictions.name_of(code), "county", _values(counters, code))
        for code in county_codes(counters, city)
    ]
    own = _values(counters, city)
    city_row = Row(city, jurisdictions.name_of(city), "city", dict(own))
    for county in counties:
        city_row.add(county.values)
    city_doc = city_row.to_dict()
    own_row = Row(city, jurisdictions.name_of(city), "city", own).to_dict()
    rates = ("completion_rate", "self_declared_rate")
    city_doc["own"] = {k: own_row[k] for k in (*(m.value for m in ROW_METRICS), *rates)}
    return {"city": city_doc, "counties": [c.to_dict() for c in counties]}


def single_row(counters: Counters, code: str) -> dict[str, Any]:
    """One row: the city (with its counties summed in) or one county."""
    city = jurisdictions.city_of(code)
    view = linked_view(counters, city)
    if code == city:
        row: dict[str, Any] = view["city"]
        return row
    for county in view["counties"]:
        if county["jurisdiction"] == code:
            found: dict[str, Any] = county
            return found
    return Row(code, jurisdictions.name_of(code), "county", _values(counters, code)).to_dict()


def counters_from_rows(rows: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], int]:
    return {(str(r["jurisdiction"]).strip(), str(r["metric"])): int(r["value"]) for r in rows}
