"""One inspected unit's rectification ledger (整改台账), built from its issues and reports (pure).

The status of each issue is decided against an **as-of date** the caller passes in (today's
date for the live view, the replayed moment's date for ``xuncha audit replay``); nothing here
reads the clock, so the same rows and the same date always give the same ledger.

* **已完成** (``completed``): a report declared the rectification complete (formal or final
  report, 100 %) and no rejected verification or revisit's reopening came after it;
* **逾期** (``overdue``): not completed, the formal 2-month report (R1) is not in and its due
  date lies before the as-of date;
* **待报告** (``awaiting_report``): fed back, not overdue, and nothing reported yet (the
  rectification pages name its stage — 待制定整改方案, 已制定整改方案 — from the plan's events,
  which the ledger does not hold: "in progress" would claim work no report shows);
* **整改中** (``in_progress``): everything else: reported and not complete, not overdue
  (progress reports only, or formally reported but not complete yet, e.g. a long-term task).

A rejected verification (核实不通过) or a revisit's reopening (回头看) sends the issue back to
整改中 and its reports start again, as the rectification service's issue does
(``xuncha_rectification.domain.model.evolve``: ``open_reports``): completion and progress are
those of the reports since the last such turn (its *open* reports), progress 0 until the next
report; the reports before it stay in the list. The turns are the issue's not-done marks
(``CaseMark``, ``done`` false, kept by ``domain.rectification_clocks``).

Dates are China Standard Time calendar dates (the due date of R1 is one).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum
from typing import Any

from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.domain import jurisdictions

from xuncha_reporting.domain.model import CaseMark, LedgerIssue, LedgerReport
from xuncha_reporting.domain.views import completion_rate

CHINA_TZ = timezone(timedelta(hours=8), "CST")  # China Standard Time, no daylight saving

#: Report kinds that are the formal report of R1 (a final report is formal too).
FORMAL_KINDS: frozenset[str] = frozenset({"formal", "final"})

RECT_TYPE_ZH: dict[str, str] = VALUE_LABELS_ZH["rect_type"]  # 立行立改 / 限期整改 / 长期坚持
#: a report's kind as every page, the ledger and the board's history name it: 整改进展报告 (R15,
#: every two weeks), the formal 整改情况报告 (R1), the final 整改完成报告
REPORT_KIND_ZH: dict[str, str] = VALUE_LABELS_ZH["kind"]


class LedgerStatus(StrEnum):
    AWAITING_REPORT = "awaiting_report"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    OVERDUE = "overdue"


STATUS_ZH: dict[LedgerStatus, str] = {
    LedgerStatus.AWAITING_REPORT: "待报告",
    LedgerStatus.IN_PROGRESS: "整改中",
    LedgerStatus.COMPLETED: "已完成",
    LedgerStatus.OVERDUE: "逾期",
}


def china_date(at: datetime) -> date:
    """The China Standard Time calendar date of ``at`` (a naive time is taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(CHINA_TZ).date()


def parse_due_date(value: str | None) -> date | None:
    """The due date of an issue; ``None`` when absent or not an ISO date (the contract only
    says "ISO date", so a malformed value must not break the ledger)."""
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _report_doc(report: LedgerReport) -> dict[str, Any]:
    return {
        "event_id": report.event_id,
        "kind": report.kind,
        "kind_zh": REPORT_KIND_ZH.get(report.kind, report.kind),
        "progress_percent": report.progress_percent,
        "completed": report.completed,
        "note": report.note,
        "reported_at": report.reported_at,
    }


def issue_entry(
    issue: LedgerIssue,
    reports: Iterable[LedgerReport],
    as_of: date,
    back_in_progress: Iterable[datetime] = (),
) -> dict[str, Any]:
    """One line of the ledger: the issue, its reports in order, its status as of ``as_of``;
    ``back_in_progress``: when a rejected verification or a reopening sent it back to 整改中."""
    ordered = sorted(reports, key=lambda r: (r.reported_at, str(r.event_id)))
    last_turn = max(back_in_progress, default=None)
    # the reports since the last turn back to 整改中 (all of them when there was none)
    open_reports = [r for r in ordered if last_turn is None or r.reported_at > last_turn]
    completed_reports = [r for r in open_reports if r.completed]
    completed = bool(completed_reports)
    formal_reported = any(r.kind in FORMAL_KINDS for r in ordered)
    due = parse_due_date(issue.due_date)
    if completed:
        status = LedgerStatus.COMPLETED
    elif due is not None and not formal_reported and due < as_of:
        status = LedgerStatus.OVERDUE
    elif ordered or last_turn is not None:
        status = LedgerStatus.IN_PROGRESS
    else:
        status = LedgerStatus.AWAITING_REPORT
    # the R1 clock runs until the formal report is in (or the issue is completed)
    clock_running = due is not None and not completed and not formal_reported
    return {
        "issue_id": issue.issue_id,
        "feedback_id": issue.feedback_id,
        "description": issue.description,
        "rect_type": issue.rect_type,
        "rect_type_zh": RECT_TYPE_ZH.get(issue.rect_type, issue.rect_type),
        "fed_back_at": issue.fed_back_at,
        "due_date": due,
        "days_left": (due - as_of).days if clock_running and due is not None else None,
        "status": status.value,
        "status_zh": STATUS_ZH[status],
        # progress never goes back between two turns (the rectification service refuses it):
        # the highest open figure is the latest; 0 after a turn until the next report, as the
        # service's issue says
        "progress_percent": max((r.progress_percent for r in open_reports), default=0),
        "completed": completed,
        "completed_at": completed_reports[0].reported_at if completed_reports else None,
        "formal_reported": formal_reported,
        "reports": [_report_doc(r) for r in ordered],
    }


def unit_ledger(
    issues: Iterable[LedgerIssue],
    reports: Iterable[LedgerReport],
    *,
    jurisdiction: str,
    unit: str,
    as_of: date,
    marks: Iterable[CaseMark] = (),
) -> dict[str, Any]:
    """The rectification ledger of ``unit`` in ``jurisdiction`` as of the date ``as_of``.

    ``issues`` and ``reports`` may hold other units' rows too (they are ignored); reports whose
    issue is not among the unit's issues are ignored as well (a report applied before its issue
    during a rebuild, say). Issues are ordered by feedback time, reports by report time.
    ``marks``: the issues' case marks; those not done (a rejected verification, a reopening)
    start their reports again (other issues' and done marks are ignored).
    """
    own = sorted(
        (i for i in issues if i.jurisdiction == jurisdiction and i.unit == unit),
        key=lambda i: (i.fed_back_at, str(i.issue_id)),
    )
    by_issue: dict[Any, list[LedgerReport]] = {i.issue_id: [] for i in own}
    for report in reports:
        if report.issue_id in by_issue:
            by_issue[report.issue_id].append(report)
    turns: dict[str, list[datetime]] = {str(i.issue_id): [] for i in own}
    for mark in marks:
        if not mark.done and mark.case_id in turns:
            turns[mark.case_id].append(mark.at)
    entries = [issue_entry(i, by_issue[i.issue_id], as_of, turns[str(i.issue_id)]) for i in own]
    counts = {status.value: 0 for status in LedgerStatus}
    for entry in entries:
        counts[entry["status"]] += 1
    return {
        "jurisdiction": jurisdiction,
        "jurisdiction_name": jurisdictions.name_of(jurisdiction),
        "unit": unit,
        "as_of": as_of,
        "issues_total": len(entries),
        "awaiting_report": counts[LedgerStatus.AWAITING_REPORT.value],
        "in_progress": counts[LedgerStatus.IN_PROGRESS.value],
        "completed": counts[LedgerStatus.COMPLETED.value],
        "overdue": counts[LedgerStatus.OVERDUE.value],
        "reports_total": sum(len(e["reports"]) for e in entries),
        "completion_rate": completion_rate(counts[LedgerStatus.COMPLETED.value], len(entries)),
        "issues": entries,
    }
