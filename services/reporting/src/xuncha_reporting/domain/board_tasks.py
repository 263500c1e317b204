"""The 挂图作战 board's tasks (pure): each task of an issue's approved plan with its own state, as
its events leave it (``RectificationTaskCompleted`` / ``…ClosedOut`` / ``…Returned``, one task's
对账销号), closed out with its issue when not before it, its turn and its due date now; and the
整改台账's count of an issue's tasks closed out."""

from __future__ import annotations

from datetime import date
from typing import Any

#: a task's own state (``RectificationTaskCompleted`` / ``…ClosedOut`` / ``…Returned``)
TASK_STATUS_ZH = {"open": "整改中", "completed": "已报告完成，待销号", "closed_out": "已销号"}
TASK_EVENTS = frozenset(
    {
        "rectification.RectificationTaskCompleted",
        "rectification.RectificationTaskClosedOut",
        "rectification.RectificationTaskReturned",
    }
)

#: an issue's states in which its due dates run
OPEN = ("fed_back", "planned", "in_progress")
#: the rectification and task types (立行立改 / 限期整改 / 长期坚持)
TASK_TYPE_ZH = {"immediate": "立行立改", "time_bound": "限期整改", "long_term": "长期坚持"}


def colour(due: str | None, today: date, yellow_days: int) -> str | None:
    """R10: red once the due date has passed, yellow within ``yellow_days`` of it, else green."""
    if not due:
        return None
    left = (date.fromisoformat(due) - today).days
    return "red" if left < 0 else "yellow" if left <= yellow_days else "green"


def task_turn(turns: dict[str, dict[str, Any]], e: dict[str, Any]) -> None:
    """Fold one of a task's own events into its state."""
    turn = turns.setdefault(e["task_id"], {"attempt": 1, "status": "open"})
    kind = e["type"]
    if kind == "rectification.RectificationTaskCompleted":
        turn.update(
            status="completed",
            attempt=e["attempt"],
            completed_on=e["completed_on"],
            completion_note=e.get("note"),
            completion_evidence=e.get("evidence", []),
        )
    elif kind == "rectification.RectificationTaskClosedOut":
        turn.update(status="closed_out", closed_out_note=e.get("note"))
    else:  # returned: its next turn, due on the day the office set
        turn.update(
            status="open", attempt=e["attempt"], due_on=e["due_on"], returned_reason=e["reason"]
        )


def task_row(
    task: dict[str, Any],
    turn: dict[str, Any],
    issue_status: str,
    overdue: set[tuple[str, int]],
    today: date,
    yellow: int,
) -> dict[str, Any]:
    """A task with its own state: closed out with its issue when not before it; a colour and an
    overdue mark only while both it and its issue are open."""
    status = turn.get("status", "open")
    if issue_status == "closed_out" and status != "closed_out":
        status = "closed_out"
    attempt = turn.get("attempt", 1)
    due = turn.get("due_on", task["due_on"])
    open_ = issue_status in OPEN and status == "open"
    return {
        **task,
        "due_on": due,
        "planned_due_on": task["due_on"],
        "type_zh": TASK_TYPE_ZH.get(task["type"], task["type"]),
        "status": status,
        "status_zh": TASK_STATUS_ZH[status],
        "attempt": attempt,
        "completed_on": turn.get("completed_on"),
        "completion_note": turn.get("completion_note"),
        "completion_evidence": turn.get("completion_evidence", []),
        "closed_out_note": turn.get("closed_out_note"),
        "returned_reason": turn.get("returned_reason"),
        "closed_with_issue": status == "closed_out" and turn.get("status") != "closed_out",
        "colour": colour(due, today, yellow) if open_ else None,
        "overdue": (task["task_id"], attempt) in overdue and open_,
    }


def tasks_closed(tasks: list[dict[str, Any]]) -> str | None:
    """任务销号: the issue's tasks closed out of its tasks (``2/3``); none without a plan."""
    if not tasks:
        return None
    closed = sum(t.get("status") == "closed_out" for t in tasks)
    return f"{closed}/{len(tasks)}"
