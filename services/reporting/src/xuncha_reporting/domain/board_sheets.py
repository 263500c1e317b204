"""The sheets of the two Excel downloads, and the ledger's JSON that mirrors them (pure):
整改台账 (汇总, then a sheet per unit, a row per issue) and 挂图作战 (汇总, then a sheet per unit,
a row per task), computed from the board (``domain.board``). Cells are what the workbook holds:
text and integers, colours in the board's words.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.percent import percent_text

from xuncha_reporting.domain.board import ISSUE_EVIDENCE
from xuncha_reporting.domain.board_tasks import tasks_closed
from xuncha_reporting.domain.ledger import china_date
from xuncha_reporting.domain.views import completion_rate

#: the ledger's columns (整改台账), the Excel sheets' header row
LEDGER_HEADERS: tuple[str, ...] = (
    "序号",
    "问题描述",
    "整改类型",
    "反馈日期",
    "整改报告期限",
    "整改措施",
    "责任人",
    "完成时限",
    "整改状态",
    "整改进度(%)",
    "预警",
    "报告次数",
    "核实结果",
    "长效机制",
    "佐证材料",
    "任务销号",
)
SUMMARY_HEADERS: tuple[str, ...] = (
    "地区",
    "被巡察单位",
    "反馈问题",
    "核实销号",
    "整改完成率(核实销号)",
    "自报完成",
    "自报完成率(单位自报，仅供参考)",
    "逾期任务",
    "督办",
    "红线预警",
)
BOARD_HEADERS: tuple[str, ...] = (
    "问题",
    "整改状态",
    "整改任务",
    "任务类型",
    "责任人",
    "完成时限",
    "任务状态",
    "预警",
    "办理记录",
    "任务佐证材料",
    "整改报告及核实佐证材料",
)
#: the board's words for its colours (挂图作战's 正常 / 临期 / 逾期), in the workbook too
COLOUR_ZH = {"green": "正常", "yellow": "临期", "red": "逾期", None: None}


def sheet_names(units: list[dict[str, Any]]) -> list[str]:
    """One Excel sheet name per unit: its name, at most 31 characters, without []:*?/\\, unique
    and never the summary's. When the units lie in several areas (the whole city), a county's
    unit whose name does not say its county is named after it (南城县·财政局): two counties'
    units of the same name are told apart."""
    several = len({u["jurisdiction"] for u in units}) > 1
    names: list[str] = []
    taken = {"汇总"}
    for unit in units:
        title = str(unit["unit"] or "单位")
        area = unit["jurisdiction"]
        if several and area and jurisdictions.is_county(area):
            county = jurisdictions.name_of(area)
            title = title if title.startswith(county) else f"{county}·{title}"
        base = "".join(c for c in title if c not in "[]:*?/\\")[:28] or "单位"
        name, n = base, 2
        while name in taken:
            name, n = f"{base[:26]}({n})", n + 1
        taken.add(name)
        names.append(name)
    return names


def _join(values: list[Any]) -> str | None:
    text = "；".join(str(v) for v in values if v)
    return text or None


def ledger_rows(unit: dict[str, Any]) -> list[list[Any]]:
    """The unit's 整改台账 rows, cell values as the workbook holds them (text, integers)."""
    rows: list[list[Any]] = []
    for n, issue in enumerate(unit["issues"], start=1):
        evidence = [e["filename"] for h in issue["history"] for e in h.get("evidence", [])]
        verdict = {"accepted": "核实通过", "rejected": "核实未通过"}.get(
            issue["verification"] or ""
        )
        rows.append(
            [
                n,
                issue["description"],
                issue["rect_type_zh"],
                _china_day(issue["fed_back_at"]),
                issue["due_date"],
                _join([t["measure"] for t in issue["tasks"]]),
                _join([t["owner"] for t in issue["tasks"]]),  # task by task, as the measures
                _join([t["due_on"] for t in issue["tasks"]]),
                issue["status_zh"],
                issue["progress_percent"],
                COLOUR_ZH[issue["colour"]],
                issue["reports"],
                verdict,
                issue["mechanism"],
                _join(evidence),
                tasks_closed(issue["tasks"]),
            ]
        )
    return rows


def area_zh(code: str | None) -> str:
    """A unit's area as the sheets name it: 市本级 for the city's own units, else the county."""
    return jurisdictions.area_name(code) if code else "—"


