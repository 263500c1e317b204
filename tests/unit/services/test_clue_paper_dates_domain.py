"""clues, R26 补录 (pure model): a registration and a transfer made on paper carry the days
written on them; neither is after today nor more than a term back, a transfer is not before
the registration; without them nothing changes. The contracts' older schemas upcast to none."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from xuncha_clues.domain import model, paper_dates, results
from xuncha_clues.domain.clue import Clue, ClueStatus, Office
from xuncha_clues.domain.commands import (
    AcknowledgeClue,
    ClassifyClue,
    RegisterClue,
    ReportResult,
    TransferClue,
)
from xuncha_clues.domain.paper_dates import earliest_paper_day
from xuncha_clues.domain.scope import RegisteringGroup
from xuncha_shared.contracts.clues import (
    UPCASTERS,
    AcknowledgementPath,
    ClueCategory,
    ClueRegistered,
    ClueTransferred,
    Disposition,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.errors import InvalidCommand

pytestmark = pytest.mark.unit

CITY = Office(jurisdiction="361000", city_wide=True)
TODAY = date(2026, 11, 30)
#: recorded today, 10:00 China time
NOW = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
DISCIPLINE = Department.DISCIPLINE


def apply(state: Clue, events: list, at: datetime = NOW) -> Clue:  # type: ignore[type-arg]
    for e in events:
        model.evolve(state, e, at)
    return state


def register(registered_on: date | None = None) -> RegisterClue:
    return RegisterClue(
        clue_id=uuid.uuid4(),
        jurisdiction="361000",
        unit="市某局",
        summary="违规发放津补贴",
        direct=True,
        registered_on=registered_on,
    )


def classified(registered_on: date | None = None) -> Clue:
    s = apply(Clue(), model.decide_register(Clue(), register(registered_on), TODAY))
    cmd = ClassifyClue(category=ClueCategory.FURTHER_INQUIRY, topics=("四风",))
    return apply(s, model.decide_classify(s, cmd, CITY))


def test_a_registration_on_paper_keeps_its_day() -> None:
    day = TODAY - timedelta(days=150)
    (event,) = model.decide_register(Clue(), register(day), TODAY)
    assert isinstance(event, ClueRegistered) and event.registered_on == day
    state = apply(Clue(), [event])
    assert state.registered_on == day and state.registration_day == day
    assert state.registered_at == NOW  # the recording stays when it was


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (TODAY + timedelta(days=1), ("登记日期不能晚于今天", "2026-12-01", "after today")),
        (date(2021, 11, 29), ("5年前", "2021-11-30", "more than 5 years")),
    ],
)
def test_a_registration_day_after_today_or_beyond_a_term_is_refused(
    day: date, words: tuple[str, ...]
) -> None:
    with pytest.raises(InvalidCommand) as refused:
        model.decide_register(Clue(), register(day), TODAY)
    assert "R26" in refused.value.detail and "registered_on" in refused.value.detail
    assert all(w in refused.value.detail for w in words)
    assert day.isoformat() in refused.value.detail


def test_the_edges_of_a_term_and_today_are_accepted() -> None:
    for day in (TODAY, earliest_paper_day(TODAY)):
        assert model.decide_register(Clue(), register(day), TODAY)
    assert earliest_paper_day(date(2028, 2, 29)) == date(2023, 2, 28)


def test_without_a_day_nothing_changes() -> None:
    (event,) = model.decide_register(Clue(), register())
    assert isinstance(event, ClueRegistered) and event.registered_on is None
    s = classified()
    assert s.registration_day == date(2026, 11, 30)  # the China day of the recording
    (transfer,) = model.decide_transfer(s, TransferClue(DISCIPLINE, "移交"), CITY)
    assert isinstance(transfer, ClueTransferred) and transfer.transferred_on is None
    s = apply(s, [transfer])
    assert s.transferred_on is None and s.transfer_day == TODAY


def test_a_transfer_on_paper_keeps_the_letters_day() -> None:
    s = classified(TODAY - timedelta(days=150))
    letter = TODAY - timedelta(days=120)
    cmd = TransferClue(DISCIPLINE, "按规定移交", transferred_on=letter)
    (event,) = model.decide_transfer(s, cmd, CITY, TODAY)
    assert isinstance(event, ClueTransferred) and event.transferred_on == letter
    s = apply(s, [event])
    assert (s.status, s.transferred_on, s.transfer_day) == (ClueStatus.TRANSFERRED, letter, letter)


def test_a_transfer_before_the_registration_day_is_refused() -> None:
    registered = TODAY - timedelta(days=150)
    s = classified(registered)
    cmd = TransferClue(DISCIPLINE, "移交", transferred_on=registered - timedelta(days=1))
    with pytest.raises(InvalidCommand) as refused:
        model.decide_transfer(s, cmd, CITY, TODAY)
    detail = refused.value.detail
    assert "移交日期不能早于线索登记日期" in detail and "R26" in detail
    assert "2026-07-02" in detail and "2026-07-03" in detail
    # the registration day itself is fine
    same_day = TransferClue(DISCIPLINE, "移交", transferred_on=registered)
    assert model.decide_transfer(s, same_day, CITY, TODAY)


def test_a_transfer_day_before_the_day_recorded_is_refused_without_a_paper_registration() -> None:
    s = classified()  # registered today (recorded)
    cmd = TransferClue(DISCIPLINE, "移交", transferred_on=TODAY - timedelta(days=1))
    with pytest.raises(InvalidCommand, match="registration day"):
        model.decide_transfer(s, cmd, CITY, TODAY)


def test_a_transfer_day_after_today_is_refused() -> None:
    s = classified(TODAY - timedelta(days=10))
    cmd = TransferClue(DISCIPLINE, "移交", transferred_on=TODAY + timedelta(days=1))
    with pytest.raises(InvalidCommand, match="transferred_on 2026-12-01 is after today"):
        model.decide_transfer(s, cmd, CITY, TODAY)


def test_a_result_is_not_concluded_before_the_transfer_letter() -> None:
    s = classified(TODAY - timedelta(days=150))
    letter = TODAY - timedelta(days=120)
    cmd = TransferClue(DISCIPLINE, "移交", transferred_on=letter)
    s = apply(s, model.decide_transfer(s, cmd, CITY, TODAY))
    ack = AcknowledgeClue(DISCIPLINE, AcknowledgementPath.DIRECT, uuid.uuid4())
    s = apply(s, results.decide_acknowledge(s, ack))
    early = ReportResult(DISCIPLINE, Disposition.CLOSED, letter - timedelta(days=1), "了结")
    with pytest.raises(InvalidCommand, match="before the transfer"):
        results.decide_report_result(s, early, TODAY)
    # concluded after the letter though before the recording: accepted
    ok = ReportResult(DISCIPLINE, Disposition.CLOSED, letter + timedelta(days=30), "了结")
    assert results.decide_report_result(s, ok, TODAY)


def test_a_paper_day_needs_today() -> None:
    with pytest.raises(ValueError, match="R26"):
        model.decide_register(Clue(), register(TODAY))


def test_older_schemas_upcast_to_no_paper_day() -> None:
    registered = UPCASTERS[("clues.ClueRegistered", 3)]({"clue_id": "x"})
    transferred = UPCASTERS[("clues.ClueTransferred", 1)]({"clue_id": "x"})
    assert registered["registered_on"] is None and transferred["transferred_on"] is None
    assert ClueRegistered.schema_version == 4 and ClueTransferred.schema_version == 2


def test_a_records_clues_are_registered_on_its_day_when_entered_later() -> None:
    today = date(2026, 12, 5)
    assert paper_dates.record_day(date(2026, 10, 12), today) == date(2026, 10, 12)
    assert paper_dates.record_day(today, today) is None  # entered the same day
    assert paper_dates.record_day(date(2026, 12, 6), today) is None  # not a day to come
    assert paper_dates.record_day(date(2021, 12, 5), today) == date(2021, 12, 5)
    assert paper_dates.record_day(date(2021, 12, 4), today) is None  # more than a term back


# --- a clue a group registers, checked against the group as clues knows it ------------------

ROUND = uuid.uuid4()
UNIT = uuid.uuid4()
GROUP = RegisteringGroup(
    round_id=ROUND, jurisdiction="361000", unit_ids=frozenset({UNIT}), starts_on=date(2026, 9, 1)
)


def by_group(registered_on: date | None = None, **changes: Any) -> RegisterClue:
    fields: dict[str, Any] = {"round_id": str(ROUND), "group_id": uuid.uuid4(), "unit_id": UNIT}
    return replace(register(registered_on), **{**fields, **changes})


def test_a_group_registers_within_its_round_from_the_rounds_first_day() -> None:
    (event,) = model.decide_register(Clue(), by_group(date(2026, 9, 1)), TODAY, GROUP)
    assert isinstance(event, ClueRegistered) and event.registered_on == date(2026, 9, 1)
    assert model.decide_register(Clue(), by_group(), TODAY, GROUP)


def test_a_day_on_paper_before_the_group_s_round_began_is_refused() -> None:
    with pytest.raises(InvalidCommand) as refused:
        model.decide_register(Clue(), by_group(date(2026, 8, 31)), TODAY, GROUP)
    assert "登记日期不能早于该轮巡察开始日期" in str(refused.value)
    assert "2026-09-01" in str(refused.value) and "R26" in str(refused.value)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"round_id": str(uuid.uuid4())}, "不属于该巡察轮次"),
        ({"jurisdiction": "361002"}, "不属于该地区"),
        ({"unit_id": uuid.uuid4()}, "不是所选巡察组巡察的单位"),
    ],
)
def test_a_group_registers_only_in_its_round_area_and_units(
    changes: dict[str, Any], words: str
) -> None:
    with pytest.raises(InvalidCommand) as refused:
        model.decide_register(Clue(), by_group(**changes), TODAY, GROUP)
    assert words in str(refused.value)


def test_a_group_not_known_yet_or_without_its_day_is_taken_as_given() -> None:
    early = by_group(date(2026, 8, 1))
    assert model.decide_register(Clue(), early, TODAY, None)
    assert model.decide_register(Clue(), early, TODAY, replace(GROUP, starts_on=None))


def test_a_clue_a_record_or_petition_brings_is_not_checked_against_a_group() -> None:
    brought = by_group(date(2026, 8, 1), direct=False, round_id="四届市委第七轮")
    assert model.decide_register(Clue(), brought, TODAY, GROUP)
