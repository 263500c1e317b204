"""了解情况 (step 4): a record is of work done, on a day of the round that has come, and names
each kind of person talked to once."""

from __future__ import annotations

from datetime import date
from uuid import uuid4

import pytest
from xuncha_intake.domain import groups, records
from xuncha_shared.contracts.intake import (
    GroupFormed,
    IndividualTalkRecorded,
    RecordKind,
    RoundKind,
)
from xuncha_shared.domain.errors import InvalidCommand

from tests.unit.services.test_intake_groups_domain import LINCHUAN, a_round, unit

pytestmark = pytest.mark.unit

TARGET = unit(name="甲局")
ROUND = a_round(RoundKind.REGULAR, [TARGET.unit_id])  # 2026-09-01 to 2026-12-31
assert ROUND.round_id is not None
GROUP = groups.GROUP.replay(
    [
        GroupFormed(
            group_id=groups.group_id_for(ROUND.round_id, 1),
            round_id=ROUND.round_id,
            jurisdiction=LINCHUAN,
            group_no=1,
            leader_id=uuid4(),
            member_ids=[uuid4()],
            unit_ids=[TARGET.unit_id],
            starts_on=date(2026, 9, 1),
            ends_on=date(2026, 12, 31),
        )
    ]
)


def talk(day: date, *kinds: str) -> records.RecordIntake:
    assert ROUND.round_id is not None and GROUP.group_id is not None
    return records.RecordIntake(
        kind=RecordKind.INDIVIDUAL_TALK,
        round_id=ROUND.round_id,
        group_id=GROUP.group_id,
        unit_id=TARGET.unit_id,
        occurred_on=day,
        details={"talks": [{"interviewee": k, "persons": 1} for k in kinds]},
        record_id=uuid4(),
    )


def decide(cmd: records.RecordIntake, today: date) -> list[object]:
    return list(records.decide_record(records.IntakeRecord(), cmd, ROUND, GROUP, TARGET, today))


def test_a_day_that_has_come_is_recorded_today_included() -> None:
    [event] = decide(talk(date(2026, 12, 6), "leadership", "staff"), date(2026, 12, 6))
    assert isinstance(event, IndividualTalkRecorded)


def test_a_day_after_today_is_refused_though_the_round_runs_then() -> None:
    with pytest.raises(InvalidCommand, match=r"日期不能晚于今天（2026-12-06）"):
        decide(talk(date(2026, 12, 7), "staff"), date(2026, 12, 6))


def test_a_kind_of_person_named_twice_is_refused_with_its_name() -> None:
    with pytest.raises(InvalidCommand, match="谈话对象类别重复：领导班子成员"):
        decide(talk(date(2026, 10, 12), "leadership", "staff", "leadership"), date(2026, 12, 6))
