"""The 挂图作战 board replays an issue's events: an issue closed out and then reopened by a
revisit (回头看) is in progress again and no longer counts as closed out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from xuncha_reporting.domain.board import Docs, board
from xuncha_reporting.domain.model import Doc
from xuncha_reporting.domain.projection import project
from xuncha_shared.contracts import rectification as r
from xuncha_shared.envelope import Actor, EventEnvelope, EventPayload
from xuncha_shared.eventstore.base import NewEvent, seal_events

LINCHUAN = "361002"
T0 = datetime(2026, 10, 12, 1, tzinfo=UTC)
ACTOR = Actor(principal_id="office-1", role="county_admin")


def env(payload: EventPayload, issue: uuid.UUID, at: datetime) -> EventEnvelope:
    [sealed] = seal_events(
        "issue", str(issue), 1, "0" * 64, [NewEvent(payload, LINCHUAN, ACTOR, occurred_at=at)], at
    )
    return sealed


def docs_of(events: list[tuple[EventPayload, datetime]], issue: uuid.UUID) -> Docs:
    docs: Docs = {}
    for payload, at in events:
        for change in project(env(payload, issue, at), payload):
            if isinstance(change, Doc):
                docs.setdefault(change.kind, {})[change.key] = change.doc
    return docs


def test_a_reopened_issue_is_in_progress_and_not_closed_out() -> None:
    issue = uuid.uuid4()
    fed = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        description="问题", due_date="2026-12-12",
    )  # fmt: skip
    done = r.RectificationReported(
        issue_id=issue, kind=r.ReportKind.FORMAL, progress_percent=100, completed=True, note="完成"
    )
    ok = r.RectificationVerified(
        issue_id=issue, outcome=r.VerificationOutcome.ACCEPTED, note="核实"
    )
    closed = r.IssueClosedOut(issue_id=issue, note="销号")
    reopened = r.IssueReopened(issue_id=issue, revisit_id=uuid.uuid4(), note="回头看发现反弹")
    steps = [fed, done, ok, closed]
    history = [(p, T0 + timedelta(days=n)) for n, p in enumerate(steps)]
    before = board(docs_of(history, issue), date(2026, 11, 1), 20)
    assert before["closed_out"] == 1
    assert before["units"][0]["issues"][0]["status"] == "closed_out"

    after = board(
        docs_of([*history, (reopened, T0 + timedelta(days=9))], issue), date(2026, 11, 1), 20
    )
    [item] = after["units"][0]["issues"]
    assert after["closed_out"] == 0 and item["status"] == "in_progress"
    assert item["history"][-1]["zh"] == "回头看发现反弹，重新整改"
