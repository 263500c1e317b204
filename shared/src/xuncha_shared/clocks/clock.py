"""Injectable time: services read ``now()`` from a clock; tests move a ``ManualClock`` instead of
sleeping. China Standard Time (UTC+8, no daylight saving) turns instants into calendar days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta, timezone

#: China Standard Time: due dates are days in Beijing
CST = timezone(timedelta(hours=8), "CST")

Now = Callable[[], datetime]


def system_now() -> datetime:
    return datetime.now(UTC)


def local_day(instant: datetime) -> date:
    """The calendar day of ``instant`` in China Standard Time."""
    if instant.tzinfo is None:
        raise ValueError("timestamps must be timezone-aware")
    return instant.astimezone(CST).date()


def start_of_day(day: date) -> datetime:
    """00:00 China Standard Time of ``day``, as an aware datetime."""
    return datetime.combine(day, time(0), CST)


class ManualClock:
    """A clock that moves only when told (tests, benchmarks)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        self._at = at

    def __call__(self) -> datetime:
        return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("timestamps must be timezone-aware")
        self._at = at

    def advance(self, delta: timedelta) -> datetime:
        self._at += delta
        return self._at
