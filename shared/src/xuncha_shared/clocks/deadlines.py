"""Durable deadlines (期限): rows of the owning service's ``deadlines`` table.

A deadline is started in the transaction of the event that starts it (``Clocks.start`` on the
caller's asyncpg connection), satisfied or cancelled in the transaction of the event that ends
it, and fired by the deadline worker (``clocks.worker``) in the transaction that appends the
firing event. Its row records the rule id and version and the calendar version it was computed
with; a running deadline keeps them when a new rule version arrives.

States: ``running`` → ``warning_yellow`` → ``warning_red`` → ``overdue`` (each fired once, by
the worker), and from any of these ``met`` (satisfied before the due date ended), ``met_late``
(after) or ``cancelled`` (the case was closed another way). See docs/clocks.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from xuncha_shared.clocks.calendar import CalendarSource
from xuncha_shared.clocks.clock import Now, local_day, start_of_day, system_now
from xuncha_shared.clocks.rules import RULES, Due, RuleBook, Thresholds, WarningPolicy
from xuncha_shared.envelope import EventPayload
from xuncha_shared.ids import uuid7

SCHEMA = """
CREATE TABLE IF NOT EXISTS deadlines (
    deadline_id      uuid        PRIMARY KEY,
    kind             text        NOT NULL,
    key              text        NOT NULL,
    rule_id          text        NOT NULL,
    rule_version     integer     NOT NULL,
    calendar_version text        NOT NULL,
    provisional      boolean     NOT NULL,
    jurisdiction     char(6)     NOT NULL,
    stream_type      text        NOT NULL,
    stream_id        text        NOT NULL,
    aggregate_id     text        NOT NULL,
    owner            text        NOT NULL,
    waits_for        text        NOT NULL,
    started_at       timestamptz NOT NULL,
    started_on       date        NOT NULL,
    started_by       uuid,
    due_date         date        NOT NULL,
    yellow_at        timestamptz,
    red_at           timestamptz,
    overdue_at       timestamptz NOT NULL,
    state            text        NOT NULL DEFAULT 'running' CHECK (state IN ('running',
                     'warning_yellow', 'warning_red', 'overdue', 'met', 'met_late', 'cancelled')),
    next_fire_at     timestamptz,
    yellow_event_id  uuid,
    red_event_id     uuid,
    overdue_event_id uuid,
    ended_at         timestamptz,
    ended_by         uuid,
    CONSTRAINT deadlines_kind_key UNIQUE (kind, key)
);
CREATE INDEX IF NOT EXISTS deadlines_next_fire ON deadlines (next_fire_at)
    WHERE next_fire_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS deadlines_provisional ON deadlines (due_date)
    WHERE provisional AND state IN ('running', 'warning_yellow', 'warning_red');
CREATE INDEX IF NOT EXISTS deadlines_jurisdiction_state ON deadlines (jurisdiction, state);
CREATE INDEX IF NOT EXISTS deadlines_open_by_aggregate ON deadlines (aggregate_id, kind)
    WHERE state IN ('running', 'warning_yellow', 'warning_red', 'overdue');
