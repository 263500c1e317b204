"""Deadline rules: versions by effective date, R10 thresholds per jurisdiction, the warning
schedule, and the ``GET /api/v1/rules`` router."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import httpx
import pytest
from fastapi import FastAPI
from xuncha_shared.clocks.calendar import load_calendar
from xuncha_shared.clocks.clock import CST, local_day
from xuncha_shared.clocks.deadlines import Schedule, Stage
from xuncha_shared.clocks.http import rules_router
from xuncha_shared.clocks.rules import (
    R1_RECTIFICATION_REPORT,
    R3_TRANSFER_RESULT,
    R10_WARNINGS,
    R13_WALK_IN,
    R15_REPORT,
    RULES,
    DeadlineRule,
    RuleBook,
    RuleKind,
    Thresholds,
    UnknownRuleError,
    WarningPolicy,
)

R1_V2 = DeadlineRule(
    R1_RECTIFICATION_REPORT, 2, date(2027, 1, 1), RuleKind.WORKING_DAYS, 40, ("R1",),
    "test: 40 working days", "test",
)  # fmt: skip


def test_every_issue_rule_is_defined():
    r_ids = {r for rule_id in RULES.ids() for v in RULES.versions(rule_id) for r in v.r_ids}
    assert r_ids == {"R1", "R3", "R4", "R7", "R8", "R10", "R13", "R14", "R15", "R23"}
    r1 = RULES.get(R1_RECTIFICATION_REPORT, 1)
    assert (r1.kind, r1.amount) == (RuleKind.CALENDAR_MONTHS, 2)


def test_every_rule_reads_in_chinese():
    """A rule's title and 依据 are what the workbench's 期限规则 page shows: no English words
    (the ``R`` ids and years are the rule's own)."""
    for rule_id in RULES.ids():
        for rule in RULES.versions(rule_id):
            for text in (rule.title_zh, rule.source):
                assert not re.search(r"[A-Za-z]{2,}", text), (rule_id, text)


def test_version_applies_from_its_effective_date():
    book = RULES.with_rules([R1_V2])
    assert book.applicable(R1_RECTIFICATION_REPORT, date(2026, 12, 31)).version == 1
    assert book.applicable(R1_RECTIFICATION_REPORT, date(2027, 1, 1)).version == 2
    assert RULES.applicable(R1_RECTIFICATION_REPORT, date(2027, 1, 1)).version == 1
    with pytest.raises(UnknownRuleError):
        book.applicable(R1_RECTIFICATION_REPORT, date(2010, 1, 1))
    with pytest.raises(UnknownRuleError):
        book.get(R1_RECTIFICATION_REPORT, 3)


def test_versions_must_be_unique_and_in_order():
    with pytest.raises(ValueError, match="twice"):
        RULES.with_rules([RULES.get(R3_TRANSFER_RESULT, 1)])
    early = DeadlineRule(
        R3_TRANSFER_RESULT, 2, date(2015, 1, 1), RuleKind.CALENDAR_MONTHS, 1, ("R3",), "t", "t"
    )
    with pytest.raises(ValueError, match="too early"):
        RULES.with_rules([early])


def test_due_dates_by_kind():
    calendar = load_calendar([])
    start = date(2026, 9, 30)
    assert RULES.get(R1_RECTIFICATION_REPORT, 1).due(calendar, start).due_date == date(2026, 11, 30)
    assert RULES.get(R3_TRANSFER_RESULT, 1).due(calendar, start).due_date == date(2026, 12, 30)
    assert RULES.get(R13_WALK_IN, 1).due(calendar, start).due_date == start
    assert RULES.get(R15_REPORT, 1).due(calendar, start).due_date == date(2026, 10, 14)
    with pytest.raises(ValueError, match="no due date"):
        RULES.get(R10_WARNINGS, 1).due(calendar, start)


def test_warning_thresholds_per_jurisdiction():
    policy = WarningPolicy.from_rules(
        overrides={"default": {"yellow_days": 15}, "330102": {"yellow_days": 10, "red_days": 1}}
    )
    assert policy.for_jurisdiction("330100") == Thresholds(15, 0)
    assert policy.for_jurisdiction("330102") == Thresholds(10, 1)
    assert WarningPolicy.from_rules().default == Thresholds(20, 0)  # R10 version 1
    with pytest.raises(ValueError, match="red_days <= yellow_days"):
        WarningPolicy.from_rules(overrides={"330102": {"yellow_days": 1, "red_days": 5}})
    with pytest.raises(ValueError, match="unknown"):
        WarningPolicy.from_rules(overrides={"330102": {"green_days": 1}})


def test_schedule_yellow_then_red_on_the_day_then_overdue():
    started = datetime(2026, 9, 30, 2, tzinfo=UTC)
    schedule = Schedule.of(date(2026, 11, 30), started, Thresholds(20, 0))
    assert schedule.yellow_at == datetime(2026, 11, 10, tzinfo=CST)
    assert schedule.red_at == datetime(2026, 11, 30, tzinfo=CST)
    assert schedule.overdue_at == datetime(2026, 12, 1, tzinfo=CST)
    assert schedule.first == schedule.yellow_at
    # a short deadline starts inside the yellow window: yellow from its start (R10)
    short = Schedule.of(date(2026, 10, 13), started, Thresholds(20, 0))
    assert short.yellow_at == started
    assert short.red_at == datetime(2026, 10, 13, tzinfo=CST)
    # started inside the red window: red from its start, no yellow before it
    late = Schedule.of(date(2026, 10, 2), started, Thresholds(20, 3))
    assert (late.yellow_at, late.red_at) == (None, started)
    # started after its due date (a transfer entered from paper): overdue, no warnings
    past = Schedule.of(date(2026, 9, 1), started, Thresholds(20, 3))
    assert (past.yellow_at, past.red_at, past.first) == (None, None, past.overdue_at)
    assert Schedule.of(date(2026, 10, 13), started, None).first == datetime(
        2026, 10, 14, tzinfo=CST
    )
    assert local_day(datetime(2026, 9, 30, 17, tzinfo=UTC)) == date(2026, 10, 1)  # Beijing


def test_stage_reached():
    from xuncha_shared.clocks.deadlines import Deadline, DeadlineState

    schedule = Schedule.of(date(2026, 11, 30), datetime(2026, 9, 30, tzinfo=UTC), Thresholds(20, 0))
    fields = dict.fromkeys(Deadline.__dataclass_fields__)
    fields.update(
        yellow_at=schedule.yellow_at, red_at=schedule.red_at, overdue_at=schedule.overdue_at,
        state=DeadlineState.RUNNING,
    )  # fmt: skip
    deadline = Deadline(**fields)
    assert deadline.reached(datetime(2026, 11, 9, 15, 59, tzinfo=UTC)) is None
    assert deadline.reached(datetime(2026, 11, 9, 16, tzinfo=UTC)) is Stage.YELLOW
    assert deadline.reached(datetime(2026, 11, 30, 12, tzinfo=CST)) is Stage.RED
    assert deadline.reached(datetime(2026, 12, 1, tzinfo=CST)) is Stage.OVERDUE
    assert deadline.next_after(Stage.YELLOW) == schedule.red_at
    assert deadline.next_after(Stage.RED) == schedule.overdue_at
    assert deadline.next_after(Stage.OVERDUE) is None


async def test_rules_router_lists_every_version():
    app = FastAPI()
    app.include_router(
        rules_router([R1_RECTIFICATION_REPORT, R10_WARNINGS], rules=RULES.with_rules([R1_V2]))
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/api/v1/rules")
    assert response.status_code == 200
    body = response.json()
    assert [(r["id"], r["version"]) for r in body["rules"]] == [
        (R1_RECTIFICATION_REPORT, 1),
        (R1_RECTIFICATION_REPORT, 2),
        (R10_WARNINGS, 1),
    ]
    assert body["rules"][0]["effective_from"] == "2015-08-03"
    assert body["rules"][2]["yellow_days"] == 20
    with pytest.raises(UnknownRuleError):
        rules_router(["no_such_rule"])


def test_rulebook_rejects_unknown_ids():
    with pytest.raises(UnknownRuleError):
        RuleBook([]).versions("x")
