"""The 挂图作战 board replays an issue's events: an issue closed out and then reopened by a
revisit (回头看) is in progress again and no longer counts as closed out."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from xuncha_reporting.domain.board import Docs, board
from xuncha_reporting.domain.model import Doc, Fact
from xuncha_reporting.domain.projection import project
from xuncha_reporting.domain.views import linked_view
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
    reopened = r.IssueReopened(
        issue_id=issue, revisit_id=uuid.uuid4(), note="回头看发现反弹", was_closed_out=True
    )
    steps = [fed, done, ok, closed]
    history = [(p, T0 + timedelta(days=n)) for n, p in enumerate(steps)]
    before = board(docs_of(history, issue), date(2026, 11, 1), lambda _: 20)
    assert before["closed_out"] == 1
    assert before["units"][0]["issues"][0]["status"] == "closed_out"

    after = board(
        docs_of([*history, (reopened, T0 + timedelta(days=9))], issue),
        date(2026, 11, 1),
        lambda _: 20,
    )
    [item] = after["units"][0]["issues"]
    assert after["closed_out"] == 0 and item["status"] == "in_progress"
    assert item["history"][-1]["zh"] == "回头看发现反弹，重新整改"


def _counters(
    events: list[tuple[EventPayload, datetime]], issue: uuid.UUID
) -> dict[tuple[str, str], int]:
    """The linked view's counters as the projection's facts make them (each fact once)."""
    facts: set[tuple[str, str, str]] = set()
    for payload, at in events:
        for change in project(env(payload, issue, at), payload):
            if isinstance(change, Fact):
                facts.add((change.jurisdiction, change.metric.value, change.key))
    counters: dict[tuple[str, str], int] = {}
    for jurisdiction, metric, _ in facts:
        counters[(jurisdiction, metric)] = counters.get((jurisdiction, metric), 0) + 1
    return counters


def test_the_linked_view_takes_back_a_close_out_a_revisit_reopened() -> None:
    """整改完成率 counts issues closed out now: a reopening after a close-out takes it back, a
    second close-out counts again, a reopening of an issue only verified changes nothing."""
    issue = uuid.uuid4()
    fed = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        description="问题", due_date="2026-12-12",
    )  # fmt: skip
    closed = r.IssueClosedOut(issue_id=issue, note="销号")
    revisit = uuid.uuid4()

    def reopened(was_closed_out: bool) -> r.IssueReopened:
        return r.IssueReopened(
            issue_id=issue, revisit_id=revisit, note="反弹", was_closed_out=was_closed_out
        )

    def closed_out(steps: list[EventPayload]) -> int:
        history = [(p, T0 + timedelta(days=n)) for n, p in enumerate(steps)]
        county = next(
            c for c in linked_view(_counters(history, issue))["counties"]
            if c["jurisdiction"] == LINCHUAN
        )  # fmt: skip
        return int(county["issues_closed_out"])

    assert closed_out([fed, closed]) == 1
    assert closed_out([fed, closed, reopened(True)]) == 0
    assert closed_out([fed, closed, reopened(True), closed]) == 1
    assert closed_out([fed, reopened(False)]) == 0  # only verified: nothing to take back
    assert closed_out([fed, reopened(False), closed]) == 1


def test_a_v1_reopening_reads_as_not_closed_out() -> None:
    assert r.upcast_issue_reopened_v1({"issue_id": "x"})["was_closed_out"] is False


def test_the_linked_view_takes_back_a_completion_a_rejection_or_a_reopening_withdrew() -> None:
    """自报完成 counts the issues declared complete now, as the board does: a rejected
    verification or a revisit's reopening withdraws the declaration, a new one counts again,
    two completed reports of one attempt count once. The events come from the rectification
    service's own decisions (``attempt`` set by ``decide_report``)."""
    from xuncha_rectification.domain.commands import ReportRectification, VerifyRectification
    from xuncha_rectification.domain.issue import Issue
    from xuncha_rectification.domain.model import decide_report, decide_verify, evolve
    from xuncha_rectification.domain.revisits import decide_reopen

    issue_id = uuid.uuid4()
    fed = r.IssueFedBack(
        issue_id=issue_id, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        description="问题", due_date="2026-12-12",
    )  # fmt: skip
    state = evolve(Issue(), fed)
    history: list[tuple[EventPayload, datetime]] = [(fed, T0)]

    def apply(events: list[EventPayload]) -> None:
        nonlocal state
        for event in events:
            state = evolve(state, event)
            history.append((event, T0 + timedelta(days=len(history))))

    def report(kind: r.ReportKind) -> None:
        done = ReportRectification(kind, 100, True, "已完成", leader_report="已部署")  # R1
        apply(decide_report(state, done))

    def verify(outcome: r.VerificationOutcome) -> None:
        apply(decide_verify(state, VerifyRectification(outcome, "核实")))

    def declared() -> int:
        county = next(
            c for c in linked_view(_counters(history, issue_id))["counties"]
            if c["jurisdiction"] == LINCHUAN
        )  # fmt: skip
        return int(county["issues_completed"])

    report(r.ReportKind.FORMAL)
    report(r.ReportKind.FINAL)  # the same attempt: still one issue declared complete
    assert declared() == 1
    verify(r.VerificationOutcome.REJECTED)
    assert declared() == 0 == state.completed
    report(r.ReportKind.FINAL)
    assert declared() == 1
    verify(r.VerificationOutcome.ACCEPTED)
    assert declared() == 1
    apply(decide_reopen(state, uuid.uuid4(), "回头看发现反弹"))
    assert declared() == 0
    report(r.ReportKind.FINAL)
    assert declared() == 1
    reports = [p for p, _ in history if isinstance(p, r.RectificationReported)]
    assert [p.attempt for p in reports] == [1, 1, 2, 3]


def test_a_v2_report_reads_without_its_attempt() -> None:
    assert r.upcast_rectification_reported_v2({"issue_id": "x"})["attempt"] is None


def test_a_report_from_before_schema_3_and_a_later_one_of_the_same_attempt_count_once() -> None:
    """A deployment upgraded mid-case: a v2 report (no attempt) declared the issue complete,
    then a v3 final report of the same (first) attempt did too: one issue declared complete;
    after a rejection none; after the next attempt's completion one again."""
    issue = uuid.uuid4()
    fed = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        description="问题", due_date="2026-12-12",
    )  # fmt: skip

    def done(kind: r.ReportKind, attempt: int | None) -> r.RectificationReported:
        return r.RectificationReported(
            issue_id=issue, kind=kind, progress_percent=100, completed=True, note="完成",
            attempt=attempt,
        )  # fmt: skip

    rejected = r.RectificationVerified(
        issue_id=issue, outcome=r.VerificationOutcome.REJECTED, note="退回"
    )

    def declared(steps: list[EventPayload]) -> int:
        history = [(p, T0 + timedelta(days=n)) for n, p in enumerate(steps)]
        county = next(
            c for c in linked_view(_counters(history, issue))["counties"]
            if c["jurisdiction"] == LINCHUAN
        )  # fmt: skip
        return int(county["issues_completed"])

    legacy, final = done(r.ReportKind.FORMAL, None), done(r.ReportKind.FINAL, 1)
    assert declared([fed, legacy, final]) == 1
    assert declared([fed, legacy, final, rejected]) == 0
    assert declared([fed, legacy, final, rejected, done(r.ReportKind.FINAL, 2)]) == 1
