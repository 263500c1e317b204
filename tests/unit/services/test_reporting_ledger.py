"""The rectification ledger (整改台账) as a pure function of its rows and an as-of date, and the
``--as-of`` argument of ``xuncha audit replay`` (parsing and refusals, no database)."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic_core import to_jsonable_python
from typer.testing import CliRunner
from xuncha_reporting.adapters.schema import TABLE_KEYS, check_schema
from xuncha_reporting.domain.ledger import china_date, parse_due_date, unit_ledger
from xuncha_reporting.domain.model import LedgerIssue, LedgerReport
from xuncha_reporting.entrypoints.routes.ledger import Ledger
from xuncha_reporting.replay import AsOfError, parse_as_of, replay_schema_name
from xuncha_shared.cli.commands import with_service_commands

LINCHUAN = "361002"
NANCHENG = "361021"
UNIT = "临川区农业农村局"
T0 = datetime(2024, 3, 1, 1, 0, tzinfo=UTC)  # 2024-03-01 09:00 Beijing time
DUE = "2024-05-01"


def issue(n: int, *, unit: str = UNIT, jurisdiction: str = LINCHUAN, due: str | None = DUE):
    return LedgerIssue(
        issue_id=uuid.UUID(int=n),
        feedback_id=uuid.UUID(int=1000),
        jurisdiction=jurisdiction,
        unit=unit,
        description=f"问题{n}",
        rect_type="time_bound",
        due_date=due,
        fed_back_at=T0 + timedelta(minutes=n),
        source_event_id=uuid.UUID(int=2000 + n),
    )


def report(
    n: int, issue_no: int, *, kind: str, percent: int, completed: bool = False, day: int = 10
) -> LedgerReport:
    return LedgerReport(
        event_id=uuid.UUID(int=3000 + n),
        issue_id=uuid.UUID(int=issue_no),
        jurisdiction=LINCHUAN,
        kind=kind,
        progress_percent=percent,
        completed=completed,
        note=f"报告{n}",
        reported_at=T0 + timedelta(days=day, minutes=n),
    )


ISSUES = [issue(1), issue(2), issue(3), issue(4), issue(5)]
REPORTS = [
    # 1: progress, then the formal report declares it complete -> 已完成
    report(1, 1, kind="progress", percent=40, day=5),
    report(2, 1, kind="formal", percent=100, completed=True, day=40),
    # 2: nothing reported
    # 3: only a progress report
    report(3, 3, kind="progress", percent=30, day=20),
    # 4: the formal report is in, rectification goes on (a long-term task) -> 整改中
    report(4, 4, kind="formal", percent=60, day=50),
    # 5: completed by the final report after two progress reports
    report(5, 5, kind="progress", percent=50, day=3),
    report(6, 5, kind="progress", percent=80, day=6),
    report(7, 5, kind="final", percent=100, completed=True, day=9),
]


def ledger(as_of: date, issues=ISSUES, reports=REPORTS):
    return unit_ledger(issues, reports, jurisdiction=LINCHUAN, unit=UNIT, as_of=as_of)


def statuses(doc) -> list[str]:
    return [i["status"] for i in doc["issues"]]


def test_before_the_due_date_nothing_is_overdue():
    doc = ledger(date(2024, 4, 20))
    # nothing reported yet is 待报告, not 整改中: no report shows any work under way
    assert statuses(doc) == [
        "completed",
        "awaiting_report",
        "in_progress",
        "in_progress",
        "completed",
    ]
    assert [i["status_zh"] for i in doc["issues"]] == [
        "已完成",
        "待报告",
        "整改中",
        "整改中",
        "已完成",
    ]
    counts = ("issues_total", "awaiting_report", "in_progress", "completed", "overdue")
    assert tuple(doc[k] for k in counts) == (5, 1, 2, 2, 0)
    assert doc["reports_total"] == 7
    assert doc["completion_rate"] == 0.4
    # the formal-report clock (R1) of the open issues without a formal report
    assert [i["days_left"] for i in doc["issues"]] == [None, 11, 11, None, None]


def test_on_the_due_date_not_yet_overdue_the_day_after_overdue():
    on_due = ledger(date(2024, 5, 1))
    assert on_due["overdue"] == 0
    assert [i["days_left"] for i in on_due["issues"]][1:3] == [0, 0]
    after = ledger(date(2024, 5, 2))
    # a progress report does not stop the clock; a formal report without completion does
    assert statuses(after) == ["completed", "overdue", "overdue", "in_progress", "completed"]
    assert [i["status_zh"] for i in after["issues"]][1:3] == ["逾期", "逾期"]
    assert (after["awaiting_report"], after["in_progress"]) == (0, 1)
    assert (after["completed"], after["overdue"]) == (2, 2)
    assert [i["days_left"] for i in after["issues"]][1:3] == [-1, -1]


def test_issue_details_reports_in_order_progress_and_completion():
    doc = ledger(date(2024, 4, 20))
    first, _, third, fourth, fifth = doc["issues"]
    assert [r["note"] for r in first["reports"]] == ["报告1", "报告2"]
    assert [r["kind_zh"] for r in first["reports"]] == ["整改进展报告", "整改情况报告"]
    assert (first["progress_percent"], first["completed"], first["formal_reported"]) == (
        100,
        True,
        True,
    )
    assert first["completed_at"] == REPORTS[1].reported_at
    assert first["rect_type_zh"] == "限期整改" and first["due_date"] == date(2024, 5, 1)
    assert (third["progress_percent"], third["completed"], third["formal_reported"]) == (
        30,
        False,
        False,
    )
    assert fourth["formal_reported"] and not fourth["completed"]
    assert [r["kind"] for r in fifth["reports"]] == ["progress", "progress", "final"]
    assert fifth["completed_at"] == REPORTS[6].reported_at
    assert doc["jurisdiction_name"] == "临川区" and doc["as_of"] == date(2024, 4, 20)


def test_other_units_and_orphan_reports_are_ignored():
    others = [issue(6, unit="临川区住建局"), issue(7, jurisdiction=NANCHENG)]
    orphan = report(9, 99, kind="formal", percent=100, completed=True)
    doc = ledger(date(2024, 4, 20), [*others, *ISSUES], [*REPORTS, orphan])
    assert doc == ledger(date(2024, 4, 20))


def test_the_ledger_does_not_depend_on_the_order_of_its_rows():
    expected = ledger(date(2024, 5, 2))
    rng = random.Random(3)
    for _ in range(10):
        issues, reports = list(ISSUES), list(REPORTS)
        rng.shuffle(issues)
        rng.shuffle(reports)
        assert ledger(date(2024, 5, 2), issues, reports) == expected


def test_a_unit_without_issues_and_a_malformed_due_date():
    empty = unit_ledger([], [], jurisdiction=LINCHUAN, unit=UNIT, as_of=date(2024, 5, 2))
    assert (empty["issues_total"], empty["completion_rate"], empty["issues"]) == (0, None, [])
    odd = ledger(date(2030, 1, 1), [issue(1, due="two months"), issue(2, due=None)], [])
    # no valid due date: never overdue
    assert statuses(odd) == ["awaiting_report", "awaiting_report"]
    assert [i["due_date"] for i in odd["issues"]] == [None, None]
    assert parse_due_date(" 2024-05-01 ") == date(2024, 5, 1)


def test_china_date_is_the_beijing_calendar_day():
    assert china_date(datetime(2026, 4, 30, 16, 0, tzinfo=UTC)) == date(2026, 5, 1)
    assert china_date(datetime(2026, 4, 30, 15, 59, 59, tzinfo=UTC)) == date(2026, 4, 30)


def test_api_and_cli_give_the_same_json():
    """The live API serialises the ledger through its response model, the CLI with pydantic's
    plain serializer: the same document either way (the replay test compares them exactly)."""
    doc = ledger(date(2024, 5, 2))
    assert Ledger.model_validate(doc).model_dump(mode="json") == to_jsonable_python(doc)


def test_ledger_tables_are_compared_by_rebuild():
    assert TABLE_KEYS["ledger_issues"] == ("issue_id",)
    assert TABLE_KEYS["ledger_reports"] == ("event_id",)


# ---- --as-of ---------------------------------------------------------------------------------

NOW = datetime(2026, 5, 2, 12, 0, tzinfo=UTC)


def test_as_of_with_an_offset_is_one_instant():
    beijing = parse_as_of("2026-05-01T00:00:00+08:00", NOW)
    utc = parse_as_of("2026-04-30T16:00:00Z", NOW)
    assert beijing == utc == datetime(2026, 4, 30, 16, 0, tzinfo=UTC)
    assert beijing.utcoffset() == timedelta(hours=8)
    assert parse_as_of(" 2026-05-02T12:00:00+00:00 ", NOW) == NOW  # now itself is fine


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-05-01T00:00:00", "has no timezone offset"),
        ("2026-05-01 00:00:00", "has no timezone offset"),
        ("2026-05-01", "has no time and no timezone offset"),
        ("2026-05-02T12:00:01Z", "is in the future"),
        ("2026-05-02T20:00:01+08:00", "is in the future"),
        ("yesterday", "is not an ISO 8601 time"),
        ("", "is not an ISO 8601 time"),
        ("0001-01-01T00:00:00+08:00", "before the earliest moment"),
    ],
)
def test_bad_as_of_is_refused(value: str, message: str):
    with pytest.raises(AsOfError, match=message):
        parse_as_of(value, NOW)


def test_replay_schema_name():
    as_of = datetime(2026, 5, 1, 0, 0, 5, tzinfo=timezone(timedelta(hours=8)))
    one, two = replay_schema_name(as_of), replay_schema_name(as_of)
    assert one.startswith("asof_20260430160005_") and check_schema(one) == one
    assert one != two


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-05-01T00:00:00"], "no timezone offset"),
        (["--as-of", "2999-01-01T00:00:00Z"], "in the future"),
        (["--as-of", "2026-05-01T00:00:00Z", "--unit", UNIT], "--unit requires --jurisdiction"),
        (["--as-of", "2026-05-01T00:00:00Z", "-j", "999999"], "unknown jurisdiction"),
        (["--as-of", "2026-05-01T00:00:00Z", "-j", LINCHUAN, "-u", "  "], "must not be blank"),
    ],
)
def test_cli_refuses_bad_arguments_before_touching_anything(args: list[str], message: str):
    # an unreachable database: the refusal must come first (exit 2), never a connection error
    env = {"XUNCHA_PG_ADMIN_URL": "postgresql://nobody@127.0.0.1:1/none", "COLUMNS": "200"}
    result = CliRunner().invoke(with_service_commands(), ["audit", "replay", *args], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
