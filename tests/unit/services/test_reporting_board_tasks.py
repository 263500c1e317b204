"""The board (挂图作战) and the deadlines view follow each task of a plan on its own: reported
done, closed out, returned with a new due date (its next turn), or closed out with its issue."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from xuncha_reporting.domain.board import Docs, board
from xuncha_reporting.domain.board_sheets import LEDGER_HEADERS, board_rows, ledger_rows
from xuncha_reporting.domain.model import DeadlineEnded, DeadlineFired, DeadlineStart, Doc
from xuncha_reporting.domain.projection import project
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

pytestmark = pytest.mark.unit

LINCHUAN = "361002"
T0 = datetime(2026, 10, 12, 1, tzinfo=UTC)
ACTOR = Actor(principal_id="office-1", role="county_admin")
ISSUE = uuid.uuid4()


def env(payload: EventPayload, at: datetime) -> EventEnvelope:
    [sealed] = seal_events(
        "issue", str(ISSUE), 1, "0" * 64, [NewEvent(payload, LINCHUAN, ACTOR, occurred_at=at)], at
    )
    return sealed


def docs_of(events: list[EventPayload]) -> Docs:
    docs: Docs = {}
    for n, payload in enumerate(events):
        for change in project(env(payload, T0 + timedelta(days=n)), payload):
            if isinstance(change, Doc):
                docs.setdefault(change.kind, {})[change.key] = change.doc
    return docs


def task(due: date, measure: str) -> r.PlanTask:
    return r.PlanTask(
        task_id=uuid.uuid4(), issue_id=ISSUE, measure=measure, owner="办公室",
        type=r.TaskType.TIME_BOUND, due_on=due,
    )  # fmt: skip


FIRST, SECOND = task(date(2026, 10, 20), "修订制度"), task(date(2026, 12, 31), "追回资金")
HISTORY: list[EventPayload] = [
    r.IssueFedBack(
        issue_id=ISSUE, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        description="问题", due_date="2026-12-12",
    ),
    r.IssuePlanned(issue_id=ISSUE, plan_id=uuid.uuid4(), tasks=[FIRST, SECOND]),
    r.RectificationTaskCompleted(
        issue_id=ISSUE, task_id=FIRST.task_id, attempt=1, completed_on=date(2026, 10, 14),
        note="已修订",
    ),
]  # fmt: skip


def tasks_of(events: list[EventPayload], today: date = date(2026, 11, 1)) -> dict[str, dict]:  # type: ignore[type-arg]
    [unit] = board(docs_of(events), today, lambda _: 20)["units"]
    return {t["measure"]: t for t in unit["issues"][0]["tasks"]}


def test_a_task_reported_done_then_closed_out_has_no_colour_and_counts() -> None:
    shown = tasks_of(HISTORY)
    assert shown["修订制度"]["status"] == "completed" and shown["修订制度"]["colour"] is None
    assert shown["修订制度"]["completed_on"] == "2026-10-14"
    assert shown["追回资金"]["status"] == "open" and shown["追回资金"]["colour"] == "green"

    closed = r.RectificationTaskClosedOut(
        issue_id=ISSUE, task_id=FIRST.task_id, attempt=1, note="核对属实"
    )
    [unit] = board(docs_of([*HISTORY, closed]), date(2026, 11, 1), lambda _: 20)["units"]
    assert (unit["tasks"], unit["tasks_closed_out"]) == (2, 1)
    issue = unit["issues"][0]
    assert issue["status"] == "planned" and issue["history"][-1]["zh"] == "整改任务销号"
    # the board's workbook says each task's own state, the 整改台账 how many are closed out
    assert [row[6] for row in board_rows(unit)] == ["已销号", "整改中"]
    [ledger_row] = ledger_rows(unit)
    assert (LEDGER_HEADERS[-1], ledger_row[-1]) == ("任务销号", "1/2")


def test_a_returned_task_is_open_again_due_on_the_new_day_and_overdue_by_its_turn() -> None:
    returned = r.RectificationTaskReturned(
        issue_id=ISSUE, task_id=FIRST.task_id, attempt=2, reason="佐证不足",
        due_on=date(2026, 11, 10), owner="办公室",
    )  # fmt: skip
    first_overdue = r.TaskOverdue(
        deadline_id=uuid.uuid4(), rule_id="xunshi_2015_art27", rule_version=1,
        due_date=date(2026, 10, 20), issue_id=ISSUE, task_id=FIRST.task_id, owner="办公室",
        attempt=1,
    )  # fmt: skip
    shown = tasks_of([*HISTORY, returned, first_overdue], date(2026, 11, 5))["修订制度"]
    assert (shown["status"], shown["attempt"], shown["due_on"]) == ("open", 2, "2026-11-10")
    assert shown["planned_due_on"] == "2026-10-20" and shown["returned_reason"] == "佐证不足"
    # the first turn's overdue firing is not the second turn's
    assert shown["colour"] == "yellow" and not shown["overdue"]
    second_overdue = first_overdue.model_copy(update={"attempt": 2, "deadline_id": uuid.uuid4()})
    assert tasks_of([*HISTORY, returned, second_overdue], date(2026, 11, 11))["修订制度"]["overdue"]


def test_the_issue_close_out_closes_out_the_open_tasks_with_it() -> None:
    steps: list[EventPayload] = [
        r.RectificationReported(
            issue_id=ISSUE, kind=r.ReportKind.FORMAL, progress_percent=100, completed=True,
            note="完成",
        ),
        r.RectificationVerified(issue_id=ISSUE, outcome=r.VerificationOutcome.ACCEPTED, note="核"),
        r.IssueClosedOut(issue_id=ISSUE, note="销号"),
    ]  # fmt: skip
    shown = tasks_of([*HISTORY, *steps])
    assert {t["status"] for t in shown.values()} == {"closed_out"}


def test_the_deadlines_view_ends_a_turn_on_the_day_done_and_starts_the_next() -> None:
    done = HISTORY[2]
    [ended] = [c for c in project(env(done, T0), done) if isinstance(c, DeadlineEnded)]
    assert ended.key == f"{ISSUE}/{FIRST.task_id}"
    assert ended.at == datetime(2026, 10, 13, 16, tzinfo=UTC)  # 14 October, 00:00 in Beijing
    returned = r.RectificationTaskReturned(
        issue_id=ISSUE, task_id=FIRST.task_id, attempt=3, reason="仍未完成",
        due_on=date(2026, 11, 30), owner="办公室",
    )  # fmt: skip
    [start] = [c for c in project(env(returned, T0), returned) if isinstance(c, DeadlineStart)]
    assert (start.key, start.due_date, start.owner) == (
        f"{ISSUE}/{FIRST.task_id}/3", "2026-11-30", "办公室"
    )  # fmt: skip
    overdue = r.TaskOverdue(
        deadline_id=uuid.uuid4(), rule_id="xunshi_2015_art27", rule_version=1,
        due_date=date(2026, 11, 30), issue_id=ISSUE, task_id=FIRST.task_id, owner="办公室",
        attempt=3,
    )  # fmt: skip
    [fired] = [c for c in project(env(overdue, T0), overdue) if isinstance(c, DeadlineFired)]
    assert fired.key == start.key


def test_an_overdue_task_recorded_before_turns_is_read_as_the_first() -> None:
    old = {
        "deadline_id": str(uuid.uuid4()), "rule_id": "xunshi_2015_art27", "rule_version": 1,
        "due_date": "2026-10-20", "issue_id": str(ISSUE), "task_id": str(FIRST.task_id),
        "owner": "办公室",
    }  # fmt: skip
    upcast = r.UPCASTERS[("rectification.TaskOverdue", 1)](dict(old))
    assert r.TaskOverdue.model_validate(upcast).attempt == 1
