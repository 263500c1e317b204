"""Durable deadlines against the real PostgreSQL: each firing happens exactly once (also with a
worker SIGKILLed between its append and its commit, and with workers racing), a satisfied
deadline never fires, late satisfaction is ``met_late``, a new rule version affects only new
deadlines, and a provisional due date is recomputed (with an event) when its year's data
arrives. Time is a ``ManualClock``: no test waits for a real deadline."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import textwrap
import uuid
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from xuncha_shared.clocks import SCHEMA, Clocks, DeadlineKind, DeadlineWorker, ManualClock
from xuncha_shared.clocks.calendar import CalendarSource
from xuncha_shared.clocks.clock import CST
from xuncha_shared.clocks.deadlines import Deadline, DeadlineState
from xuncha_shared.clocks.rules import (
    R1_RECTIFICATION_REPORT,
    R8_ACCEPTANCE_NOTICE,
    RULES,
    DeadlineRule,
    RuleKind,
    WarningPolicy,
)
from xuncha_shared.contracts import REGISTRY, intake, rectification
from xuncha_shared.contracts.common import WarningColour
from xuncha_shared.db import create_pool
from xuncha_shared.envelope import Actor
from xuncha_shared.eventstore import NO_STREAM, NewEvent, PostgresEventStore

REPO = Path(__file__).resolve().parents[2]
JURISDICTION = "330102"
ACTOR = Actor(principal_id="officer-1", role="office_staff")
FEEDBACK_AT = datetime(2026, 9, 30, 10, tzinfo=CST)  # R1 due 2026-11-30


def rect_warning(d: Deadline, colour: str) -> rectification.DeadlineWarningRaised:
    return rectification.DeadlineWarningRaised(
        deadline_id=d.deadline_id, rule_id=d.rule_id, rule_version=d.rule_version,
        due_date=d.due_date, issue_id=uuid.UUID(d.aggregate_id), unit=d.owner,
        colour=WarningColour(colour),
    )  # fmt: skip


def rect_overdue(d: Deadline) -> rectification.RectificationOverdue:
    return rectification.RectificationOverdue(
        deadline_id=d.deadline_id, rule_id=d.rule_id, rule_version=d.rule_version,
        due_date=d.due_date, issue_id=uuid.UUID(d.aggregate_id), unit=d.owner,
    )  # fmt: skip


def rect_recomputed(d: Deadline, previous: date) -> rectification.DeadlineRecomputed:
    return rectification.DeadlineRecomputed(
        deadline_id=d.deadline_id, deadline_kind=d.kind, rule_id=d.rule_id,
        rule_version=d.rule_version, previous_due_date=previous, due_date=d.due_date,
        calendar_version=d.calendar_version,
    )  # fmt: skip


FORMAL_REPORT = DeadlineKind(
    name="rectification.formal_report",
    rule_id=R1_RECTIFICATION_REPORT,
    stream_type="issue",
    waits_for="rectification.RectificationReported(kind=formal)",
    warning=rect_warning,
    overdue=rect_overdue,
    recomputed=rect_recomputed,
)

ACCEPTANCE_NOTICE = DeadlineKind(
    name="intake.acceptance_notice",
    rule_id=R8_ACCEPTANCE_NOTICE,
    stream_type="petition",
    waits_for="intake.InformantNotified",
    overdue=lambda d: intake.AcceptanceNoticeOverdue(
        deadline_id=d.deadline_id,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        due_date=d.due_date,
        petition_id=uuid.UUID(d.aggregate_id),
    ),
    recomputed=lambda d, previous: intake.DeadlineRecomputed(
        deadline_id=d.deadline_id,
        deadline_kind=d.kind,
        rule_id=d.rule_id,
        rule_version=d.rule_version,
        previous_due_date=previous,
        due_date=d.due_date,
        calendar_version=d.calendar_version,
    ),
)

#: an illustrative 2027 schedule (NOT the official one), as tests/unit/test_calendar.py uses
TEST_2027 = {
    "year": 2027,
    "source": "test data",
    "holidays": {"2027-01-01": "元旦", "2027-01-04": "元旦"},
    "makeup_days": {"2027-01-09": "元旦"},
}


def make_clocks(service: str, clock: ManualClock, calendar_dir: Path, rules=RULES) -> Clocks:
    return Clocks(
        service,
        calendar=CalendarSource([calendar_dir]),
        rules=rules,
        warnings=WarningPolicy.from_rules(rules, on=date(2026, 1, 1)),
        now=clock,
    )


@pytest.fixture
async def db(fresh_db):
    async with fresh_db.pool.acquire() as conn:
        await conn.execute(SCHEMA)
    return fresh_db


async def feed_back(db, clocks: Clocks, *, unit: str = "某某局", at: datetime = FEEDBACK_AT):
    """IssueFedBack and its R1 deadline, in one transaction (as the service will do it)."""
    store = PostgresEventStore(db.pool)
    issue_id = uuid.uuid4()
    payload = rectification.IssueFedBack(
        issue_id=issue_id, feedback_id=uuid.uuid4(), jurisdiction=JURISDICTION, unit=unit,
        description="问题描述",
    )  # fmt: skip
    async with db.pool.acquire() as conn, conn.transaction():
        [stored] = await store.append(
            "issue", str(issue_id), NO_STREAM,
            [NewEvent(payload, JURISDICTION, ACTOR, occurred_at=at)], conn=conn,
        )  # fmt: skip
        deadline = await clocks.start(
            conn, FORMAL_REPORT, key=str(issue_id), jurisdiction=JURISDICTION,
            stream_id=str(issue_id), aggregate_id=str(issue_id), owner=unit,
            started_at=at, started_by=stored.event_id,
        )  # fmt: skip
    return issue_id, deadline


async def events_of(db, event_type: str) -> list[dict]:
    rows = await db.pool.fetch(
        "SELECT event_id, stream_id, occurred_at, payload FROM events WHERE event_type = $1 "
        "ORDER BY global_position",
        event_type,
    )
    return [dict(r) for r in rows]


async def get(db, clocks: Clocks, kind: str, key: str) -> Deadline:
    async with db.pool.acquire() as conn:
        deadline = await clocks.get(conn, kind, key)
    assert deadline is not None
    return deadline


async def test_warnings_and_overdue_fire_once_each(db, tmp_path):
    clock = ManualClock(FEEDBACK_AT)
    clocks = make_clocks("rectification", clock, tmp_path)
    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), clocks, [FORMAL_REPORT])
    issue_id, started = await feed_back(db, clocks)
    assert (started.rule_id, started.rule_version) == (R1_RECTIFICATION_REPORT, 1)
    assert started.due_date == date(2026, 11, 30)
    assert started.calendar_version == "chinesecalendar-1.11.0"
    assert not started.provisional
    assert started.state is DeadlineState.RUNNING

    assert await worker.fire_due() == []
    clock.set(datetime(2026, 11, 9, 23, 59, tzinfo=CST))
    assert await worker.fire_due() == []  # yellow comes 20 days before the due date
    clock.set(datetime(2026, 11, 10, 0, 0, tzinfo=CST))
    assert [f.stage.value for f in await worker.fire_due()] == ["yellow"]
    assert await worker.fire_due() == []
    clock.set(datetime(2026, 11, 30, 9, tzinfo=CST))
    assert [f.stage.value for f in await worker.fire_due()] == ["red"]
    clock.set(datetime(2026, 12, 1, 0, 0, 1, tzinfo=CST))
    assert [f.stage.value for f in await worker.fire_due()] == ["overdue"]
    clock.advance(timedelta(days=400))
    assert await worker.fire_due() == []

    warnings = await events_of(db, "rectification.DeadlineWarningRaised")
    assert [w["payload"]["colour"] for w in warnings] == ["yellow", "red"]
    [overdue] = await events_of(db, "rectification.RectificationOverdue")
    assert overdue["stream_id"] == str(issue_id)  # on the issue's stream, to its topic
    assert overdue["payload"]["due_date"] == "2026-11-30"
    assert overdue["payload"]["rule_id"] == R1_RECTIFICATION_REPORT
    assert overdue["occurred_at"] == datetime(2026, 12, 1, tzinfo=CST)  # when it became due
    final = await get(db, clocks, FORMAL_REPORT.name, str(issue_id))
    assert final.state is DeadlineState.OVERDUE
    assert final.overdue_event_id == overdue["event_id"]
    stream = await PostgresEventStore(db.pool).read_stream(str(issue_id))
    assert [e.event_type for e in stream] == [
        "rectification.IssueFedBack",
        "rectification.DeadlineWarningRaised",
        "rectification.DeadlineWarningRaised",
        "rectification.RectificationOverdue",
    ]
    assert all(e.compute_hash() == e.hash for e in stream)
    for e in stream:
        REGISTRY.decode(e)  # every firing is a valid contract event
    assert stream[-1].causation_id == stream[0].event_id


async def test_worker_down_past_due_fires_overdue_once_without_stale_warnings(db, tmp_path):
    clock = ManualClock(FEEDBACK_AT)
    clocks = make_clocks("rectification", clock, tmp_path)
    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), clocks, [FORMAL_REPORT])
    await feed_back(db, clocks)
    clock.set(datetime(2027, 3, 1, tzinfo=CST))
    assert [f.stage.value for f in await worker.fire_due()] == ["overdue"]
    assert await events_of(db, "rectification.DeadlineWarningRaised") == []


async def test_satisfied_deadline_never_fires_and_late_one_is_met_late(db, tmp_path):
    clock = ManualClock(FEEDBACK_AT)
    clocks = make_clocks("rectification", clock, tmp_path)
    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), clocks, [FORMAL_REPORT])
    on_time, _ = await feed_back(db, clocks, unit="甲单位")
    late, _ = await feed_back(db, clocks, unit="乙单位")
    late_unfired, _ = await feed_back(db, clocks, unit="丙单位")

    async with db.pool.acquire() as conn, conn.transaction():
        met = await clocks.satisfy(
            conn, FORMAL_REPORT.name, str(on_time), at=datetime(2026, 11, 30, 23, 59, tzinfo=CST)
        )
    assert met is not None and met.state is DeadlineState.MET

    clock.set(datetime(2026, 12, 2, tzinfo=CST))
    fired = await worker.fire_due()
    assert {f.stage.value for f in fired} == {"overdue"}
    assert len(fired) == 2  # 乙 and 丙, not the satisfied one
    async with db.pool.acquire() as conn, conn.transaction():
        late_met = await clocks.satisfy(conn, FORMAL_REPORT.name, str(late))
        again = await clocks.satisfy(conn, FORMAL_REPORT.name, str(late))
    assert late_met is not None and late_met.state is DeadlineState.MET_LATE
    assert again is None  # already ended

    # satisfied after the due date although no worker fired it: met_late, and it never fires
    other, _ = await feed_back(db, clocks, unit="丁单位", at=datetime(2026, 10, 8, tzinfo=CST))
    async with db.pool.acquire() as conn, conn.transaction():
        ended = await clocks.satisfy(
            conn, FORMAL_REPORT.name, str(other), at=datetime(2026, 12, 9, tzinfo=CST)
        )
    assert ended is not None and ended.state is DeadlineState.MET_LATE
    clock.set(datetime(2027, 6, 1, tzinfo=CST))
    assert await worker.fire_due() == []
    overdue_streams = {
        e["stream_id"] for e in await events_of(db, "rectification.RectificationOverdue")
    }
    assert overdue_streams == {str(late), str(late_unfired)}
    async with db.pool.acquire() as conn:
        met_rows = await clocks.list(conn, jurisdiction="3301__", states=["met", "met_late"])
    assert sorted((d.owner, d.state.value) for d in met_rows) == [
        ("丁单位", "met_late"), ("乙单位", "met_late"), ("甲单位", "met"),
    ]  # fmt: skip


async def test_rule_version_change_affects_only_new_deadlines(db, tmp_path):
    clock = ManualClock(FEEDBACK_AT)
    old_book = make_clocks("rectification", clock, tmp_path)
    running, before = await feed_back(db, old_book)
    assert (before.rule_version, before.due_date) == (1, date(2026, 11, 30))

    v2 = DeadlineRule(
        R1_RECTIFICATION_REPORT, 2, date(2026, 10, 1), RuleKind.CALENDAR_MONTHS, 1, ("R1",),
        "test: one month", "test",
    )  # fmt: skip
    new_book = make_clocks("rectification", clock, tmp_path, rules=RULES.with_rules([v2]))
    _, kept = await feed_back(db, new_book, at=FEEDBACK_AT + timedelta(hours=1))
    assert (kept.rule_version, kept.due_date) == (1, date(2026, 11, 30))  # started before 1 Oct
    new, started = await feed_back(db, new_book, at=datetime(2026, 10, 8, 9, tzinfo=CST))
    assert (started.rule_version, started.due_date) == (2, date(2026, 11, 8))

    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), new_book, [FORMAL_REPORT])
    clock.set(datetime(2026, 11, 9, 0, 1, tzinfo=CST))
    fired = {f.stage.value: f for f in await worker.fire_due()}
    assert set(fired) == {"overdue"}  # the v2 deadline; the v1 ones are not even yellow yet
    assert (await get(db, new_book, FORMAL_REPORT.name, str(new))).state is DeadlineState.OVERDUE
    still = await get(db, new_book, FORMAL_REPORT.name, str(running))
    assert (still.rule_version, still.due_date, still.state) == (
        1, date(2026, 11, 30), DeadlineState.RUNNING,
    )  # fmt: skip
    [overdue] = await events_of(db, "rectification.RectificationOverdue")
    assert overdue["payload"]["rule_version"] == 2


async def test_provisional_due_date_recomputed_when_the_year_arrives(db, tmp_path):
    clock = ManualClock(datetime(2026, 12, 20, 10, tzinfo=CST))
    clocks = make_clocks("intake", clock, tmp_path)
    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), clocks, [ACCEPTANCE_NOTICE])
    petition_id = uuid.uuid4()
    async with db.pool.acquire() as conn, conn.transaction():
        started = await clocks.start(
            conn, ACCEPTANCE_NOTICE, key=str(petition_id), jurisdiction=JURISDICTION,
            stream_id=str(petition_id), aggregate_id=str(petition_id), owner="县委巡察办",
        )  # fmt: skip
    assert started.provisional
    assert started.due_date == date(2027, 1, 8)  # weekends only
    assert await worker.recompute_provisional() == []  # 2027 still unknown

    (tmp_path / "2027.json").write_text(json.dumps(TEST_2027), encoding="utf-8")
    assert await worker.recompute_provisional() == [started.deadline_id]
    assert await worker.recompute_provisional() == []  # once
    assert await worker.recompute_provisional(force=True) == []  # nothing provisional left
    now = await get(db, clocks, ACCEPTANCE_NOTICE.name, str(petition_id))
    assert not now.provisional
    assert now.due_date == date(2027, 1, 11)
    assert now.calendar_version.startswith("chinesecalendar-1.11.0+2027@")
    [recomputed] = await events_of(db, "intake.DeadlineRecomputed")
    assert recomputed["stream_id"] == str(petition_id)
    assert recomputed["payload"]["previous_due_date"] == "2027-01-08"
    assert recomputed["payload"]["due_date"] == "2027-01-11"

    clock.set(datetime(2027, 1, 9, 12, tzinfo=CST))  # the old date has passed, the new not
    assert await worker.fire_due() == []
    clock.set(datetime(2027, 1, 12, tzinfo=CST))
    assert [f.stage.value for f in await worker.fire_due()] == ["overdue"]
    [overdue] = await events_of(db, "intake.AcceptanceNoticeOverdue")
    assert overdue["payload"]["due_date"] == "2027-01-11"


class ShiftedClock:
    """The real clock moved to ``at`` at construction: it keeps running with real time, so a
    deadline ``seconds`` ahead of it is due ``seconds`` of real time later."""

    def __init__(self, at: datetime) -> None:
        self.offset = at - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def counting_passes(worker: DeadlineWorker) -> list[datetime | None]:
    """Each look of the running worker at the earliest open deadline (``next_due``)."""
    seen: list[datetime | None] = []
    next_due = worker.next_due

    async def counted() -> datetime | None:
        due = await next_due()
        seen.append(due)
        return due

    worker.next_due = counted  # type: ignore[method-assign]
    return seen


async def wait_for_events(db, event_type: str, n: int, seconds: float = 60) -> list[dict]:
    deadline = asyncio.get_running_loop().time() + seconds
    while len(found := await events_of(db, event_type)) < n:
        assert asyncio.get_running_loop().time() < deadline, f"no {event_type} after {seconds}s"
        await asyncio.sleep(0.1)
    return found


async def test_the_running_worker_catches_up_at_once_after_being_down(db, tmp_path):
    """Started after a stage fell due (the service was down): its first pass fires it."""
    clocks = make_clocks("rectification", ManualClock(FEEDBACK_AT), tmp_path)
    _, started = await feed_back(db, clocks)
    clocks.now = ShiftedClock(started.yellow_at + timedelta(hours=1))
    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), clocks, [FORMAL_REPORT])
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, poll_interval=1.0, idle_interval=600))
    try:
        [warning] = await wait_for_events(db, "rectification.DeadlineWarningRaised", 1)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    assert warning["payload"]["colour"] == "yellow"


async def test_the_running_worker_sleeps_until_the_next_due_moment(db, tmp_path):
    """Idle, it neither polls nor misses: a commit that starts a deadline wakes it (the events
    channel), it then sleeps until that deadline's first stage is due and fires it, with no
    look in between but the early ones. The idle interval (600 s) is far beyond the test."""
    clocks = make_clocks("rectification", ManualClock(FEEDBACK_AT), tmp_path)
    worker = DeadlineWorker(db.pool, PostgresEventStore(db.pool), clocks, [FORMAL_REPORT])
    yellow_at = datetime(2026, 11, 10, 0, 0, tzinfo=CST)  # of a deadline fed back at FEEDBACK_AT
    clocks.now = ShiftedClock(yellow_at - timedelta(seconds=4))
    passes = counting_passes(worker)
    stop = asyncio.Event()
    task = asyncio.create_task(worker.run(stop, poll_interval=1.0, idle_interval=600))
    try:
        while not passes:  # the first pass: no open deadline, so it sleeps the idle interval
            await asyncio.sleep(0.05)
        assert passes == [None]
        _, started = await feed_back(db, clocks)  # an event and its deadline: one commit
        assert started.yellow_at == yellow_at
        assert clocks.now() < yellow_at  # not due yet when it was started
        [warning] = await wait_for_events(db, "rectification.DeadlineWarningRaised", 1)
        assert warning["payload"]["colour"] == "yellow"
        assert warning["occurred_at"] == yellow_at
        await asyncio.sleep(1.5)  # the commit of the firing wakes it once more, then it sleeps
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)
    # woken by the start's commit, then by the due moment (a timer may wake it a hair early
    # once), then by the firing's own commit: a handful of looks, not one per second
    assert 3 <= len(passes) <= 6, passes
    assert passes[1] == yellow_at


async def test_two_workers_racing_fire_each_deadline_once(db, tmp_path):
    total = 240
    clock = ManualClock(FEEDBACK_AT)
    clocks = make_clocks("rectification", clock, tmp_path)
    for i in range(total):
        await feed_back(db, clocks, unit=f"单位{i}")
    clock.set(datetime(2026, 12, 5, tzinfo=CST))
    pools = [await create_pool(db.url, min_size=1, max_size=2) for _ in range(3)]
    try:
        workers = [
            DeadlineWorker(p, PostgresEventStore(p), clocks, [FORMAL_REPORT], batch=16)
            for p in pools
        ]
        results = await asyncio.gather(*(w.fire_due() for w in workers))
    finally:
        for p in pools:
            await p.close()
    fired = [f.deadline_id for r in results for f in r]
    assert len(fired) == total
    assert len(set(fired)) == total
    assert sum(1 for r in results if r) >= 2, "the workers did not overlap"
    events = await events_of(db, "rectification.RectificationOverdue")
    per_deadline = Counter(e["payload"]["deadline_id"] for e in events)
    assert len(per_deadline) == total
    assert set(per_deadline.values()) == {1}


WORKER_SCRIPT = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from datetime import datetime
    from pathlib import Path

    sys.path.insert(0, {repo!r})
    from tests.integration.test_deadlines import FORMAL_REPORT, make_clocks
    from xuncha_shared.clocks import DeadlineWorker, ManualClock
    from xuncha_shared.db import create_pool
    from xuncha_shared.eventstore import PostgresEventStore

    async def main(url, mode, marker):
        pool = await create_pool(url, min_size=1, max_size=2)
        clocks = make_clocks("rectification", ManualClock(datetime.fromisoformat(sys.argv[4])),
                             Path(sys.argv[5]))

        async def before_commit(event_ids):
            Path(marker).write_text("\\n".join(str(e) for e in event_ids))
            if mode == "kill":
                os.kill(os.getpid(), signal.SIGKILL)
            if mode == "pause":
                await asyncio.sleep(3600)

        hook = before_commit if mode != "normal" else None
        worker = DeadlineWorker(pool, PostgresEventStore(pool), clocks, [FORMAL_REPORT],
                                batch=1000, concurrency=1, before_commit=hook)
        fired = await worker.fire_due()
        print(len(fired))
        await pool.close()

    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
    """
)


