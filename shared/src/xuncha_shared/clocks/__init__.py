"""Clocks: the working-day calendar, versioned deadline rules and durable deadlines that fire
exactly once as events (docs/clocks.md)."""

from xuncha_shared.clocks.calendar import (
    CalendarSource,
    WorkingCalendar,
    add_calendar_months,
    load_calendar,
)
from xuncha_shared.clocks.clock import CST, ManualClock, system_now
from xuncha_shared.clocks.deadlines import (
    SCHEMA,
    Clocks,
    Colour,
    Deadline,
    DeadlineKind,
    DeadlineState,
)
from xuncha_shared.clocks.rules import RULES, DeadlineRule, RuleBook, RuleKind, WarningPolicy
from xuncha_shared.clocks.worker import DeadlineWorker, run_deadline_worker

__all__ = [
    "CST",
    "RULES",
    "SCHEMA",
    "CalendarSource",
    "Clocks",
    "Colour",
    "Deadline",
    "DeadlineKind",
    "DeadlineRule",
    "DeadlineState",
    "DeadlineWorker",
    "ManualClock",
    "RuleBook",
    "RuleKind",
    "WarningPolicy",
    "WorkingCalendar",
    "add_calendar_months",
    "load_calendar",
    "run_deadline_worker",
    "system_now",
]
