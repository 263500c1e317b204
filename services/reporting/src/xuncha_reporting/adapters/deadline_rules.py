"""The due date of a deadline that reporting learns from its starting event: the owning
service's rule in force on the start day (Beijing date), on the same working-day calendar
(``xuncha_shared.clocks``). The firing events carry the service's own figures, which replace
these when they arrive (``from_firing``)."""

from __future__ import annotations

from datetime import date, datetime

from xuncha_shared.clocks.calendar import CalendarProvider, CalendarSource, FixedCalendar
from xuncha_shared.clocks.clock import local_day
from xuncha_shared.clocks.rules import RULES, RuleBook

#: bound of a pinned calendar's memo (about a decade of days for each rule)
_MEMO_MAX = 100_000


class DeadlineRules:
    def __init__(self, rules: RuleBook = RULES, calendar: CalendarProvider | None = None) -> None:
        self.rules = rules
        self.calendar = calendar or CalendarSource()
        #: the answers of a pinned calendar (fixed: the same question, the same answer), by
        #: rule, start day and stated date; ``None``: the calendar may change, no memo
        self._memo: dict[tuple[str, date, str | None], tuple[int, date]] | None = None

    def pinned(self) -> DeadlineRules:
        """These rules on the calendar of this moment, for a whole rebuild or replay (the live
        consumer follows the data files; a run applies its history against one calendar)."""
        rules = DeadlineRules(self.rules, FixedCalendar(self.calendar.current()))
        rules._memo = {}
        return rules

    def due(self, rule_id: str, started_at: datetime, stated: str | None) -> tuple[int, date]:
        """The rule version and due date of a deadline of ``rule_id`` started at
        ``started_at``; ``stated``, the due date the starting event gives, wins when present."""
        day = local_day(started_at)
        memo = self._memo
        if memo is not None:
            known = memo.get((rule_id, day, stated))
            if known is not None:
                return known
        rule = self.rules.applicable(rule_id, day)
        if stated is not None:
            answer = rule.version, date.fromisoformat(stated)
        else:
            answer = rule.version, rule.due(self.calendar.current(), day).due_date
        if memo is not None:
            if len(memo) >= _MEMO_MAX:
                memo.clear()
            memo[(rule_id, day, stated)] = answer
        return answer
