"""The deadlines view's pure part: a row's state from what its events filled in, the items'
fields and the per-county colour counts."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta
from typing import Any

from xuncha_reporting.domain.deadlines import (
    CST,
    State,
    days_late,
    deadline_item,
    overdue_from,
    state_of,
    summary,
)

DUE = date(2026, 11, 30)


def row(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "kind": "rectification.formal_report",
        "key": str(uuid.UUID(int=7)),
        "rule_id": "xunshi_2015_art27",
        "rule_version": 1,
        "due_date": DUE,
        "case_type": "issue",
        "jurisdiction": "361002",
        "owner": "某局",
        "waits_for": "rectification.RectificationReported(kind=formal)",
        "started_at": datetime(2026, 9, 30, 10, tzinfo=CST),
        "yellow_event_id": None,
        "red_event_id": None,
        "overdue_event_id": None,
        "ended_at": None,
        "ended_by": None,
    }
    base.update(values)
    return base


def test_states_follow_the_firings_and_the_end() -> None:
    fired = uuid.uuid4()
    assert state_of(row()) is State.RUNNING
    assert state_of(row(yellow_event_id=fired)) is State.WARNING_YELLOW
    assert state_of(row(yellow_event_id=fired, red_event_id=fired)) is State.WARNING_RED
    assert state_of(row(red_event_id=fired, overdue_event_id=fired)) is State.OVERDUE


def test_met_until_the_end_of_the_due_day_then_met_late() -> None:
    last_moment = datetime(2026, 11, 30, 23, 59, 59, tzinfo=CST)
    assert overdue_from(DUE) == datetime(2026, 12, 1, tzinfo=CST)
    assert state_of(row(ended_at=last_moment)) is State.MET
    assert state_of(row(ended_at=overdue_from(DUE))) is State.MET_LATE
    # an end wins over firings, whatever order they were applied in
    assert state_of(row(overdue_event_id=uuid.uuid4(), ended_at=overdue_from(DUE))) is (
        State.MET_LATE
    )


def test_item_links_the_case_and_counts_days_late() -> None:
    overdue = row(overdue_event_id=uuid.uuid4())
    item = deadline_item(overdue, date(2026, 12, 10))
    assert item["case"] == {
        "type": "issue",
        "id": overdue["key"],
        "link": f"/api/v1/rectifications/{overdue['key']}",
    }
    assert (item["state"], item["days_late"]) == ("overdue", 10)
    assert days_late(overdue, date(2026, 11, 30)) == 1  # overdue is at least a day late
    assert deadline_item(row(), date(2026, 12, 10))["days_late"] == 0


def test_summary_counts_open_deadlines_by_colour_per_jurisdiction() -> None:
    fired = uuid.uuid4()
    rows = [
        row(),
        row(yellow_event_id=fired),
        row(red_event_id=fired),
        row(overdue_event_id=fired),
        row(ended_at=datetime(2026, 10, 1, tzinfo=CST)),  # met: not counted
        row(jurisdiction="361021"),
    ]
    assert summary(rows) == {
        "361002": {"green": 1, "yellow": 1, "red": 2, "overdue": 1},
        "361021": {"green": 1, "yellow": 0, "red": 0, "overdue": 0},
    }
    # R10: red on its last day, also a deadline of a kind that fires no warnings, and a yellow
    # one whose red warning is not in yet; the list's state says the same (期限预警's counts
    # are its rows, counted)
    due = rows[0]["due_date"]
    assert summary(rows, due - timedelta(days=1))["361002"]["green"] == 1
    assert summary(rows, due)["361002"] == {"green": 0, "yellow": 0, "red": 4, "overdue": 1}
    assert [deadline_item(r, due)["state"] for r in rows[:2]] == ["warning_red"] * 2
    assert [deadline_item(r, due + timedelta(days=1))["state"] for r in rows[:2]] == [
        "running",
        "warning_yellow",
    ]


def test_an_acceptance_notice_ends_r8_as_of_its_sending_day() -> None:
    from xuncha_reporting.domain.model import DeadlineEnded
    from xuncha_reporting.domain.projection import project
    from xuncha_shared.contracts.intake import InformantNotified, NoticeChannel, NoticeKind
    from xuncha_shared.envelope import Actor, EventEnvelope

    pid = uuid.uuid4()
    payload = InformantNotified(
        petition_id=pid,
        notice=NoticeKind.ACCEPTANCE,
        notice_channel=NoticeChannel.PHONE,
        sent_on=date(2026, 10, 20),
    )
    env = EventEnvelope(
        event_id=uuid.uuid4(),
        event_type=payload.event_type,
        schema_version=1,
        stream_type="petition",
        stream_id=str(pid),
        stream_version=2,
        occurred_at=datetime(2026, 11, 2, tzinfo=CST),
        recorded_at=datetime(2026, 11, 2, tzinfo=CST),
        jurisdiction="361002",
        actor=Actor(principal_id="lc-custodian", role="informant_custodian"),
        correlation_id=uuid.uuid4(),
        payload=payload.model_dump(mode="json"),
        prev_hash="0" * 64,
        hash="1" * 64,
    )
    assert project(env, payload) == [
        DeadlineEnded(
            "intake.acceptance_notice", str(pid), env.event_id, datetime(2026, 10, 20, tzinfo=CST)
        )
    ]
    result = payload.model_copy(update={"notice": NoticeKind.RESULT})
    # the result notice ends its own clock (R8's result notice), never the acceptance's
    assert project(env, result) == [
        DeadlineEnded(
            "intake.result_notice", str(pid), env.event_id, datetime(2026, 10, 20, tzinfo=CST)
        )
    ]


def test_yellow_by_date_where_no_yellow_warning_fires() -> None:
    """R10: a task's, a supervision's or an answer's deadline, whose service fires no yellow
    warning, is yellow within the threshold of its due date, as the board's 临期 is; the short
    clocks (a week's 调度) stay green until their last day."""
    # R10's thresholds: 20 days, 临川区's own 5 (the routes pass the deployment's policy)
    thresholds = {"361002": 5}

    def yellow(jurisdiction: str) -> int:
        return thresholds.get(jurisdiction, 20)

    task = row(kind="rectification.task_due", jurisdiction="361000")
    for today, expected in (
        (DUE - timedelta(days=21), State.RUNNING),
        (DUE - timedelta(days=20), State.WARNING_YELLOW),
        (DUE - timedelta(days=1), State.WARNING_YELLOW),
        (DUE, State.WARNING_RED),  # its last day, as before
    ):
        assert state_of(task, today, yellow) is expected, today
        assert state_of(task, today) is (State.WARNING_RED if today == DUE else State.RUNNING)
    # started within the threshold (a task planned two weeks before its day): yellow at once
    late_plan = row(
        kind="rectification.supervision_due",
        jurisdiction="361000",
        started_at=datetime(2026, 11, 20, tzinfo=CST),
    )
    assert state_of(late_plan, DUE - timedelta(days=9), yellow) is State.WARNING_YELLOW
    # a county's own threshold
    county = row(kind="rectification.task_due", jurisdiction="361002")
    assert state_of(county, DUE - timedelta(days=6), yellow) is State.RUNNING
    assert state_of(county, DUE - timedelta(days=5), yellow) is State.WARNING_YELLOW
    # a week's 调度: green until its last day
    weekly = row(kind="intake.dispatch", started_at=datetime(2026, 11, 23, 9, tzinfo=CST))
    assert state_of(weekly, DUE - timedelta(days=3), lambda _: 20) is State.RUNNING
    # ended or overdue rows are not turned yellow
    done = row(kind="rectification.task_due", ended_at=datetime(2026, 11, 20, tzinfo=CST))
    assert state_of(done, DUE - timedelta(days=2), yellow) is State.MET
    assert summary([task], DUE - timedelta(days=3), yellow) == {
        "361000": {"green": 0, "yellow": 1, "red": 0, "overdue": 0}
    }