"""


class DeadlineState(StrEnum):
    RUNNING = "running"
    WARNING_YELLOW = "warning_yellow"
    WARNING_RED = "warning_red"
    OVERDUE = "overdue"
    MET = "met"
    MET_LATE = "met_late"
    CANCELLED = "cancelled"


#: states in which a deadline still waits (the worker may fire it, an event may satisfy it)
OPEN_STATES: tuple[str, ...] = ("running", "warning_yellow", "warning_red", "overdue")
#: open states the worker may still move on (overdue is the last firing)
FIRING_STATES: tuple[str, ...] = ("running", "warning_yellow", "warning_red")


class Colour(StrEnum):
    YELLOW = "yellow"  # 黄色预警
    RED = "red"  # 红色预警


class Stage(StrEnum):
    YELLOW = "yellow"
    RED = "red"
    OVERDUE = "overdue"


STAGE_STATE = {
    Stage.YELLOW: DeadlineState.WARNING_YELLOW,
    Stage.RED: DeadlineState.WARNING_RED,
    Stage.OVERDUE: DeadlineState.OVERDUE,
}


@dataclass(frozen=True)
class Deadline:
    deadline_id: UUID
    kind: str
    key: str
    rule_id: str
    rule_version: int
    calendar_version: str
    provisional: bool
    jurisdiction: str
    stream_type: str
    stream_id: str
    aggregate_id: str
    owner: str
    waits_for: str
    started_at: datetime
    started_on: date
    started_by: UUID | None
    due_date: date
    yellow_at: datetime | None
    red_at: datetime | None
    overdue_at: datetime
    state: DeadlineState
    next_fire_at: datetime | None
    yellow_event_id: UUID | None
    red_event_id: UUID | None
    overdue_event_id: UUID | None
    ended_at: datetime | None
    ended_by: UUID | None

    @classmethod
    def from_record(cls, row: Any) -> Deadline:
        values = dict(row.items())
        values["jurisdiction"] = values["jurisdiction"].strip()
        values["state"] = DeadlineState(values["state"])
        return cls(**values)

    def reached(self, now: datetime) -> Stage | None:
        """The latest stage whose time has come at ``now`` (ignoring what already fired)."""
        if now >= self.overdue_at:
            return Stage.OVERDUE
        if self.red_at is not None and now >= self.red_at:
            return Stage.RED
        if self.yellow_at is not None and now >= self.yellow_at:
            return Stage.YELLOW
        return None

    def next_after(self, stage: Stage) -> datetime | None:
        """When the stage after ``stage`` fires (``None`` after overdue)."""
        if stage is Stage.YELLOW and self.red_at is not None:
            return self.red_at
        if stage in (Stage.YELLOW, Stage.RED):
            return self.overdue_at
        return None


@dataclass(frozen=True)
class Schedule:
    """When a deadline's warnings and its overdue firing come due."""

    yellow_at: datetime | None
    red_at: datetime | None
    overdue_at: datetime

    @classmethod
    def of(cls, due_date: date, started_at: datetime, thresholds: Thresholds | None) -> Schedule:
        """Overdue at the start of the day after ``due_date`` (China Standard Time); the red
        warning ``red_days`` and the yellow one ``yellow_days`` calendar days before the due
        date (R10). A deadline that starts inside a warning's window is in it from its start:
        that warning is due at once (the red one, when the start is already in its window,
        and then no yellow before it); a warning is left out when the deadline is overdue
        from its start."""
        overdue_at = start_of_day(due_date + timedelta(days=1))
        if thresholds is None:
            return cls(None, None, overdue_at)
        red_at: datetime | None = start_of_day(due_date - timedelta(days=thresholds.red_days))
        yellow_at: datetime | None = start_of_day(due_date - timedelta(days=thresholds.yellow_days))
        if started_at >= overdue_at:
            return cls(None, None, overdue_at)
        if red_at is not None and red_at <= started_at:
            return cls(None, started_at, overdue_at)
        if yellow_at is not None and red_at is not None and yellow_at >= red_at:
            yellow_at = None
        if yellow_at is not None and yellow_at <= started_at:
            yellow_at = started_at
        return cls(yellow_at, red_at, overdue_at)

    @property
    def first(self) -> datetime:
        return self.yellow_at or self.red_at or self.overdue_at


WarningBuilder = Callable[[Deadline, Colour], EventPayload]
OverdueBuilder = Callable[[Deadline], EventPayload]
RecomputedBuilder = Callable[[Deadline, date], EventPayload]
#: work done in the transaction of an overdue firing, before its event is appended
Effect = Callable[[Any, Deadline], Awaitable[None]]


