"""After a rejected verification (核实不通过) or a revisit's reopening (回头看) an issue is 整改中
again (核实未通过，退回整改 after a rejection, until reported done again) and its reports start
again: the rectification service's issue (the 问题清单, 本单位整改),
reporting's 整改台账 (``/views/ledger``), the 挂图作战 board and the Excel ledger
(``/views/rectification-ledger``, ``/exports/ledger.xlsx``) all give it one state and one
progress figure: that of the reports since the turn, 0 until the next one."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from xuncha_rectification.domain.issue import Issue, IssueStatus
from xuncha_rectification.domain.model import evolve
from xuncha_reporting.domain.board import Docs, board
from xuncha_reporting.domain.board_sheets import ledger_rows
from xuncha_reporting.domain.ledger import unit_ledger
from xuncha_reporting.domain.model import CaseMark, Doc, LedgerIssue, LedgerReport
from xuncha_reporting.domain.projection import project
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

LINCHUAN = "361002"
UNIT = "临川区某局"
T0 = datetime(2026, 10, 12, 1, tzinfo=UTC)
AS_OF = date(2026, 11, 1)  # before the R1 due date: nothing is overdue
ACTOR = Actor(principal_id="office-1", role="county_admin")
ISSUE = uuid.UUID(int=1)


def env(payload: EventPayload, at: datetime) -> EventEnvelope:
    [sealed] = seal_events(
        "issue", str(ISSUE), 1, "0" * 64, [NewEvent(payload, LINCHUAN, ACTOR, occurred_at=at)], at
    )
    return sealed


FED = r.IssueFedBack(
    issue_id=ISSUE, feedback_id=uuid.UUID(int=2), jurisdiction=LINCHUAN, unit=UNIT,
    description="议事规则不健全", due_date="2026-12-12",
)  # fmt: skip


def reported(kind: r.ReportKind, percent: int, completed: bool = False) -> r.RectificationReported:
    return r.RectificationReported(
        issue_id=ISSUE, kind=kind, progress_percent=percent, completed=completed, note="报告"
    )


def verified(outcome: r.VerificationOutcome) -> r.RectificationVerified:
    return r.RectificationVerified(issue_id=ISSUE, outcome=outcome, note="核实")


DONE = reported(r.ReportKind.FORMAL, 100, completed=True)
REJECTED = verified(r.VerificationOutcome.REJECTED)
ACCEPTED = verified(r.VerificationOutcome.ACCEPTED)
CLOSED = r.IssueClosedOut(issue_id=ISSUE, note="销号")
REOPENED = r.IssueReopened(
    issue_id=ISSUE, revisit_id=uuid.UUID(int=3), note="回头看发现反弹", was_closed_out=True
)


def views(steps: list[EventPayload]) -> dict[str, Any]:
    """Every view of the issue after ``steps`` (one a day), each as (state, progress)."""
    state = Issue()
    issues: list[LedgerIssue] = []
    reports: list[LedgerReport] = []
    marks: list[CaseMark] = []
    docs: Docs = {}
    for n, payload in enumerate(steps):
        at = T0 + timedelta(days=n)
        state = evolve(state, payload, at)
        for change in project(env(payload, at), payload):
            match change:
                case LedgerIssue():
                    issues.append(change)
                case LedgerReport():
                    reports.append(change)
                case CaseMark():
                    marks.append(change)
                case Doc():
                    docs.setdefault(change.kind, {})[change.key] = change.doc
    ledger = unit_ledger(
        issues, reports, jurisdiction=LINCHUAN, unit=UNIT, as_of=AS_OF, marks=marks
    )
    [entry] = ledger["issues"]
    the_board = board(docs, AS_OF, lambda _: 20)
    [unit] = the_board["units"]
    [item] = unit["issues"]
    [row] = ledger_rows(unit)
    return {
        "issue": (state.status.value, state.progress_percent, state.completed),
        "ledger": (entry["status"], entry["progress_percent"], entry["completed"]),
        "ledger_counts": (ledger["completed"], ledger["in_progress"], ledger["completion_rate"]),
        "board": (item["status"], item["progress_percent"], item["self_declared"]),
        "board_rates": (unit["self_declared"], unit["self_declared_rate"]),
        # 整改状态, 整改进度(%), 核实结果 of the Excel sheet
        "excel": (row[8], row[9], row[12]),
    }


def test_a_rejected_verification_is_in_progress_at_0_in_every_view() -> None:
    seen = views([FED, reported(r.ReportKind.PROGRESS, 40), DONE, REJECTED])
    assert seen["issue"] == (IssueStatus.IN_PROGRESS.value, 0, False)
    assert seen["ledger"] == ("in_progress", 0, False)
    # the unit's header: no longer 已完成, nor counted in 自报完成率
    assert seen["ledger_counts"] == (0, 1, 0.0)
    assert seen["board"] == ("in_progress", 0, False)
    assert seen["board_rates"] == (0, 0.0)
    # said as sent back, by the workbook as by the unit's own list (rectification's words)
    assert seen["excel"] == ("核实未通过，退回整改", 0, "核实未通过")


def test_reports_after_a_rejection_start_again() -> None:
    steps = [FED, DONE, REJECTED, reported(r.ReportKind.PROGRESS, 60)]
    seen = views(steps)
    assert seen["issue"] == ("in_progress", 60, False)
    assert seen["ledger"] == ("in_progress", 60, False)
    assert seen["board"] == ("in_progress", 60, False)
    assert seen["excel"] == ("核实未通过，退回整改", 60, "核实未通过")

    done_again = views([*steps, reported(r.ReportKind.FINAL, 100, completed=True)])
    assert done_again["issue"] == ("reported_done", 100, True)
    assert done_again["ledger"] == ("completed", 100, True)
    assert done_again["ledger_counts"] == (1, 0, 1.0)
    assert done_again["board"] == ("reported_done", 100, True)


def test_an_accepted_verification_and_the_close_out_keep_the_completion() -> None:
    seen = views([FED, DONE, REJECTED, DONE, ACCEPTED, CLOSED])
    assert seen["issue"] == ("closed_out", 100, True)
    assert seen["ledger"] == ("completed", 100, True)
    assert seen["board"] == ("closed_out", 100, True)
    assert seen["excel"] == ("已对账销号", 100, "核实通过")


def test_a_reopened_issue_is_in_progress_at_0_in_every_view() -> None:
    seen = views([FED, DONE, ACCEPTED, CLOSED, REOPENED])
    assert seen["issue"] == ("in_progress", 0, False)
    assert seen["ledger"] == ("in_progress", 0, False)
    assert seen["ledger_counts"] == (0, 1, 0.0)
    assert seen["board"] == ("in_progress", 0, False)
    assert seen["excel"] == ("整改中", 0, "核实通过")


def test_the_turn_holds_whatever_order_the_rows_arrive_in() -> None:
    """The marks are rows of their own: a rebuild may apply them before the reports."""
    issue = LedgerIssue(ISSUE, uuid.UUID(int=2), LINCHUAN, UNIT, "问题", "time_bound",
                        "2026-12-12", T0, uuid.UUID(int=9))  # fmt: skip

    def report(n: int, percent: int, completed: bool) -> LedgerReport:
        at = T0 + timedelta(days=n)
        return LedgerReport(uuid.UUID(int=100 + n), ISSUE, LINCHUAN, "formal", percent,
                            completed, "报告", at)  # fmt: skip

    rows = [report(1, 100, True), report(3, 50, False)]
    turn = CaseMark(str(ISSUE), uuid.UUID(int=200), T0 + timedelta(days=2), False)
    done_mark = CaseMark(str(ISSUE), uuid.UUID(int=201), T0 + timedelta(days=1), True)
    for marks in ([turn, done_mark], [done_mark, turn]):
        for reports in (rows, rows[::-1]):
            doc = unit_ledger(
                [issue], reports, jurisdiction=LINCHUAN, unit=UNIT, as_of=AS_OF, marks=marks
            )
            [entry] = doc["issues"]
            assert (entry["status"], entry["progress_percent"]) == ("in_progress", 50)
            assert entry["completed_at"] is None and len(entry["reports"]) == 2


def test_the_workbooks_feedback_date_is_the_day_in_beijing() -> None:
    """Fed back at 04:20 on 4 December in Beijing (20:20 UTC on the 3rd): the sheet says the
    4th, the day the unit was told."""
    issue = {
        "description": "问题",
        "rect_type_zh": "限期整改",
        "fed_back_at": "2026-12-03T20:20:00+00:00",
        "due_date": "2027-02-04",
        "tasks": [],
        "status_zh": "已反馈",
        "progress_percent": 0,
        "colour": "green",
        "reports": 0,
        "verification": None,
        "mechanism": None,
        "history": [],
    }
    [row] = ledger_rows({"issues": [issue]})
    assert row[3] == "2026-12-04"
    [undated] = ledger_rows({"issues": [{**issue, "fed_back_at": None}]})
    assert undated[3] is None


def test_a_sent_back_issue_is_said_alike_by_both_services() -> None:
    """Reporting's board says a sent-back issue in rectification's words (the services share
    no code but ``xuncha_shared``)."""
    from xuncha_rectification.domain.issue import RETURNED_ZH as RECTIFICATION_SAYS
    from xuncha_reporting.domain.board import RETURNED_ZH as BOARD_SAYS

    assert BOARD_SAYS == RECTIFICATION_SAYS == "核实未通过，退回整改"
