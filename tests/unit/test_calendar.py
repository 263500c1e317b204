"""The working-day calendar: official holidays, make-up days (调休), calendar months, years
without data (provisional), data files, and the ``xuncha calendar`` commands."""

from __future__ import annotations

import json
from datetime import date

import pytest
from typer.testing import CliRunner
from xuncha_shared.cli.commands import app
from xuncha_shared.clocks.calendar import (
    CalendarSource,
    DayKind,
    add_calendar_months,
    load_calendar,
)
from xuncha_shared.clocks.rules import R7_FORWARD, R8_ACCEPTANCE_NOTICE, RULES

#: an illustrative 2027 schedule for the tests (NOT the official one): New Year's Day on
#: Friday 1 January joined by the weekend, 4 January off, worked back on Saturday 9 January
TEST_2027 = {
    "year": 2027,
    "source": "test data",
    "holidays": {"2027-01-01": "元旦", "2027-01-04": "元旦"},
    "makeup_days": {"2027-01-09": "元旦"},
}


@pytest.fixture
def calendar():
    return load_calendar([])


def test_national_day_skipped_and_makeup_saturday_counted(calendar):
    assert calendar.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)
    assert calendar.day(date(2026, 10, 1)).kind is DayKind.HOLIDAY
    assert calendar.day(date(2026, 10, 10)).kind is DayKind.MAKEUP
    assert calendar.is_working_day(date(2026, 10, 10))  # a Saturday worked (调休)
    assert calendar.add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert not calendar.is_working_day(date(2026, 10, 11))  # an ordinary Sunday


def test_spring_festival_skipped(calendar):
    # 2026: 15–23 February off, Saturdays 14 and 28 February worked
    assert calendar.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert calendar.add_working_days(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert calendar.add_working_days(date(2026, 2, 12), 5) == date(2026, 2, 26)
    assert calendar.add_working_days(date(2026, 2, 24), -2) == date(2026, 2, 13)
    assert calendar.add_working_days(date(2026, 2, 24), 0) == date(2026, 2, 24)


def test_calendar_months_clamp_to_the_end_of_the_month():
    assert add_calendar_months(date(2026, 12, 31), 2) == date(2027, 2, 28)
    assert add_calendar_months(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert add_calendar_months(date(2026, 8, 31), 1) == date(2026, 9, 30)
    assert add_calendar_months(date(2026, 10, 15), 3) == date(2027, 1, 15)
    assert add_calendar_months(date(2026, 3, 31), -1) == date(2026, 2, 28)


def test_year_without_data_is_provisional_then_recomputed(tmp_path, calendar):
    rule = RULES.applicable(R8_ACCEPTANCE_NOTICE, date(2026, 12, 20))
    before = rule.due(calendar, date(2026, 12, 20))
    assert not calendar.has_year(2027)
    assert before.provisional
    assert before.due_date == date(2027, 1, 8)  # weekends only: 15 working days
    assert before.calendar_version == "chinesecalendar-1.11.0"

    source = CalendarSource([tmp_path])
    assert source.current().version == calendar.version
    (tmp_path / "2027.json").write_text(json.dumps(TEST_2027), encoding="utf-8")
    updated = source.current()  # the new file is picked up without a restart
    assert updated.has_year(2027)
    after = rule.due(updated, date(2026, 12, 20))
    assert not after.provisional
    # 1 and 4 January off, Saturday 9 January worked: one day later than weekends only
    assert after.due_date == date(2027, 1, 11)
    assert after.calendar_version.startswith("chinesecalendar-1.11.0+2027@")
    # dates inside known years were never provisional
    assert (
        not RULES.applicable(R7_FORWARD, date(2026, 9, 30))
        .due(calendar, date(2026, 9, 30))
        .provisional
    )


def test_data_file_overrides_and_is_validated(tmp_path):
    bad = dict(TEST_2027, makeup_days={"2027-01-05": "元旦"})  # a Tuesday
    (tmp_path / "2027.json").write_text(json.dumps(bad), encoding="utf-8")
    with pytest.raises(ValueError, match="not a weekend day"):
        load_calendar([tmp_path])
    wrong_year = dict(TEST_2027, holidays={"2028-01-03": "元旦"})
    (tmp_path / "2027.json").write_text(json.dumps(wrong_year), encoding="utf-8")
    with pytest.raises(ValueError, match="not in 2027"):
        load_calendar([tmp_path])
    # a file for a year the package has replaces the package's data for that year
    (tmp_path / "2027.json").unlink()
    only_new_year = {
        "year": 2026,
        "source": "t",
        "holidays": {"2026-01-01": "元旦"},
        "makeup_days": {},
    }
    (tmp_path / "2026.json").write_text(json.dumps(only_new_year), encoding="utf-8")
    replaced = load_calendar([tmp_path])
    assert replaced.is_working_day(date(2026, 10, 1))
    assert "+2026@" in replaced.version


def test_shipped_data_files_are_valid():
    calendar = load_calendar()  # the package plus xuncha_shared/clocks/data/*.json
    assert calendar.has_year(2026)
    assert calendar.add_working_days(date(2026, 9, 30), 5) == date(2026, 10, 13)


def test_month_listing_marks_holidays_and_makeup_days(calendar):
    october = calendar.month(2026, 10)
    assert len(october) == 31
    assert [d.day.day for d in october if d.kind is DayKind.HOLIDAY] == [1, 2, 3, 4, 5, 6, 7]
    assert [d.day.day for d in october if d.kind is DayKind.MAKEUP] == [10]
    assert october[0].name == "国庆节"


def test_cli_add_days():
    result = CliRunner().invoke(app, ["calendar", "add-days", "2026-09-30", "5"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "2026-10-13\n"
    bad = CliRunner().invoke(app, ["calendar", "add-days", "2026-13-01", "5"])
    assert bad.exit_code == 2


def test_cli_show_month():
    result = CliRunner().invoke(app, ["calendar", "show", "2026-10"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("2026年10月")
    assert lines[2].split() == ["1休", "2休", "3休", "4休"]  # Thursday 1 October onwards
    assert " 10班 " in lines[3]
    assert "10-01…10-07 休 国庆节" in lines
    assert "10-10 班 国庆节" in lines
    provisional = CliRunner().invoke(app, ["calendar", "show", "2027-10"])
    assert provisional.exit_code == 0
    assert "provisional" in provisional.stdout
    assert CliRunner().invoke(app, ["calendar", "show", "2026-13"]).exit_code == 2
