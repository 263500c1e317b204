"""The deadlines of an as-of replay (时间回溯) as the auditor's workbook holds them (pure): how
many stood in each state, and every one overdue at that moment, the most late first, each named
as 期限预警 names it: its kind, the rule's title, what it waited for, who had to act, and the
unit or group it concerns. The workbook says what the page shows."""

from __future__ import annotations

from typing import Any

from xuncha_shared.clocks.rules import RULES
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH
from xuncha_shared.contracts.names_zh import DEADLINE_KINDS_ZH
from xuncha_shared.domain import jurisdictions

from xuncha_reporting.domain.deadlines import STATES

#: the states as 期限预警 names them (the workbench's ``DEADLINE_STATES``)
STATE_ZH: dict[str, str] = {
    "running": "正常",
    "warning_yellow": "黄色预警",
    "warning_red": "红色预警",
    "overdue": "已逾期",
    "met": "按期办结",
    "met_late": "逾期办结",
}
_DEPARTMENTS = {d.value: label for d, label in DEPARTMENT_LABELS_ZH.items()}

STATE_HEADERS: tuple[str, ...] = ("状态", "期限数")
OVERDUE_HEADERS: tuple[str, ...] = (
    "期限事项",
    "期限规则",
    "待办事项",
    "涉及单位或巡察组",
    "到期日",
    "逾期天数",
    "责任主体",
    "地区",
    "案件编号",
)


def rule_title(item: dict[str, Any]) -> str:
    """The rule's Chinese title of its version (its id when the rule book does not know it)."""
    rule_id = str(item.get("rule_id") or item.get("kind") or "")
    version = item.get("rule_version")
    return RULES.title_zh(rule_id, version if isinstance(version, int) else None) or rule_id


def owner_zh(owner: str, case_type: str) -> str:
    """Who had to act: an area's office, a department, a group; else as recorded."""
    if jurisdictions.is_known(owner):
        return jurisdictions.office_name(owner)
    if owner in _DEPARTMENTS:
        return _DEPARTMENTS[owner]
    if case_type == "group":
        return "巡察组"
    return owner


def subject_zh(item: dict[str, Any]) -> str:
    """第3巡察组 · 市财政局, as 期限预警 shows what a deadline concerns ("" when unknown)."""
    group = f"第{item['group_no']}巡察组" if item.get("group_no") else ""
    return " · ".join(part for part in (group, item.get("unit_name") or "") if part)


def state_rows(deadlines: list[dict[str, Any]]) -> list[list[Any]]:
    """How many deadlines stood in each state, in the page's order (states with none left out),
    then the total."""
    counts: dict[str, int] = {}
    for d in deadlines:
        counts[d["state"]] = counts.get(d["state"], 0) + 1
    order = [*STATES, *sorted(set(counts) - set(STATES))]
    rows: list[list[Any]] = [[STATE_ZH.get(s, s), counts[s]] for s in order if s in counts]
    if rows:
        rows.append(["合计", len(deadlines)])
    return rows


def overdue_rows(deadlines: list[dict[str, Any]]) -> list[list[Any]]:
    """Every deadline overdue at that moment, the most late first (then by due date)."""
    late = sorted(
        (d for d in deadlines if d["state"] == "overdue"),
        key=lambda d: (-int(d["days_late"]), str(d["due_date"])),
    )
    return [
        [
            DEADLINE_KINDS_ZH.get(str(d.get("kind")), str(d.get("kind"))),
            rule_title(d),
            d.get("waits_for_zh"),
            subject_zh(d) or None,
            str(d["due_date"]),
            d["days_late"],
            owner_zh(str(d["owner"]), d["case"]["type"]),
            jurisdictions.area_name(str(d["jurisdiction"])),
            d["case"]["id"],
        ]
        for d in late
    ]
