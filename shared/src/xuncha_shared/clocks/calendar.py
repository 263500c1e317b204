"""The working-day calendar (工作日历): China's official public holidays and make-up working days
(调休), as the State Council's General Office publishes them each November for the next year.

Data comes from two places, loaded once per ``CalendarSource.current()`` change:

- the pinned package ``chinesecalendar`` (uv.lock), years it covers;
- JSON files ``<year>.json`` in ``xuncha_shared/clocks/data/`` and in the directories of
  ``XUNCHA_CALENDAR_DIRS`` (``os.pathsep``-separated), for a year the package lacks or corrects.
  A file replaces the package's data for its year. Format: see ``data/README.md``.

A year with no data is counted on weekends only (Monday to Friday are working days) and any
date computed through it is ``provisional``. ``WorkingCalendar.version`` names the data used
(package version plus the short hash of each data file), and every deadline records it.
"""

from __future__ import annotations

import calendar as _stdcal
import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from importlib import metadata
from pathlib import Path
from typing import Any, Protocol

#: directory of the data files shipped with the code
DATA_DIR = Path(__file__).resolve().parent / "data"
#: extra data directories (``os.pathsep``-separated), searched after DATA_DIR (later wins)
DIRS_ENV = "XUNCHA_CALENDAR_DIRS"
PACKAGE = "chinesecalendar"
#: bound of ``WorkingCalendar``'s memo of ``add_working_days`` (a decade of days × a few rules)
_ADDED_MAX = 50_000


class DayKind(StrEnum):
    WORKDAY = "workday"  # 工作日
    WEEKEND = "weekend"  # 周末
    HOLIDAY = "holiday"  # 法定节假日 (休)
    MAKEUP = "makeup"  # 调休上班 (班): a weekend day worked


@dataclass(frozen=True)
class YearData:
    """One year's official schedule: holidays and make-up working days, each with its name."""

    year: int
    holidays: Mapping[date, str]
    makeup_days: Mapping[date, str]
    source: str

    @classmethod
    def from_json(cls, document: Mapping[str, Any], *, source: str) -> YearData:
        year = int(document["year"])
        holidays = {date.fromisoformat(k): str(v) for k, v in document["holidays"].items()}
        makeup = {date.fromisoformat(k): str(v) for k, v in document["makeup_days"].items()}
        for day in [*holidays, *makeup]:
            if day.year != year:
                raise ValueError(f"{source}: {day} is not in {year}")
        both = set(holidays) & set(makeup)
        if both:
            raise ValueError(f"{source}: {sorted(both)} both holiday and make-up day")
        for day in makeup:
            if day.weekday() < 5:
                raise ValueError(f"{source}: make-up day {day} is not a weekend day")
        return cls(year, holidays, makeup, str(document.get("source") or source))


@dataclass(frozen=True)
class Day:
    day: date
    kind: DayKind
    name: str = ""  # the holiday a holiday or make-up day belongs to

    @property
    def working(self) -> bool:
        return self.kind in (DayKind.WORKDAY, DayKind.MAKEUP)


@dataclass(frozen=True)
class WorkingCalendar:
    """Working days by year; a year without data counts weekends only (``provisional``)."""

    years: Mapping[int, YearData]
    version: str
    _holidays: dict[date, str] = field(init=False, repr=False, compare=False)
    _makeup: dict[date, str] = field(init=False, repr=False, compare=False)
    #: ``add_working_days`` results: a projection asks the same (day, n) for every case
    #: started that day
    _added: dict[tuple[date, int], date] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        holidays: dict[date, str] = {}
        makeup: dict[date, str] = {}
        for data in self.years.values():
            holidays.update(data.holidays)
            makeup.update(data.makeup_days)
        object.__setattr__(self, "_holidays", holidays)
        object.__setattr__(self, "_makeup", makeup)
        object.__setattr__(self, "_added", {})

    def has_year(self, year: int) -> bool:
        return year in self.years

    def missing_years(self, start: date, end: date) -> list[int]:
        """Years between ``start`` and ``end`` (inclusive, either order) without data."""
        lo, hi = sorted((start.year, end.year))
        return [y for y in range(lo, hi + 1) if y not in self.years]

    def day(self, day: date) -> Day:
        if day in self._holidays:
            return Day(day, DayKind.HOLIDAY, self._holidays[day])
        if day in self._makeup:
            return Day(day, DayKind.MAKEUP, self._makeup[day])
        return Day(day, DayKind.WEEKEND if day.weekday() >= 5 else DayKind.WORKDAY)

    def is_working_day(self, day: date) -> bool:
        if day in self._makeup:
            return True
        return day.weekday() < 5 and day not in self._holidays

    def add_working_days(self, start: date, n: int) -> date:
        """The ``n``-th working day after ``start`` (``start`` itself does not count; ``n = 0``
        is ``start``). Negative ``n`` counts backwards."""
        known = self._added.get((start, n))
        if known is not None:
            return known
        step = 1 if n >= 0 else -1
        remaining, day = abs(n), start
        while remaining:
            day += timedelta(days=step)
            if self.is_working_day(day):
                remaining -= 1
        if len(self._added) < _ADDED_MAX:
            self._added[(start, n)] = day
        return day

    def month(self, year: int, month: int) -> list[Day]:
        days = _stdcal.monthrange(year, month)[1]
        return [self.day(date(year, month, d)) for d in range(1, days + 1)]


