"""The due date of a deadline that reporting learns from its starting event: the owning
service's rule in force on the start day (Beijing date), on the same working-day calendar
(``xuncha_shared.clocks``). The firing events carry the service's own figures, which replace
these when they arrive (``from_firing``)."""

from __future__ import annotations

from datetime import date, datetime

from xuncha_shared.clocks.calendar import CalendarProvider, CalendarSource, FixedCalendar
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.clocks.rules import RULES, RuleBook


class DeadlineRules:
    def __init__(self, rules: RuleBook = RULES, calendar: CalendarProvider | None = None) -> None:
        self.rules = rules
        self.calendar = calendar or CalendarSource()

    def pinned(self) -> DeadlineRules:
        """These rules on the calendar of this moment, for a whole rebuild or replay (the live
        consumer follows the data files; a run applies its history against one calendar)."""
        return DeadlineRules(self.rules, FixedCalendar(self.calendar.current()))

    def due(self, rule_id: str, started_at: datetime, stated: str | None) -> tuple[int, date]:
        """The rule version and due date of a deadline of ``rule_id`` started at
        ``started_at``; ``stated``, the due date the starting event gives, wins when present."""
        day = local_day(started_at)
        rule = self.rules.applicable(rule_id, day)
        if stated is not None:
            return rule.version, date.fromisoformat(stated)
        return rule.version, rule.due(self.calendar.current(), day).due_date
