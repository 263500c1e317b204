"""Reporting's share of intake's clocks R13–R15 as pure functions: which changes each event
makes (keys, owners, start moments), and that a stationing's end closes its running cadence
when the view is read, whatever order the rows came in."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from xuncha_reporting.domain import project
from xuncha_reporting.domain.deadlines import deadline_item, state_of
from xuncha_reporting.domain.intake_clocks import (
    close_with_stationings,
    intake_clock_changes,
    real_name_result_notices,
)
from xuncha_reporting.domain.model import DeadlineEnded, DeadlineFired, DeadlineStart
from xuncha_shared.contracts import intake
from xuncha_shared.contracts.common import Channel

from tests.unit.services.test_reporting_domain import LINCHUAN, envelope, petition

pytestmark = pytest.mark.unit

CST = timezone(timedelta(hours=8))
G, S = uuid.uuid4(), uuid.uuid4()


def test_a_walk_in_starts_r13_and_a_letter_does_not() -> None:
    walk_in = petition(with_informant=False).model_copy(update={"channel": Channel.VISIT})
    [start] = intake_clock_changes(envelope(walk_in, LINCHUAN), walk_in)
    assert isinstance(start, DeadlineStart)
    assert (start.kind, start.key, start.rule_id, start.owner) == (
        "intake.walk_in",
        str(walk_in.petition_id),
        "walk_in_same_day",
        LINCHUAN,
    )
    letter = petition(with_informant=False)
    assert intake_clock_changes(envelope(letter, LINCHUAN), letter) == []
    # the whole projection carries it (registered in the dispatch)
    assert any(isinstance(c, DeadlineStart) for c in project(envelope(walk_in, LINCHUAN), walk_in))


def test_a_stationing_starts_r14_and_both_cadences_from_its_first_day() -> None:
    ev = intake.GroupStationed(
        group_id=G, stationing_id=S, unit_id=uuid.uuid4(), starts_on=date(2026, 10, 12),
        ends_on=date(2026, 11, 2), rule_id="stationing", rule_version=1,
    )  # fmt: skip
    changes = intake_clock_changes(envelope(ev, LINCHUAN, stream_type="group"), ev)
    got = {(c.kind, c.key, c.owner) for c in changes if isinstance(c, DeadlineStart)}
    assert got == {
        ("intake.stationing", f"{G}/{S}", str(G)),
        ("intake.dispatch", f"{G}/{S}/dispatch/0", LINCHUAN),
        ("intake.progress_report", f"{G}/{S}/report/0", str(G)),
    }
    assert {c.started_at for c in changes} == {datetime(2026, 10, 12, tzinfo=CST)}


def test_a_dispatch_ends_its_number_and_starts_the_next() -> None:
    ev = intake.DispatchHeld(group_id=G, stationing_id=S, seq=2, held_on=date(2026, 10, 24))
    ended, started = intake_clock_changes(envelope(ev, LINCHUAN, stream_type="group"), ev)
    assert isinstance(ended, DeadlineEnded) and isinstance(started, DeadlineStart)
    assert (ended.key, started.key) == (f"{G}/{S}/dispatch/1", f"{G}/{S}/dispatch/2")
    overdue = intake.CadenceOverdue(
        deadline_id=uuid.uuid4(), rule_id="biweekly_report", rule_version=1,
        due_date=date(2026, 10, 26), group_id=G, stationing_id=S, cadence="report", seq=1,
    )  # fmt: skip
    [fired] = intake_clock_changes(envelope(overdue, LINCHUAN, stream_type="group"), overdue)
    assert isinstance(fired, DeadlineFired)
    assert (fired.kind, fired.key, fired.stage) == (
        "intake.progress_report",
        f"{G}/{S}/report/0",
        "overdue",
    )


def _row(kind: str, key: str, due: date, **extra: Any) -> dict[str, Any]:
    return {
        "kind": kind, "key": key, "rule_id": "r", "rule_version": 1, "due_date": due,
        "case_type": "group", "jurisdiction": LINCHUAN, "owner": str(G), "waits_for": "w",
        "started_at": None, "yellow_event_id": None, "red_event_id": None,
        "overdue_event_id": None, "ended_at": None, "ended_by": None, **extra,
    }  # fmt: skip


def test_the_end_of_a_stationing_closes_its_running_cadence_when_read() -> None:
    ended_at = datetime(2026, 10, 20, tzinfo=CST)
    rows = [
        _row("intake.dispatch", f"{G}/{S}/dispatch/1", date(2026, 10, 27)),
        _row(
            "intake.progress_report",
            f"{G}/{S}/report/0",
            date(2026, 10, 16),
            overdue_event_id=uuid.uuid4(),
        ),
        _row("intake.dispatch", f"{uuid.uuid4()}/{uuid.uuid4()}/dispatch/0", date(2026, 10, 27)),
        _row("intake.stationing", f"{G}/{S}", date(2026, 11, 2), ended_at=ended_at),
    ]
    for order in (rows, rows[::-1]):
        states = [state_of(r).value for r in close_with_stationings(list(order))]
        by_key = dict(zip([r["key"] for r in order], states, strict=True))
        assert by_key[f"{G}/{S}/dispatch/1"] == "met"
        assert by_key[f"{G}/{S}/report/0"] == "met_late"
        assert by_key[f"{G}/{S}"] == "met"
        assert [s for k, s in by_key.items() if not k.startswith(str(G))] == ["running"]


def test_a_keyed_deadline_links_to_its_case() -> None:
    item = deadline_item(_row("intake.stationing", f"{G}/{S}", date(2026, 11, 2)), date.today())
    assert item["case"] == {"type": "group", "id": str(G), "link": f"/api/v1/groups/{G}"}


def test_r8_result_notice_starts_at_the_disposal_ends_when_sent_and_fires_overdue() -> None:
    """Issue 14: the deadlines view lists intake's R8 result-notice clock."""
    pid = uuid.uuid4()
    learnt = intake.ClueDisposalLearned(
        petition_id=pid, clue_id=uuid.uuid4(), disposition="closed", disposed_on=date(2026, 10, 9)
    )
    [start] = intake_clock_changes(envelope(learnt, LINCHUAN), learnt)
    assert isinstance(start, DeadlineStart)
    assert (start.kind, start.key, start.rule_id, start.case_type, start.owner) == (
        "intake.result_notice", str(pid), "jianju_2020_result", "petition", LINCHUAN,
    )  # fmt: skip
    assert start.started_at == datetime(2026, 10, 9, tzinfo=CST)
    assert any(isinstance(c, DeadlineStart) for c in project(envelope(learnt, LINCHUAN), learnt))
    sent = intake.InformantNotified(
        petition_id=pid, notice=intake.NoticeKind.RESULT,
        notice_channel=intake.NoticeChannel.LETTER, sent_on=date(2026, 10, 20),
    )  # fmt: skip
    [ended] = intake_clock_changes(envelope(sent, LINCHUAN), sent)
    assert isinstance(ended, DeadlineEnded)
    assert (ended.kind, ended.key) == ("intake.result_notice", str(pid))
    # the acceptance notice is not the result notice's end
    acceptance = sent.model_copy(update={"notice": intake.NoticeKind.ACCEPTANCE})
    assert intake_clock_changes(envelope(acceptance, LINCHUAN), acceptance) == []
    late = intake.ResultNoticeOverdue(
        deadline_id=uuid.uuid4(), rule_id="jianju_2020_result", rule_version=1,
        due_date=date(2026, 10, 30), petition_id=pid,
    )  # fmt: skip
    [fired] = intake_clock_changes(envelope(late, LINCHUAN), late)
    assert isinstance(fired, DeadlineFired)
    assert (fired.kind, fired.key, fired.stage) == ("intake.result_notice", str(pid), "overdue")


def test_an_anonymous_petitions_result_notice_row_is_left_out_when_read() -> None:
    real, anonymous = str(uuid.uuid4()), str(uuid.uuid4())
    rows = [
        _row("intake.acceptance_notice", real, date(2026, 10, 1), case_type="petition"),
        _row("intake.result_notice", real, date(2026, 10, 30), case_type="petition"),
        _row("intake.result_notice", anonymous, date(2026, 10, 30), case_type="petition"),
    ]
    kept = real_name_result_notices(rows)
    assert [(r["kind"], r["key"]) for r in kept] == [
        ("intake.acceptance_notice", real),
        ("intake.result_notice", real),
    ]
    item = deadline_item(kept[1], date(2026, 10, 2))
    assert item["case"]["link"] == f"/api/v1/petitions/{real}"
