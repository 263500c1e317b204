"""``xuncha calendar``: the working-day calendar (工作日历) the deadlines are counted with.

- ``xuncha calendar add-days 2026-09-30 5`` prints ``2026-10-13`` (the 5th working day after);
- ``xuncha calendar show 2026-10`` prints the month: 休 marks a holiday, 班 a make-up working
  day (调休上班); a month of a year without official data says it is provisional.
"""

from __future__ import annotations

import re
from datetime import date

import typer

from xuncha_shared.cli.common import fail
from xuncha_shared.clocks.calendar import Day, DayKind, WorkingCalendar, load_calendar

app = typer.Typer(help="工作日历: working days with China's official holidays and 调休.")

_MONTH_RE = re.compile(r"(\d{4})-(\d{2})\Z")
#: each cell is 4 columns wide (a CJK character takes two)
_WEEKDAYS = " ".join(f" {w} " for w in "一二三四五六日").rstrip()
_MARKS = {DayKind.HOLIDAY: "休", DayKind.MAKEUP: "班"}


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"not a date (YYYY-MM-DD): {value!r}") from None


@app.command("add-days")
def add_days(
    start: str = typer.Argument(..., metavar="DATE", help="start date, YYYY-MM-DD"),
    days: int = typer.Argument(..., metavar="N", help="working days to add (negative: back)"),
) -> None:
    """The N-th working day after DATE (DATE itself not counted)."""
    begin = _date(start)
    calendar = load_calendar()
    try:
        result = calendar.add_working_days(begin, days)
    except OverflowError:
        raise fail(f"{days} working days from {begin} leave the calendar") from None
    typer.echo(result.isoformat())
    missing = calendar.missing_years(begin, result)
    if missing:
        years = ", ".join(str(y) for y in missing)
        typer.echo(f"provisional: no official holiday data for {years} (weekends only)", err=True)


@app.command("show")
def show(month: str = typer.Argument(..., metavar="YYYY-MM", help="the month to print")) -> None:
    """The month with its holidays (休) and make-up working days (班) marked."""
    match = _MONTH_RE.match(month)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1:
        raise fail(f"not a month (YYYY-MM): {month!r}")
    calendar = load_calendar()
    typer.echo(render_month(calendar, int(match.group(1)), int(match.group(2))))


def render_month(calendar: WorkingCalendar, year: int, month: int) -> str:
    days = calendar.month(year, month)
    lines = [f"{year}年{month}月  (calendar {calendar.version})", _WEEKDAYS]
    cells = ["    "] * days[0].day.weekday()
    for day in days:
        cells.append(f"{day.day.day:>2}{_MARKS.get(day.kind, '  ')}")
        if len(cells) == 7:
            lines.append(" ".join(cells).rstrip())
            cells = []
    if cells:
        lines.append(" ".join(cells).rstrip())
    lines.append("")
    lines.extend(_legend(days))
    if not calendar.has_year(year):
        lines.append(
            f"provisional: no official holiday data for {year}; weekends only (暂按周末计算)"
        )
    return "\n".join(lines).rstrip() + "\n"


def _legend(days: list[Day]) -> list[str]:
    """One line per run of marked days: ``10-01…10-07 休 国庆节``, ``10-10 班 国庆节``."""
    out: list[str] = []
    run: list[Day] = []

    def flush() -> None:
        if run:
            first, last = run[0].day, run[-1].day
            span = f"{first:%m-%d}" if first == last else f"{first:%m-%d}…{last:%m-%d}"
            out.append(f"{span} {_MARKS[run[0].kind]} {run[0].name}")
            run.clear()

    for day in days:
        if day.kind in _MARKS:
            if run and (
                run[-1].kind is not day.kind
                or run[-1].name != day.name
                or (day.day - run[-1].day).days != 1
            ):
                flush()
            run.append(day)
        else:
            flush()
    flush()
    return out