@dataclass(frozen=True)
class DeadlineKind:
    """One kind of deadline a service runs, and the events its firings become.

    ``name`` is ``<service>.<what>`` (``rectification.formal_report``); ``rule_id`` the rule
    that sets its due date; ``stream_type`` the aggregate whose stream the events go to.
    ``warning`` builds the event of a yellow or red warning (``None``: the kind has no
    warnings, only ``overdue``); ``recomputed`` the event recording a provisional due date
    replaced once the year's holiday schedule is known (given the deadline with its new due
    date and the old date). ``effect``, when given, is awaited by the worker on its connection
    in the transaction of the overdue firing, before the overdue event is appended: what it
    writes commits or rolls back with that event (intake's retention destroys a data key).
    """

    name: str
    rule_id: str
    stream_type: str
    waits_for: str
    overdue: OverdueBuilder
    recomputed: RecomputedBuilder
    warning: WarningBuilder | None = None
    effect: Effect | None = None


class DeadlineConflictError(Exception):
    """A deadline of this kind and key already exists with other parameters."""


_COLUMNS = ", ".join(Deadline.__dataclass_fields__)

_INSERT_SQL = f"""
INSERT INTO deadlines (deadline_id, kind, key, rule_id, rule_version, calendar_version,
    provisional, jurisdiction, stream_type, stream_id, aggregate_id, owner, waits_for,
    started_at, started_on, started_by, due_date, yellow_at, red_at, overdue_at, state,
    next_fire_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
        $20, 'running', $21)
ON CONFLICT (kind, key) DO NOTHING
RETURNING {_COLUMNS}
"""

_END_SQL = f"""
UPDATE deadlines
SET state = CASE WHEN $5 THEN 'cancelled'
                 WHEN $3 < overdue_at THEN 'met' ELSE 'met_late' END,
    ended_at = $3, ended_by = $4, next_fire_at = NULL
WHERE kind = $1 AND key = $2 AND state IN ('running', 'warning_yellow', 'warning_red', 'overdue')
RETURNING {_COLUMNS}
"""

_END_ALL_SQL = f"""
UPDATE deadlines
SET state = CASE WHEN $4 THEN 'cancelled'
                 WHEN $2 < overdue_at THEN 'met' ELSE 'met_late' END,
    ended_at = $2, ended_by = $3, next_fire_at = NULL
WHERE kind = $1 AND aggregate_id = $5
  AND state IN ('running', 'warning_yellow', 'warning_red', 'overdue')
RETURNING {_COLUMNS}
"""


async def cancel_deadline(
    conn: Any, kind: str, key: str, *, at: datetime, by: UUID | None = None
) -> Deadline | None:
    """``Clocks.cancel`` where no ``Clocks`` is at hand (a kind's ``effect``, in the worker's
    transaction): the open deadline ``(kind, key)`` no longer applies and never fires."""
    row = await conn.fetchrow(_END_SQL, kind, key, at, by, True)
    return Deadline.from_record(row) if row else None


