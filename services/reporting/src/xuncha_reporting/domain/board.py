"""挂图作战 (the rectification board), computed from the ``rect_*`` documents
(``domain.rectification_docs``) when read (pure); the Excel sheets made of it (整改台账 and the
board's own) are ``domain.board_sheets``'.

* unit → issue → task → history with evidence links; each issue's state replays its events by
  time: fed back → planned → in progress → reported done → verified → closed out (a rejected
  verification, or a revisit's reopening, back to in progress: its reports start again, as in
  the rectification service's issue, so its progress is 0 until the next report and it is no
  longer declared done);
* 整改完成率 counts verified close-outs only, over the issues fed back; the self-declared rate
  (自报完成率: issues whose reports since the last rejection or reopening declared them done,
  the 整改台账's 已完成) is shown beside it, labelled;
* colours (R10): a task's due date (or, before a plan, the formal report's, R1) against today
  with the configured yellow threshold; none once the issue is reported done;
* the history names a report by its kind (整改进展报告 / 整改情况报告 / 整改完成报告) and a
  verification by its outcome (核实通过 / 核实未通过); 督办 and 红线预警 are listed under their
  unit and the issues they name, and in those issues' history (``domain.board_oversight``); a
  plan's submissions and returns in the history of the issues it plans (``domain.board_plans``);
* each issue counts its tasks reported done awaiting the office's 销号
  (``tasks_awaiting_close_out``), each unit what waits for the office in it
  (``awaiting_office``: plans to review, issues to verify or close out, tasks to close out).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH

from xuncha_reporting.domain import board_oversight, board_plans
from xuncha_reporting.domain.board_tasks import (
    OPEN,
    TASK_EVENTS,
    TASK_TYPE_ZH,
    colour,
    task_row,
    task_turn,
)
from xuncha_reporting.domain.ledger import REPORT_KIND_ZH
from xuncha_reporting.domain.rectification_docs import (
    EVENT_DOC,
    ISSUE_DOC,
    OVERSIGHT_DOC,
    PLAN_DOC,
)
from xuncha_reporting.domain.views import completion_rate

Docs = dict[str, dict[str, dict[str, Any]]]

STATUS_ZH = {
    "fed_back": "已反馈，待制定整改方案",
    "planned": "已制定整改方案",
    "in_progress": "整改中",
    "reported_done": "已报告整改完成，待核实",
    "verified": "已核实，待销号",
    "closed_out": "已对账销号",
}
#: an issue the last verification sent back, not reported done since (rectification's
#: ``domain.issue.RETURNED_ZH``)
RETURNED_ZH = "核实未通过，退回整改"
RECT_TYPE_ZH = TASK_TYPE_ZH
EVENT_ZH = {
    "rectification.IssueFedBack": "反馈问题",
    "rectification.IssuePlanned": "整改方案审定，明确任务",
    "rectification.RectificationReported": "整改报告",
    "rectification.RectificationVerified": "整改核实",
    "rectification.IssueClosedOut": "对账销号",
    "rectification.TaskOverdue": "整改任务逾期",
    "rectification.RectificationTaskCompleted": "整改任务完成",
    "rectification.RectificationTaskClosedOut": "整改任务销号",
    "rectification.RectificationTaskReturned": "整改任务退回",
    "rectification.ProgressReportOverdue": "整改进展报告逾期",
    "rectification.SupervisionOverdue": "督办逾期",
    "rectification.IssueReopened": "回头看发现反弹，重新整改",
}
#: a verification's outcome in the history (核实通过 / 核实未通过), as the audit names it
VERIFICATION_ZH: dict[str, str] = VALUE_LABELS_ZH["outcome"]
REPORTED = "rectification.RectificationReported"
#: the history entries whose evidence is the issue's own, not a task's
ISSUE_EVIDENCE = frozenset({REPORTED, "rectification.RectificationVerified"})


def history_zh(event: dict[str, Any]) -> str:
    """What an issue event is called in its history: a report by its kind, a verification by
    its outcome, the rest by type."""
    kind = str(event["type"])
    if kind == REPORTED:
        return REPORT_KIND_ZH.get(event.get("kind") or "", EVENT_ZH[kind])
    if kind == "rectification.RectificationVerified":
        return VERIFICATION_ZH.get(event.get("outcome") or "", EVENT_ZH[kind])
    return EVENT_ZH.get(kind, kind)


def _issue(
    doc: dict[str, Any], events: list[dict[str, Any]], today: date, yellow: int
) -> dict[str, Any]:
    status, verdict = "fed_back", None
    tasks: list[dict[str, Any]] = []
    mechanism, watched, reports = None, False, 0
    overdue: set[tuple[str, int]] = set()  # (task, turn)
    turns: dict[str, dict[str, Any]] = {}  # each task's own state, once it has one
    history: list[dict[str, Any]] = [
        {"at": doc.get("fed_back_at"), "type": "rectification.IssueFedBack", "zh": "反馈问题",
         "note": doc.get("description"), "evidence": []}
    ]  # fmt: skip
    open_reports: list[dict[str, Any]] = []
    for e in sorted(events, key=lambda x: (x["at"], x.get("_key", ""))):
        kind = e["type"]
        if kind == "rectification.IssuePlanned":
            tasks = list(e.get("tasks", []))
            if status == "fed_back":
                status = "planned"
        elif kind == "rectification.RectificationReported":
            reports += 1
            open_reports.append(e)
            status = "reported_done" if any(r["completed"] for r in open_reports) else "in_progress"
        elif kind == "rectification.RectificationVerified":
            verdict = e["outcome"]
            if e["outcome"] == "accepted":
                status = "verified"
            else:
                status, open_reports = "in_progress", []
        elif kind == "rectification.IssueClosedOut":
            status, mechanism, watched = "closed_out", e.get("mechanism"), e.get("watched", False)
        elif kind == "rectification.IssueReopened":  # 回头看: in progress again, reports anew
            status, open_reports = "in_progress", []
        elif kind == "rectification.TaskOverdue":
            overdue.add((e["task_id"], e.get("attempt", 1)))
        elif kind in TASK_EVENTS:
            task_turn(turns, e)
        history.append(
            {
                "at": e["at"],
                "type": kind,
                "zh": history_zh(e),
                "note": e.get("note") or e.get("reason"),
                "report_kind": e.get("kind") if kind == REPORTED else None,
                "outcome": e.get("outcome"),
                "progress_percent": e.get("progress_percent"),
                "evidence": e.get("evidence", []),
                # R1: the top leader's report that goes with the formal report
                "leader_report": e.get("leader_report") if kind == REPORTED else None,
            }
        )
    # the open reports' (since the last rejection or reopening), as the service's issue says
    progress = open_reports[-1]["progress_percent"] if open_reports else 0
    declared = any(r["completed"] for r in open_reports)
    open_ = status in OPEN
    task_rows = [
        task_row(t, turns.get(t["task_id"], {}), status, overdue, today, yellow)
        for t in sorted(tasks, key=lambda t: (t["due_on"], t["task_id"]))
    ]
    issue_colour = None
    if open_:
        dues = [t["due_on"] for t in task_rows if t["status"] == "open"]
        if not tasks and doc.get("due_date"):
            dues = [doc["due_date"]]
        issue_colour = colour(min(dues), today, yellow) if dues else None
    return {
        "issue_id": doc["_key"],
        "description": doc.get("description"),
        "rect_type": doc.get("rect_type"),
        "rect_type_zh": RECT_TYPE_ZH.get(doc.get("rect_type") or "", doc.get("rect_type")),
        "round_id": doc.get("round_id"),
        "fed_back_at": doc.get("fed_back_at"),
        "due_date": doc.get("due_date"),
        "during_stationing": doc.get("during_stationing", False),
        "status": status,
        # sent back by the last verification and not reported done since, as the unit reads it
        "status_zh": RETURNED_ZH if verdict == "rejected" and open_ else STATUS_ZH[status],
        "progress_percent": progress,
        "self_declared": declared,
        "verification": verdict,
        "mechanism": mechanism,
        "watched": watched,
        "reports": reports,
        "colour": issue_colour,
        # reported done by the unit, awaiting the office's 销号 (or its return)
        "tasks_awaiting_close_out": sum(t["status"] == "completed" for t in task_rows),
        "tasks": task_rows,
        "history": history,
    }


def _unit_key(doc: dict[str, Any]) -> str:
    """A unit by its id; one fed back before units had ids by its area and name (two counties'
    财政局 are two units on the whole city's board)."""
    return str(doc.get("unit_id") or f"name:{doc.get('jurisdiction')}:{doc.get('unit')}")


def board(
    docs: Docs, today: date, yellow: Callable[[str], int], round_id: str | None = None
) -> dict[str, Any]:
    """The board of the jurisdictions the documents were read for (optionally one round);
    ``yellow`` gives a jurisdiction's R10 threshold (days before a due date: 临期), so a board
    of the whole city colours each county's work by that county's own threshold."""
    events: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for key, e in docs.get(EVENT_DOC, {}).items():
        events[e["issue_id"]].append({**e, "_key": key})
    units: dict[str, dict[str, Any]] = {}
    for key, doc in sorted(
        docs.get(ISSUE_DOC, {}).items(), key=lambda kv: (kv[1].get("fed_back_at") or "", kv[0])
    ):
        if round_id is not None and doc.get("round_id") != round_id:
            continue
        ukey = _unit_key(doc)
        unit = units.setdefault(
            ukey,
            {
                "unit_key": ukey,
                "unit_id": doc.get("unit_id"),
                "unit": doc.get("unit"),
                "jurisdiction": doc.get("jurisdiction"),
                "issues": [],
                "plans": [],
                "supervisions": 0,
                "red_lines": 0,
            },
        )
        days = yellow(str(doc.get("jurisdiction") or ""))
        unit["issues"].append(_issue({**doc, "_key": key}, events[key], today, days))
    # 整改方案: listed under the unit, their submissions and returns in its issues' history
    board_plans.attach(units, docs.get(PLAN_DOC, {}), round_id)
    # 督办 and 红线预警: listed under the unit and the issues they name, counted
    oversight = board_oversight.attach(units, docs.get(OVERSIGHT_DOC, {}))
    out_units = []
    for unit in sorted(units.values(), key=lambda u: (u["jurisdiction"] or "", u["unit"] or "")):
        issues = unit["issues"]
        fed, closed = len(issues), sum(i["status"] == "closed_out" for i in issues)
        declared = sum(i["self_declared"] for i in issues)
        colours = {c: sum(i["colour"] == c for i in issues) for c in ("green", "yellow", "red")}
        by_status = {s: sum(i["status"] == s for i in issues) for s in STATUS_ZH}
        out_units.append(
            {
                **unit,
                "issues_fed_back": fed,
                "closed_out": closed,
                "completion_rate": completion_rate(closed, fed),
                "self_declared": declared,
                "self_declared_rate": completion_rate(declared, fed),
                "overdue_tasks": sum(t["overdue"] for i in issues for t in i["tasks"]),
                "tasks": sum(len(i["tasks"]) for i in issues),
                "tasks_closed_out": sum(
                    t["status"] == "closed_out" for i in issues for t in i["tasks"]
                ),
                "colours": colours,
                "by_status": by_status,
                "tasks_awaiting_close_out": sum(i["tasks_awaiting_close_out"] for i in issues),
                "awaiting_office": board_plans.awaiting_office(unit),
            }
        )
    fed = sum(u["issues_fed_back"] for u in out_units)
    closed = sum(u["closed_out"] for u in out_units)
    declared = sum(u["self_declared"] for u in out_units)
    return {
        "as_of": today.isoformat(),
        "round_id": round_id,
        "issues_fed_back": fed,
        "closed_out": closed,
        "completion_rate": completion_rate(closed, fed),
        "completion_rate_label": "整改完成率（核实销号数 / 反馈问题数）",
        "self_declared": declared,
        "self_declared_rate": completion_rate(declared, fed),
        "self_declared_rate_label": "自报完成率（单位自报，未经核实，仅供参考）",
        "supervisions": sum(u["supervisions"] for u in out_units),
        "red_lines": sum(u["red_lines"] for u in out_units),
        "units": out_units,
        "oversight": oversight,
    }
