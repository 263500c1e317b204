"""R26 补录: how far back a day written on paper may go (a 线索登记 or 移交函 in clues, a 回头看
already held in rectification): one committee term. Pure: no I/O."""

from __future__ import annotations

from datetime import date

#: how far back a day written on paper may go: one committee term
TERM_YEARS = 5


def earliest_paper_day(today: date) -> date:
    """The first day a 补录 may name: the same day ``TERM_YEARS`` years before ``today``
    (29 February: the 28th)."""
    try:
        return today.replace(year=today.year - TERM_YEARS)
    except ValueError:
        return today.replace(year=today.year - TERM_YEARS, day=28)