class Clocks:
    """A service's handle on its deadlines: calendar, rules, R10 thresholds and the clock.

    Every method works on the caller's asyncpg connection (inside its transaction).
    """

    def __init__(
        self,
        service: str,
        *,
        calendar: CalendarSource | None = None,
        rules: RuleBook = RULES,
        warnings: WarningPolicy | None = None,
        now: Now = system_now,
    ) -> None:
        self.service = service
        self.calendar = calendar or CalendarSource()
        self.rules = rules
        self.warnings = warnings or WarningPolicy.from_env(rules)
        self.now = now

    async def start(
        self,
        conn: Any,
        kind: DeadlineKind,
        *,
        key: str,
        jurisdiction: str,
        stream_id: str,
        aggregate_id: str,
        owner: str,
        started_at: datetime | None = None,
        started_by: UUID | None = None,
        due_on: date | None = None,
    ) -> Deadline:
        """Start a deadline of ``kind`` identified by ``key`` (unique per kind), using the rule
        version in force on the start day. Starting the same (kind, key) again returns the
        existing deadline (idempotent redelivery). ``due_on`` is a due date the case itself
        sets (a rectification task's, from its approved plan) instead of the rule's count."""
        if not kind.name.startswith(f"{self.service}."):
            raise ValueError(f"{kind.name} is not a deadline of {self.service}")
        at = started_at or self.now()
        start_day = local_day(at)
        rule = self.rules.applicable(kind.rule_id, start_day)
        if due_on is not None:
            due = Due(due_on, False, self.calendar.current().version)
        else:
            due = rule.due(self.calendar.current(), start_day)
        thresholds = self.warnings.for_jurisdiction(jurisdiction) if kind.warning else None
        schedule = Schedule.of(due.due_date, at, thresholds)
        row = await conn.fetchrow(
            _INSERT_SQL,
            uuid7(), kind.name, key, rule.id, rule.version, due.calendar_version,
            due.provisional, jurisdiction, kind.stream_type, stream_id, aggregate_id, owner,
            kind.waits_for, at, start_day, started_by, due.due_date, schedule.yellow_at,
            schedule.red_at, schedule.overdue_at, schedule.first,
        )  # fmt: skip
        if row is None:
            existing = await self.get(conn, kind.name, key)
            if existing is None or existing.stream_id != stream_id:
                raise DeadlineConflictError(f"deadline {kind.name} {key!r} exists elsewhere")
            return existing
        return Deadline.from_record(row)

    async def satisfy(
        self, conn: Any, kind: str, key: str, *, at: datetime | None = None, by: UUID | None = None
    ) -> Deadline | None:
        """The awaited event happened at ``at``: ``met`` before the end of the due date,
        ``met_late`` after. ``None`` when no open deadline of that kind and key exists."""
        row = await conn.fetchrow(_END_SQL, kind, key, at or self.now(), by, False)
        return Deadline.from_record(row) if row else None

    async def cancel(
        self, conn: Any, kind: str, key: str, *, at: datetime | None = None, by: UUID | None = None
    ) -> Deadline | None:
        """The deadline no longer applies (the case ended another way); it never fires."""
        return await cancel_deadline(conn, kind, key, at=at or self.now(), by=by)

    async def satisfy_all(
        self,
        conn: Any,
        kind: str,
        aggregate_id: str,
        *,
        at: datetime | None = None,
        by: UUID | None = None,
    ) -> list[Deadline]:
        """``satisfy`` every open deadline of ``kind`` on ``aggregate_id`` (several keys: one
        per supervision of an issue)."""
        rows = await conn.fetch(_END_ALL_SQL, kind, at or self.now(), by, False, aggregate_id)
        return [Deadline.from_record(r) for r in rows]

    async def cancel_all(
        self,
        conn: Any,
        kind: str,
        aggregate_id: str,
        *,
        at: datetime | None = None,
        by: UUID | None = None,
    ) -> list[Deadline]:
        """``cancel`` every open deadline of ``kind`` on ``aggregate_id``."""
        rows = await conn.fetch(_END_ALL_SQL, kind, at or self.now(), by, True, aggregate_id)
        return [Deadline.from_record(r) for r in rows]

    async def get(self, conn: Any, kind: str, key: str) -> Deadline | None:
        row = await conn.fetchrow(
            f"SELECT {_COLUMNS} FROM deadlines WHERE kind = $1 AND key = $2", kind, key
        )
        return Deadline.from_record(row) if row else None

    async def list(
        self,
        conn: Any,
        *,
        jurisdiction: str | None = None,
        states: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[Deadline]:
        """Deadlines of a jurisdiction (``_`` wildcards as in SQL LIKE) and/or states, by due
        date."""
        rows = await conn.fetch(
            f"SELECT {_COLUMNS} FROM deadlines "
            "WHERE ($1::text IS NULL OR jurisdiction LIKE $1) "
            "AND ($2::text[] IS NULL OR state = ANY($2)) "
            "ORDER BY due_date, deadline_id LIMIT $3",
            jurisdiction,
            list(states) if states is not None else None,
            limit,
        )
        return [Deadline.from_record(r) for r in rows]
