"""The as-of replay's deadlines as the auditor's workbook holds them
(``entrypoints/audit/replay_sheets.py``): counted by state in the page's words, and each
overdue one named as 期限预警 names it (the rule's title, the office, department or group
that had to act, the unit or group concerned), the most late first."""

from __future__ import annotations

from typing import Any

from xuncha_reporting.entrypoints.audit.replay_sheets import overdue_rows, state_rows


def item(state: str, days_late: int = 0, **extra: Any) -> dict[str, Any]:
    return {
        "kind": "clues.transfer_result",
        "rule_id": "xunshi_2015_art29",
        "rule_version": 1,
        "due_date": "2026-11-06",
        "jurisdiction": "361002",
        "owner": "discipline_commission",
        "waits_for_zh": "职能部门反馈线索办理情况",
        "case": {"type": "clue", "id": "c-1", "link": "/clues/c-1"},
        "state": state,
        "days_late": days_late,
        **extra,
    }


def test_states_in_the_pages_order_and_words_then_the_total() -> None:
    rows = state_rows([item("met"), item("overdue", 3), item("running"), item("running")])
    assert rows == [["正常", 2], ["已逾期", 1], ["按期办结", 1], ["合计", 4]]
    assert state_rows([]) == []


def test_overdue_ones_named_the_most_late_first() -> None:
    rows = overdue_rows(
        [
            item("overdue", 3),
            item("running"),
            item(
                "overdue", 30, kind="intake.dispatch", rule_id="weekly_dispatch",
                owner="361000", jurisdiction="361000", group_no=3, unit_name="市财政局",
                case={"type": "group", "id": "g-1", "link": ""},
            ),
        ]
    )  # fmt: skip
    assert [r[5] for r in rows] == [30, 3]
    first, second = rows
    assert first[3] == "第3巡察组 · 市财政局" and first[6] == "市委巡察办" and first[7] == "市本级"
    assert second[6] == "纪委监委" and second[7] == "临川区" and second[3] is None
    # the kind as 期限预警 and 时间回溯 name it, then the rule's title (not their ids)
    assert (first[0], second[0]) == ("每周调度", "移交线索办理反馈（3个月）")
    assert "_" not in first[1] and "_" not in second[1]
