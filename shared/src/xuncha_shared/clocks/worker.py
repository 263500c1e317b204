"""The deadline worker: fires each due deadline exactly once as an event of its service.

One pass (``fire_due``) runs in one transaction per batch:

1. claim due rows: ``SELECT … WHERE next_fire_at <= now() … FOR UPDATE SKIP LOCKED``;
2. for each, build the event of the stage reached (yellow, red or overdue) with the callback of
   its ``DeadlineKind`` and append it to the aggregate's stream with the event store, on the
   same connection (an overdue firing first awaits the kind's ``effect``, if any, on it too);
3. mark the rows fired (state, the firing event's id, when the next stage fires);
4. commit.

The event and the mark commit together or not at all: a process killed before the commit
leaves the deadline unfired and its event unwritten, and the next pass fires it. A second
worker running at the same time skips the rows the first one holds (``SKIP LOCKED``) and, once
the first commits, PostgreSQL re-checks ``next_fire_at`` on the new row version, so it cannot
claim a stage that already fired. A stage whose time passed while no worker ran fires once, and
stages it overtook (a yellow warning when the deadline is already overdue) are not raised late.

``recompute_provisional`` replaces provisional due dates once their year's holiday schedule is
known (the calendar changed), recording ``<service>.DeadlineRecomputed`` the same way.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import asyncpg

from xuncha_shared.clocks.deadlines import (
    _COLUMNS,
    STAGE_STATE,
    Clocks,
    Colour,
    Deadline,
    DeadlineKind,
    Schedule,
    Stage,
)
from xuncha_shared.commit_signal import CommitSignal
from xuncha_shared.envelope import SYSTEM_ACTOR, Actor, EventPayload
from xuncha_shared.eventstore.base import ANY_VERSION, ConcurrencyError, EventStore, NewEvent
from xuncha_shared.ids import uuid7
from xuncha_shared.metrics import DEADLINES_FIRED, counting_appends
from xuncha_shared.unit_of_work import transient

log = logging.getLogger("xuncha.clocks.worker")

_CLAIM_SQL = f"""
SELECT {_COLUMNS} FROM deadlines
WHERE next_fire_at <= $1 AND state IN ('running', 'warning_yellow', 'warning_red')
  AND kind = ANY($2::text[])
ORDER BY next_fire_at
LIMIT $3
FOR UPDATE SKIP LOCKED
"""

_NEXT_DUE_SQL = """
SELECT min(next_fire_at) FROM deadlines
WHERE state IN ('running', 'warning_yellow', 'warning_red') AND kind = ANY($1::text[])
"""

#: the longest the worker sleeps while listening for commits: a deadline row written by a
#: transaction that added no event (none does today), or a calendar file that changed, is
#: looked at after at most this long
IDLE_POLL_S = 30.0
#: how far after a deadline's moment the sleeping worker wakes for it (timers may fire early)
_LATE_BY_S = 0.02
#: the longest a batch waits for a lock a command holds (``lock_timeout``) before it rolls back
#: and runs again: a command appends to its stream, then ends or starts deadlines, while a batch
#: holds its claimed rows, then appends to their streams - the opposite order. Waiting, the two
#: would deadlock and PostgreSQL would abort whichever checked first, often the user's command;
#: giving up first, the batch (nobody waits for it) always yields to the command
LOCK_WAIT_MS = 100
#: the pause before a batch that yielded to a command runs again
_YIELD_S = 0.05

_MARK_SQL = """
UPDATE deadlines d
SET state = u.state,
    next_fire_at = u.next_fire_at,
    yellow_event_id = CASE WHEN u.stage = 'yellow' THEN u.event_id ELSE d.yellow_event_id END,
    red_event_id = CASE WHEN u.stage = 'red' THEN u.event_id ELSE d.red_event_id END,
    overdue_event_id = CASE WHEN u.stage = 'overdue' THEN u.event_id ELSE d.overdue_event_id END
FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::uuid[])
     AS u(deadline_id, stage, state, next_fire_at, event_id)
WHERE d.deadline_id = u.deadline_id
"""

_PROVISIONAL_SQL = f"""
SELECT {_COLUMNS} FROM deadlines
WHERE provisional AND state IN ('running', 'warning_yellow', 'warning_red')
  AND kind = ANY($1::text[]) AND deadline_id > $2