def add_calendar_months(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months, clamped to the end of a shorter month
    (2026-12-31 + 2 months = 2027-02-28)."""
    index = start.year * 12 + (start.month - 1) + months
    year, month = divmod(index, 12)
    last = _stdcal.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(start.day, last))


# ---- loading ----------------------------------------------------------------------------------


def package_years() -> tuple[str, dict[int, YearData]]:
    """The years of the pinned ``chinesecalendar`` package and its version."""
    import chinese_calendar  # untyped third-party data

    version = metadata.version(PACKAGE)
    holidays: dict[date, Any] = chinese_calendar.holidays
    makeup: dict[date, Any] = chinese_calendar.workdays
    years: dict[int, tuple[dict[date, str], dict[date, str]]] = {}
    for day, name in holidays.items():
        years.setdefault(day.year, ({}, {}))[0][day] = _holiday_name(name)
    for day, name in makeup.items():
        if day.weekday() >= 5:  # the package also lists ordinary weekdays of some years
            years.setdefault(day.year, ({}, {}))[1][day] = _holiday_name(name)
    source = f"{PACKAGE} {version}"
    return version, {y: YearData(y, h, m, source) for y, (h, m) in years.items() if h}


_NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def _holiday_name(value: Any) -> str:
    text = str(value).split(",", 1)[0].strip()
    return _NAMES_ZH.get(text, text)


def data_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    dirs = [DATA_DIR]
    env = os.environ.get(DIRS_ENV, "")
    dirs.extend(Path(p) for p in env.split(os.pathsep) if p)
    dirs.extend(extra)
    return dirs


def _data_files(dirs: Sequence[Path]) -> list[Path]:
    files: list[Path] = []
    for d in dirs:
        if d.is_dir():
            files.extend(sorted(p for p in d.glob("*.json") if p.stem.isdigit()))
    return files


def load_calendar(dirs: Sequence[Path] | None = None) -> WorkingCalendar:
    """The package's years overlaid with the data files of ``dirs`` (default ``data_dirs()``)."""
    version, years = package_years()
    parts = [f"{PACKAGE}-{version}"]
    for path in _data_files(data_dirs() if dirs is None else dirs):
        raw = path.read_bytes()
        data = YearData.from_json(json.loads(raw), source=path.name)
        if str(data.year) != path.stem:
            raise ValueError(f"{path}: holds year {data.year}")
        years[data.year] = data
        parts.append(f"{path.stem}@{hashlib.sha256(raw).hexdigest()[:12]}")
    return WorkingCalendar(dict(sorted(years.items())), "+".join(parts))


class CalendarProvider(Protocol):
    """Where a computation gets its working calendar: ``CalendarSource`` (follows the data
    files) or ``FixedCalendar`` (one calendar for a whole run)."""

    def current(self) -> WorkingCalendar: ...


class FixedCalendar:
    """One calendar for a whole computation — a rebuild or an as-of replay applies a history
    against the calendar it started with, without a directory listing per event."""

    def __init__(self, calendar: WorkingCalendar) -> None:
        self._calendar = calendar

    def current(self) -> WorkingCalendar:
        return self._calendar


class CalendarSource:
    """The current calendar, reloaded when the data files change (a new year's file arrives):
    ``current()`` costs a directory listing and a stat per file."""

    def __init__(self, dirs: Sequence[Path] | None = None) -> None:
        self._dirs = list(data_dirs() if dirs is None else dirs)
        self._stamp: tuple[tuple[str, int, int], ...] | None = None
        self._calendar: WorkingCalendar | None = None

    def _fingerprint(self) -> tuple[tuple[str, int, int], ...]:
        out = []
        for path in _data_files(self._dirs):
            st = path.stat()
            out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def current(self) -> WorkingCalendar:
        stamp = self._fingerprint()
        if self._calendar is None or stamp != self._stamp:
            self._calendar = load_calendar(self._dirs)
            self._stamp = stamp
        return self._calendar