def summary_rows(units: list[dict[str, Any]]) -> list[list[Any]]:
    """汇总: a row per unit (by area, as the board sorts them); when the units lie in several
    areas (the whole city), the 小计 of each area of more than one unit after its units; then
    合计 (the board's figures for everything read: its 整改完成率 is the page's) when there is
    more than one unit."""
    areas = list(dict.fromkeys(u["jurisdiction"] for u in units))
    rows: list[list[Any]] = []
    for area in areas:
        own = [u for u in units if u["jurisdiction"] == area]
        rows.extend(_summary_row(area_zh(area), u["unit"], [u]) for u in own)
        if len(areas) > 1 and len(own) > 1:  # one unit's row is its area's total already
            rows.append(_summary_row(area_zh(area), "小计", own))
    if len(units) > 1:
        rows.append(_summary_row("全市" if len(areas) > 1 else area_zh(areas[0]), "合计", units))
    return rows


def _summary_row(area: str, name: str, units: list[dict[str, Any]]) -> list[Any]:
    def total(key: str) -> int:
        return sum(int(u[key]) for u in units)

    fed, closed, declared = total("issues_fed_back"), total("closed_out"), total("self_declared")
    return [
        area,
        name,
        fed,
        closed,
        _pct(completion_rate(closed, fed)),
        declared,
        _pct(completion_rate(declared, fed)),
        total("overdue_tasks"),
        total("supervisions"),
        total("red_lines"),
    ]


def _pct(rate: float | None) -> str | None:
    return None if rate is None else percent_text(rate)


def _record(issue: dict[str, Any]) -> str:
    """办理记录 on paper: how many steps the issue has had and its latest with the day, e.g.
    ``共 11 条，最近 2027-01-10 整改任务完成``. A supervisor reading the printed board cannot
    open the history: the latest step and its day say where the issue stands and how long it
    has not moved, which a bare count does not."""
    history = issue["history"]
    latest = history[-1]  # kept in time order (``board_oversight.attach``)
    return f"共 {len(history)} 条，最近 {_china_day(latest.get('at')) or '—'} {latest['zh']}"


def _names(evidence: list[dict[str, Any]]) -> str | None:
    return _join([e["filename"] for e in evidence])


def board_rows(unit: dict[str, Any]) -> list[list[Any]]:
    """The unit's board: one row per task (an issue without a plan: one row), the issue's
    record (办理记录), each task's own evidence (its completion's), and on the issue's first
    row the evidence of its reports and verifications: the issue's, not each task's."""
    rows: list[list[Any]] = []
    for issue in unit["issues"]:
        reported = _names(
            [e for h in issue["history"] if h["type"] in ISSUE_EVIDENCE for e in h["evidence"]]
        )
        record = _record(issue)
        tasks = issue["tasks"] or [None]
        for n, task in enumerate(tasks):
            rows.append(
                [
                    issue["description"],
                    issue["status_zh"],
                    task["measure"] if task else None,
                    task["type_zh"] if task else None,
                    task["owner"] if task else None,
                    task["due_on"] if task else issue["due_date"],
                    task["status_zh"] if task else None,
                    COLOUR_ZH[task["colour"] if task else issue["colour"]],
                    record,
                    _names(task["completion_evidence"]) if task else None,
                    reported if n == 0 else None,
                ]
            )
    return rows


def ledger(board_doc: dict[str, Any]) -> dict[str, Any]:
    """整改台账 as JSON: exactly the workbook's sheets (summary, then one per unit)."""
    units = board_doc["units"]
    return {
        "as_of": board_doc["as_of"],
        "round_id": board_doc["round_id"],
        "headers": list(LEDGER_HEADERS),
        "summary": {"sheet": "汇总", "headers": list(SUMMARY_HEADERS), "rows": summary_rows(units)},
        "units": [
            {
                "unit": u["unit"],
                "unit_id": u["unit_id"],
                "jurisdiction": u["jurisdiction"],
                "area": area_zh(u["jurisdiction"]),
                "sheet": name,
                "rows": ledger_rows(u),
            }
            for u, name in zip(units, sheet_names(units), strict=True)
        ],
    }


def _china_day(at: str | None) -> str | None:
    """The China Standard Time day (ISO) of the ISO time ``at``: a feedback at 02:00 on the 4th
    in Beijing is the 3rd in UTC, and is fed back on the 4th."""
    return china_date(datetime.fromisoformat(at)).isoformat() if at else None