ORDER BY deadline_id
LIMIT $3
FOR UPDATE SKIP LOCKED
"""

_RECOMPUTED_SQL = """
UPDATE deadlines
SET due_date = $2, calendar_version = $3, provisional = false, yellow_at = $4, red_at = $5,
    overdue_at = $6, next_fire_at = $7
WHERE deadline_id = $1
"""

_ZERO_ID = UUID(int=0)

#: awaited after a batch's events are appended and its rows marked, before the commit (tests
#: use it to kill or pause the process exactly there); gets the ids of the events appended
BeforeCommit = Callable[[list[UUID]], Awaitable[None]]


@dataclass(frozen=True)
class Fired:
    deadline_id: UUID
    stage: Stage
    event_id: UUID


class DeadlineWorker:
    """Fires the due deadlines of ``kinds`` (all of one service) from ``pool``."""

    def __init__(
        self,
        pool: Any,
        store: EventStore,
        clocks: Clocks,
        kinds: Sequence[DeadlineKind],
        *,
        batch: int = 200,
        concurrency: int = 4,
        actor: Actor = SYSTEM_ACTOR,
        before_commit: BeforeCommit | None = None,
    ) -> None:
        for stage in Stage:  # every series from 0, so the first firing shows as an increase
            DEADLINES_FIRED.add(0, {"service": clocks.service, "stage": stage.value})
        self.pool = pool
        self.store = store
        self.clocks = clocks
        self.kinds = {k.name: k for k in kinds}
        for name in self.kinds:
            if not name.startswith(f"{clocks.service}."):
                raise ValueError(f"{name} is not a deadline of {clocks.service}")
        if batch < 1 or concurrency < 1:
            raise ValueError("batch and concurrency must be at least 1")
        self.batch = batch
        self.concurrency = concurrency
        self.actor = actor
        self.before_commit = before_commit
        self._recomputed_for: str | None = None

    # ---- firing ------------------------------------------------------------------------------

    async def fire_due(self) -> list[Fired]:
        """Fire every deadline due at ``clocks.now()``; returns what fired.

        ``concurrency`` transactions run side by side on the pool, each claiming up to
        ``batch`` rows (they skip each other's rows like separate workers do): each firing
        costs the round trips of one append, so overlapping them is what makes a large due
        set go fast. Rounds repeat until every transaction comes back short."""
        now = self.clocks.now()
        fired: list[Fired] = []
        while True:
            results = await asyncio.gather(
                *(self._fire_batch_retrying(now) for _ in range(self.concurrency))
            )
            for _, batch in results:
                fired.extend(batch)
                for firing in batch:
                    DEADLINES_FIRED.add(
                        1, {"service": self.clocks.service, "stage": firing.stage.value}
                    )
            if all(claimed < self.batch for claimed, _ in results):
                return fired

    async def _fire_batch_retrying(self, now: datetime) -> tuple[int, list[Fired]]:
        while True:
            try:
                with counting_appends():
                    return await self._fire_batch(now)
            except asyncpg.exceptions.LockNotAvailableError as exc:
                # a command holds one of the streams (or a row an effect writes): the batch
                # rolled back as a whole, released its rows, and runs again once it may be done
                log.debug("deadline batch yielded to a command: %s", exc)
                await asyncio.sleep(_YIELD_S)
            except Exception as exc:
                # a command appended to one of the streams meanwhile, or the database broke a
                # deadlock: the batch rolled back as a whole and runs again on fresh heads
                if not (isinstance(exc, ConcurrencyError) or transient(exc)):
                    raise
                log.debug("deadline batch retried: %s", exc)

    async def _fire_batch(self, now: datetime) -> tuple[int, list[Fired]]:
        fired: list[Fired] = []
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = {LOCK_WAIT_MS}")
            rows = await conn.fetch(_CLAIM_SQL, now, list(self.kinds), self.batch)
            marks: tuple[list[Any], ...] = ([], [], [], [], [])
            for row in rows:
                deadline = Deadline.from_record(row)
                stage = deadline.reached(now)
                if stage is None:  # next_fire_at ahead of the schedule: cannot happen
                    continue
                kind = self.kinds[deadline.kind]
                if stage is Stage.OVERDUE and kind.effect is not None:
                    await kind.effect(conn, deadline)  # commits with the event, or neither
                payload = self._payload(kind, deadline, stage)
                event_id = uuid7()
                await self.store.append(
                    deadline.stream_type,
                    deadline.stream_id,
                    ANY_VERSION,
                    [self._event(deadline, payload, event_id, self._stage_time(deadline, stage))],
                    conn=conn,
                )
                for column, value in zip(
                    marks,
                    (
                        deadline.deadline_id,
                        stage.value,
                        STAGE_STATE[stage].value,
                        deadline.next_after(stage),
                        event_id,
                    ),
                    strict=True,
                ):
                    column.append(value)
                fired.append(Fired(deadline.deadline_id, stage, event_id))
            if fired:
                await conn.execute(_MARK_SQL, *marks)
            if self.before_commit is not None and fired:
                await self.before_commit([f.event_id for f in fired])
        return len(rows), fired

    def _payload(self, kind: DeadlineKind, deadline: Deadline, stage: Stage) -> EventPayload:
        if stage is Stage.OVERDUE:
            return kind.overdue(deadline)
        if kind.warning is None:  # a kind without warnings gets no warning times
            raise ValueError(f"{kind.name} has no warning events")
        return kind.warning(deadline, Colour(stage.value))

    @staticmethod
    def _stage_time(deadline: Deadline, stage: Stage) -> datetime:
        at = {Stage.YELLOW: deadline.yellow_at, Stage.RED: deadline.red_at}.get(stage)
        return at or deadline.overdue_at

    def _event(
        self, deadline: Deadline, payload: EventPayload, event_id: UUID, occurred_at: datetime
    ) -> NewEvent:
        return NewEvent(
            payload=payload,
            jurisdiction=deadline.jurisdiction,
            actor=self.actor,
            correlation_id=deadline.started_by,
            causation_id=deadline.started_by,
            occurred_at=occurred_at,
            event_id=event_id,
        )

    # ---- provisional due dates ---------------------------------------------------------------

    async def recompute_provisional(self, *, force: bool = False) -> list[UUID]:
        """Give provisional deadlines their final due date where the calendar now knows every
        year they span. Scans only when the calendar changed since the last scan (or
        ``force``); returns the ids recomputed."""
        calendar = self.clocks.calendar.current()
        if not force and calendar.version == self._recomputed_for:
            return []
        done: list[UUID] = []
        after = _ZERO_ID
        while True:
            try:
                seen, after, batch = await self._recompute_batch(after)
            except ConcurrencyError as exc:
                log.debug("deadline recompute batch retried: %s", exc)
                continue
            done.extend(batch)
            if seen < self.batch:
                break
        self._recomputed_for = calendar.version
        return done

    async def _recompute_batch(self, after: UUID) -> tuple[int, UUID, list[UUID]]:
        calendar = self.clocks.calendar.current()
        done: list[UUID] = []
        last = after
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(_PROVISIONAL_SQL, list(self.kinds), after, self.batch)
            for row in rows:
                old = Deadline.from_record(row)
                last = old.deadline_id
                rule = self.clocks.rules.get(old.rule_id, old.rule_version)
                due = rule.due(calendar, old.started_on)
                if due.provisional:
                    continue
                kind = self.kinds[old.kind]
                thresholds = (
                    self.clocks.warnings.for_jurisdiction(old.jurisdiction)
                    if kind.warning
                    else None
                )
                schedule = Schedule.of(due.due_date, old.started_at, thresholds)
                new = _rescheduled(old, due.due_date, due.calendar_version, schedule)
                await conn.execute(
                    _RECOMPUTED_SQL, new.deadline_id, new.due_date, new.calendar_version,
                    new.yellow_at, new.red_at, new.overdue_at, new.next_fire_at,
                )  # fmt: skip
                await self.store.append(
                    new.stream_type,
                    new.stream_id,
                    ANY_VERSION,
                    [
                        self._event(
                            new, kind.recomputed(new, old.due_date), uuid7(), self.clocks.now()
                        )
                    ],
                    conn=conn,
                )
                done.append(new.deadline_id)
            if self.before_commit is not None and done:
                await self.before_commit(done)
        return len(rows), last, done

    # ---- running -----------------------------------------------------------------------------

    async def next_due(self) -> datetime | None:
        """When the earliest open deadline of these kinds fires next (None: none is open)."""
        due: datetime | None = await self.pool.fetchval(_NEXT_DUE_SQL, list(self.kinds))
        return due

    async def run(
        self,
        stop: asyncio.Event,
        poll_interval: float = 1.0,
        idle_interval: float = IDLE_POLL_S,
    ) -> None:
        """Fire what is due, then sleep until the next deadline is due, until a commit of the
        service is notified (it may have started or moved one: deadlines start in the unit of
        work of an event, whose commit notifies the events channel, see
        :mod:`xuncha_shared.commit_signal`), or at most ``idle_interval`` seconds; ``stop``
        ends it. Notified commits make it look at most once per ``poll_interval``. Without a
        listening connection it looks every ``poll_interval`` as before (and LISTENs again: see
        :mod:`xuncha_shared.commit_signal`). After a restart the
        first pass fires everything that fell due meanwhile. A failure is logged and retried
        after ``poll_interval`` (it never stops the service)."""
        loop = asyncio.get_running_loop()
        commits = CommitSignal(self.pool, poll_interval=poll_interval, idle_interval=idle_interval)
        await commits.listen()
        try:
            while not stop.is_set():
                looked_at = loop.time()
                sleep = await self._pass(poll_interval, idle_interval)
                await commits.listen_again()  # the database restarted, say
                if not commits.listening:
                    sleep = min(sleep, poll_interval)
                if await commits.wait_at_most(stop, sleep):
                    # a burst of commits: one look per poll_interval, as the old poll did
                    rest = poll_interval - (loop.time() - looked_at)
                    if rest > 0:
                        with contextlib.suppress(TimeoutError):
                            await asyncio.wait_for(stop.wait(), rest)
        finally:
            await commits.close()

    async def _pass(self, poll_interval: float, idle_interval: float) -> float:
        """One look: fire what is due, recompute provisional deadlines when the calendar
        changed; returns how long to sleep (until the next deadline is due)."""
        try:
            due = await self.next_due()
            if due is not None and due <= self.clocks.now():
                fired = await self.fire_due()
                if fired:
                    log.info("%s: %d deadline firing(s)", self.clocks.service, len(fired))
                due = await self.next_due()
                if due is not None and due <= self.clocks.now():
                    # still due: rows another copy holds right now (SKIP LOCKED), or batches
                    # retried; look again after the poll interval rather than at once
                    return poll_interval
            recomputed = await self.recompute_provisional()
            if recomputed:
                log.info(
                    "%s: %d provisional deadline(s) recomputed",
                    self.clocks.service,
                    len(recomputed),
                )
                due = await self.next_due()
        except Exception:
            log.exception("%s: deadline worker pass failed", self.clocks.service)
            return poll_interval
        if due is None:
            return idle_interval
        # a little after the moment, so that `next_fire_at <= now` holds when it wakes
        until = (due - self.clocks.now()).total_seconds() + _LATE_BY_S
        return min(max(until, 0.0), idle_interval)


def _rescheduled(
    old: Deadline, due_date: Any, calendar_version: str, schedule: Schedule
) -> Deadline:
    """``old`` with a final due date; the next firing is the first stage not yet fired."""
    if old.state == "warning_red":
        upcoming: datetime | None = schedule.overdue_at
    elif old.state == "warning_yellow":
        upcoming = schedule.red_at or schedule.overdue_at
    else:
        upcoming = schedule.first
    values = dict(old.__dict__)
    values.update(
        due_date=due_date,
        calendar_version=calendar_version,
        provisional=False,
        yellow_at=schedule.yellow_at,
        red_at=schedule.red_at,
        overdue_at=schedule.overdue_at,
        next_fire_at=upcoming,
    )
    return Deadline(**values)


async def run_deadline_worker(
    pool: Any,
    store: EventStore,
    clocks: Clocks,
    kinds: Sequence[DeadlineKind],
    stop: asyncio.Event,
    *,
    poll_interval: float = 1.0,
    idle_interval: float = IDLE_POLL_S,
) -> None:
    """A service's deadline worker until ``stop`` (started beside the relay, see
    docs/clocks.md). Any number of copies may run: each firing happens once."""
    if not kinds:
        return
    await DeadlineWorker(pool, store, clocks, kinds).run(stop, poll_interval, idle_interval)