def _worker(script: Path, db, mode: str, marker: Path, now: datetime, cal: Path):
    return subprocess.Popen(
        [sys.executable, str(script), db.url, mode, str(marker), now.isoformat(), str(cal)],
        cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE, stderr=None, text=True,
    )  # fmt: skip


def _written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


async def _wait_file(path: Path, timeout: float = 60) -> None:
    for _ in range(int(timeout / 0.05)):
        if await asyncio.to_thread(_written, path):
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} never written")


async def test_worker_killed_between_append_and_commit_fires_once_on_restart(db, tmp_path):
    total = 50
    clock = ManualClock(FEEDBACK_AT)
    clocks = make_clocks("rectification", clock, tmp_path)
    ids = [(await feed_back(db, clocks, unit=f"单位{i}"))[0] for i in range(total)]
    script = tmp_path / "worker.py"
    script.write_text(WORKER_SCRIPT.format(repo=str(REPO)), encoding="utf-8")
    due = datetime(2026, 12, 1, 8, tzinfo=CST)

    # 1. killed with SIGKILL after appending every event, before the commit
    marker = tmp_path / "killed"
    proc = _worker(script, db, "kill", marker, due, tmp_path)
    await asyncio.to_thread(proc.communicate, None, 120)
    assert proc.returncode == -signal.SIGKILL
    appended = marker.read_text().split()
    assert len(appended) == total  # the events were appended when the process died ...
    found = await db.pool.fetchval(
        "SELECT count(*) FROM events WHERE event_id = ANY($1::uuid[])", appended
    )
    assert found == 0  # ... and rolled back with the transaction
    assert await events_of(db, "rectification.RectificationOverdue") == []
    states = await db.pool.fetch("SELECT DISTINCT state FROM deadlines")
    assert [r["state"] for r in states] == ["running"]

    # 2. one copy pauses holding the rows before its commit; a second copy finds nothing to do
    paused_marker = tmp_path / "paused"
    paused = _worker(script, db, "pause", paused_marker, due, tmp_path)
    try:
        await _wait_file(paused_marker)
        second = _worker(script, db, "normal", tmp_path / "unused", due, tmp_path)
        out, _ = await asyncio.to_thread(second.communicate, None, 120)
        assert second.returncode == 0
        assert out.strip() == "0"  # every due row is locked by the paused copy: skipped
    finally:
        paused.send_signal(signal.SIGKILL)
        await asyncio.to_thread(paused.communicate, None, 30)

    # 3. restarted: every deadline fires, once
    again = _worker(script, db, "normal", tmp_path / "unused", due, tmp_path)
    out, _ = await asyncio.to_thread(again.communicate, None, 120)
    assert again.returncode == 0
    assert out.strip() == str(total)
    events = await events_of(db, "rectification.RectificationOverdue")
    assert sorted(e["stream_id"] for e in events) == sorted(str(i) for i in ids)
    assert Counter(e["payload"]["deadline_id"] for e in events).most_common(1)[0][1] == 1
    assert {e["event_id"] for e in events}.isdisjoint({uuid.UUID(a) for a in appended})
    rerun = _worker(script, db, "normal", tmp_path / "unused", due, tmp_path)
    out, _ = await asyncio.to_thread(rerun.communicate, None, 120)
    assert out.strip() == "0"
