"""R26 补录: the days written on paper. An office moving onto the system mid-term, or recording
a transfer made on paper days earlier, enters the day of the 线索登记 (``registered_on``) and the
day of the 移交函 (``transferred_on``); the clocks count from those days (R3 from the transfer
letter, R7 from the registration), never from the moment of data entry. The event's recording
time stays what it was: nothing is backdated.

A day written on paper is not after today (China Standard Time) nor more than a term (5 years)
back, and a transfer is not dated before the clue's registration day. Pure: no I/O.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from xuncha_shared.domain.errors import InvalidCommand
from xuncha_shared.domain.paper_days import TERM_YEARS, earliest_paper_day

#: China Standard Time: the days written on paper are days in Beijing
CST = timezone(timedelta(hours=8), "CST")


def china_day(at: datetime) -> date:
    """The calendar day of ``at`` in China Standard Time."""
    return at.astimezone(CST).date()


def check_paper_day(day: date, today: date, field: str, what_zh: str) -> None:
    """R26: ``day`` (the request's ``field``, the ``what_zh`` written on paper) is neither after
    ``today`` nor more than a term back; else a 422 naming the dates."""
    if day > today:
        raise InvalidCommand(
            f"{what_zh}不能晚于今天 (R26)：{day.isoformat()} 晚于 {today.isoformat()} / "
            f"{field} {day.isoformat()} is after today ({today.isoformat()}) (R26)"
        )
    earliest = earliest_paper_day(today)
    if day < earliest:
        raise InvalidCommand(
            f"{what_zh}不能早于{TERM_YEARS}年前（一届任期）(R26)：{day.isoformat()} 早于 "
            f"{earliest.isoformat()} / {field} {day.isoformat()} is more than {TERM_YEARS} "
            f"years (a term) back: the earliest is {earliest.isoformat()} (R26)"
        )


def check_transfer_day(transferred_on: date, registration_day: date | None, today: date) -> None:
    """R26: the day of the transfer letter is a valid paper day and not before the clue's
    registration day (as written, or the day it was recorded)."""
    check_paper_day(transferred_on, today, "transferred_on", "移交日期")
    if registration_day is not None and transferred_on < registration_day:
        raise InvalidCommand(
            f"移交日期不能早于线索登记日期 (R26)：{transferred_on.isoformat()} 早于 "
            f"{registration_day.isoformat()} / transferred_on {transferred_on.isoformat()} is "
            f"before the clue's registration day ({registration_day.isoformat()}) (R26)"
        )


def check_registration_in_round(registered_on: date, round_starts_on: date) -> None:
    """R26: a clue a group registers on paper is not dated before its round began (the group
    did not exist yet); the workbench says the same beside the field."""
    if registered_on < round_starts_on:
        raise InvalidCommand(
            f"登记日期不能早于该轮巡察开始日期 (R26)：{registered_on.isoformat()} 早于 "
            f"{round_starts_on.isoformat()} / registered_on {registered_on.isoformat()} is "
            f"before the round began ({round_starts_on.isoformat()}) (R26)"
        )


def record_day(occurred_on: date, today: date) -> date | None:
    """The 线索登记 day of a clue an intake record brings: the record's day when it is before
    today and not more than a term back (a record entered later, R26); else None (the day the
    clue is recorded)."""
    if earliest_paper_day(today) <= occurred_on < today:
        return occurred_on
    return None
