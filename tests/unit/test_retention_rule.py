"""R23's retention rule, its pure parts: the rule and its period (default and the deployment's),
the deadline's key, the day it counts from, and the erasure event it fires."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from xuncha_intake.adapters.deadlines import KINDS, RETENTION, RULE_IDS
from xuncha_intake.adapters.retention import (
    RETENTION_ENV,
    retention_erasure,
    retention_key,
    retention_months,
    retention_person,
    retention_start,
    rule_book,
)
from xuncha_shared.clocks.calendar import load_calendar
from xuncha_shared.clocks.clock import CST
from xuncha_shared.clocks.deadlines import Deadline, DeadlineState
from xuncha_shared.clocks.rules import R23_INFORMANT_RETENTION, RULES, RuleKind
from xuncha_shared.contracts.intake import ErasureTrigger, InformantIdentityErased

PETITION = uuid.UUID("01920000-0000-7000-8000-000000000001")
PERSON = uuid.UUID("01920000-0000-7000-8000-0000000000aa")


def deadline(key: str | None = None, **values: Any) -> Deadline:
    fields: dict[str, Any] = {
        "deadline_id": uuid.uuid4(),
        "kind": RETENTION.name,
        "key": key or retention_key(PETITION, PERSON),
        "rule_id": R23_INFORMANT_RETENTION,
        "rule_version": 1,
        "calendar_version": "test",
        "provisional": False,
        "jurisdiction": "361002",
        "stream_type": "petition",
        "stream_id": str(PETITION),
        "aggregate_id": str(PETITION),
        "owner": "361002",
        "waits_for": RETENTION.waits_for,
        "started_at": datetime(2026, 9, 29, tzinfo=CST),
        "started_on": date(2026, 9, 29),
        "started_by": uuid.uuid4(),
        "due_date": date(2028, 9, 29),
        "yellow_at": None,
        "red_at": None,
        "overdue_at": datetime(2028, 9, 30, tzinfo=CST),
        "state": DeadlineState.RUNNING,
        "next_fire_at": datetime(2028, 9, 30, tzinfo=CST),
        "yellow_event_id": None,
        "red_event_id": None,
        "overdue_event_id": None,
        "ended_at": None,
        "ended_by": None,
    }
    fields.update(values)
    return Deadline(**fields)


def test_the_rule_counts_calendar_months_from_the_disposal() -> None:
    rule = RULES.applicable(R23_INFORMANT_RETENTION, date(2026, 9, 29))
    assert (rule.version, rule.kind, rule.amount, rule.r_ids) == (
        1,
        RuleKind.CALENDAR_MONTHS,
        24,
        ("R23",),
    )
    assert rule.effective_from == date(2021, 11, 1)  # the PIPL took effect
    assert "个人信息保护法" in rule.source
    calendar = load_calendar()
    assert rule.due(calendar, date(2026, 9, 29)).due_date == date(2028, 9, 29)
    due = rule.due(calendar, date(2026, 2, 28))
    assert (due.due_date, due.provisional) == (date(2028, 2, 28), False)  # never provisional
    assert rule.due(calendar, date(2024, 2, 29)).due_date == date(2026, 2, 28)  # clamped


def test_intake_runs_and_lists_it() -> None:
    assert RETENTION in KINDS and R23_INFORMANT_RETENTION in RULE_IDS
    assert RETENTION.warning is None and RETENTION.effect is not None
    assert RETENTION.stream_type == "petition"


@pytest.mark.parametrize(
    ("raw", "months"),
    [(None, None), ("", None), ("  ", None), ("36", 36), (" 3 ", 3), ("240", 240)],
)
def test_the_deployments_period(raw: str | None, months: int | None) -> None:
    environ = {} if raw is None else {RETENTION_ENV: raw}
    assert retention_months(environ) == months


@pytest.mark.parametrize("raw", ["2", "0", "-6", "241", "two years", "24.5", "24m"])
def test_a_period_out_of_bounds_stops_the_service(raw: str) -> None:
    with pytest.raises(ValueError, match=RETENTION_ENV):
        retention_months({RETENTION_ENV: raw})


def test_the_rules_listing_shows_the_deployments_period() -> None:
    assert rule_book({}) is RULES
    book = rule_book({RETENTION_ENV: "36"})
    assert book.get(R23_INFORMANT_RETENTION, 1).amount == 36
    assert book.ids() == RULES.ids()  # every other rule as it is
    assert book.get("jianju_2020_result", 1) == RULES.get("jianju_2020_result", 1)


def test_a_case_disposed_before_the_rule_counts_from_its_first_day() -> None:
    assert retention_start(RULES, date(2026, 9, 29)) == date(2026, 9, 29)
    assert retention_start(RULES, date(2020, 5, 6)) == date(2021, 11, 1)


def test_the_key_names_the_petition_and_the_sealed_identity() -> None:
    key = retention_key(PETITION, PERSON)
    assert key == f"{PETITION}/informant/{PERSON}"
    assert key.split("/")[0] == str(PETITION)  # the case is the part before the first "/"
    assert retention_person(deadline()) == PERSON
    with pytest.raises(ValueError, match="not a retention key"):
        retention_person(deadline(key=f"{PETITION}/dispatch/{PERSON}"))
    with pytest.raises(ValueError, match="not a retention key"):
        retention_person(deadline(key=f"{uuid.uuid4()}/informant/{PERSON}"))  # another case


def test_the_erasure_event_says_why_and_under_which_rule_and_nothing_of_the_person() -> None:
    event = retention_erasure(deadline())
    assert isinstance(event, InformantIdentityErased)
    assert (event.petition_id, event.person_id) == (PETITION, PERSON)
    assert event.trigger is ErasureTrigger.RETENTION
    assert "2026-09-29" in event.reason and "2028-09-29" in event.reason
    assert "informant_retention v1" in event.reason
    assert event.legal_basis.startswith("《中华人民共和国个人信息保护法》")
    assert "第四十七条" in event.legal_basis
    payload = json.loads(event.model_dump_json())
    assert set(payload) == {"petition_id", "person_id", "trigger", "reason", "legal_basis"}
    # it passes the contract's own limits (4 to 500 characters) when stored and read back
    InformantIdentityErased.model_validate(payload)
    with pytest.raises(ValidationError):
        InformantIdentityErased.model_validate({**payload, "reason": "短"})
