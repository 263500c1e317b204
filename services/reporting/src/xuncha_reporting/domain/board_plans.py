"""整改方案 (plans) and the office's to-dos on the 挂图作战 board (pure).

* Each unit's plans (one per round, ``rect_plan`` documents: submitted → returned → submitted
  again → approved), with the latest return's reason and time, so a plan sent back to the unit
  stays in the office's sight until the unit resubmits it (退回待重报);
* every submission and return is a line of the history of the issues it plans (the unit's
  issues of the plan's round, those not closed out at the time: a closed-out issue needs no
  task); the approval is the issue's own ``IssuePlanned`` (整改方案审定，明确任务);
* what waits for the office (待办) per unit: plans to review, issues to verify, verified issues
  to close out, and tasks the unit reported done that await their 销号 (or a return).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from xuncha_shared.contracts.names_zh import EVENT_NAMES_ZH

#: as rectification names a plan's state (``domain.plans.PLAN_STATUS_ZH``)
PLAN_STATUS_ZH = {"submitted": "已报送，待审核", "returned": "已退回修改", "approved": "已审核通过"}
PLAN_EVENT = {"submitted": "rectification.PlanSubmitted", "returned": "rectification.PlanReturned"}
CLOSED_OUT, REOPENED = "rectification.IssueClosedOut", "rectification.IssueReopened"


def _history_entry(e: dict[str, Any]) -> dict[str, Any]:
    """A submission or return as a line of an issue's history: 报送整改方案（第 2 次）,
    退回整改方案: the reason."""
    event_type = PLAN_EVENT[e["type"]]
    name = EVENT_NAMES_ZH[event_type]
    return {
        "at": e.get("at"),
        "type": event_type,
        "zh": f"{name}（第 {e['revision']} 次）" if e["type"] == "submitted" else name,
        "note": e.get("reason"),
        "report_kind": None,
        "outcome": None,
        "progress_percent": None,
        "evidence": [],
        "leader_report": None,
    }


def _closed_at(issue: dict[str, Any], at: str) -> bool:
    """Whether the issue was closed out at ``at`` (its history read up to then)."""
    closed = False
    for h in issue["history"]:
        if str(h.get("at") or "") > at:
            break
        if h["type"] in (CLOSED_OUT, REOPENED):
            closed = h["type"] == CLOSED_OUT
    return closed


def attach(
    units: dict[str, dict[str, Any]], docs: dict[str, dict[str, Any]], round_id: str | None
) -> None:
    """Lists each unit's plans (``plans``) and puts their submissions and returns in the
    history of the issues they plan (kept in time order). Plans of a unit not on the board, or
    of another round than ``round_id`` (when given), are left out."""
    plans: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in docs.values():
        plans[e["plan_id"]].append(e)
    for history in plans.values():
        history.sort(key=lambda e: e["at"])
        first = next((e for e in history if e["type"] == "submitted"), None)
        if first is None:
            continue
        unit = units.get(str(first.get("unit_id")))
        if unit is None or (round_id is not None and first.get("round_id") != round_id):
            continue
        last = history[-1]
        returns = [e for e in history if e["type"] == "returned"]
        submissions = [e for e in history if e["type"] == "submitted"]
        unit["plans"].append(
            {
                "plan_id": first["plan_id"],
                "round_id": first.get("round_id"),
                "responsible_leader": submissions[-1].get("responsible_leader"),
                "status": last["type"],
                "status_zh": PLAN_STATUS_ZH[last["type"]],
                "revisions": max(e["revision"] for e in history),
                "submitted_at": submissions[-1]["at"],
                "returns": [e.get("reason") for e in returns],
                "returned_at": returns[-1]["at"] if returns else None,
                "return_reason": returns[-1].get("reason") if returns else None,
            }
        )
        planned = [i for i in unit["issues"] if i.get("round_id") == first.get("round_id")]
        for e in history:
            if e["type"] not in PLAN_EVENT:
                continue  # the approval: the issue's own IssuePlanned says it
            for issue in planned:
                if not _closed_at(issue, str(e["at"])):
                    issue["history"].append(_history_entry(e))
    for unit in units.values():
        unit["plans"].sort(key=lambda p: p["submitted_at"])
        for issue in unit["issues"]:
            issue["history"].sort(key=lambda h: str(h.get("at") or ""))  # stable


def awaiting_office(unit: dict[str, Any]) -> dict[str, int]:
    """What waits for the office in the unit (its 待办): plans to review (``plans``), issues
    reported done to verify (``verification``), verified issues to close out (``close_out``)
    and tasks reported done to close out or return (``tasks``); ``total`` adds them up."""
    issues = unit["issues"]
    todo = {
        "plans": sum(p["status"] == "submitted" for p in unit["plans"]),
        "verification": sum(i["status"] == "reported_done" for i in issues),
        "close_out": sum(i["status"] == "verified" for i in issues),
        "tasks": sum(i["tasks_awaiting_close_out"] for i in issues),
    }
    return {**todo, "total": sum(todo.values())}
