"""Step 4 of the lifecycle: every intake channel (了解渠道) recorded against a round, a group and
one of its units. Pure: no I/O.

Each record is its own stream (stream type ``intake_record``) with one event, the channel's:
``IndividualTalkRecorded`` (人次 by kind of person), ``SurveyConducted`` (份 given out and
returned), ``SymposiumHeld``, ``SiteCheckConducted``, ``RecordsReviewed``,
``PersonalMattersChecked``, ``ReferralReceived`` (naming the source). The clues a record brings
travel in its event; the clues service registers each (``clue_id_for_record``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic import ValidationError
from xuncha_shared.contracts.intake import (
    RECORD_EVENTS,
    RECORD_KIND_OF,
    IndividualTalkRecorded,
    IntakeRecordEvent,
    RecordKind,
    SurveyConducted,
)
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation
from xuncha_shared.domain.personal_numbers import find_personal_numbers
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.groups import Group
from xuncha_intake.domain.planning import UnitFact
from xuncha_intake.domain.rounds import Round

#: fields of the request that every kind shares (the rest are the kind's own)
COMMON_FIELDS = ("round_id", "group_id", "unit_id", "occurred_on", "summary", "clues")


@dataclass(frozen=True)
class RecordIntake:
    kind: RecordKind
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    occurred_on: date
    summary: str | None = None
    clues: list[str] = field(default_factory=list)
    #: the kind's own fields (``talks``, ``survey`` and copies, ``source`` and items …)
    details: dict[str, Any] = field(default_factory=dict)
    #: a new record's id, given by the handler
    record_id: UUID | None = None


@dataclass
class IntakeRecord:
    record_id: UUID | None = None
    kind: RecordKind | None = None
    jurisdiction: str = ""
    round_id: UUID | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None
    occurred_on: date | None = None
    event: IntakeRecordEvent | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def _problems(exc: ValidationError) -> str:
    return "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or 'body'}: {err['msg']}" for err in exc.errors()
    )


def decide_record(
    state: IntakeRecord,
    cmd: RecordIntake,
    rnd: Round,
    group: Group,
    unit: UnitFact | None,
    today: date,
) -> list[EventPayload]:
    """The record of one channel at a unit of a group of an open round, on a day of the round
    that has come (``today``, China time: a record is of work done)."""
    assert cmd.record_id is not None, "the handler gives a new record its id"
    if rnd.closed:
        raise RuleViolation(f"巡察轮次已结束 / round {cmd.round_id} is closed")
    if not group.exists or group.round_id != cmd.round_id:
        raise InvalidCommand(
            f"巡察组 {cmd.group_id} 不属于本轮 / group {cmd.group_id} is not a group of round "
            f"{cmd.round_id}"
        )
    if cmd.unit_id not in group.unit_ids or unit is None:
        raise InvalidCommand(
            f"单位 {cmd.unit_id} 不由该组巡察 / unit {cmd.unit_id} is not one of the group's units"
        )
    rnd.require_within(cmd.occurred_on, "日期", "occurred_on")
    if cmd.occurred_on > today:
        raise InvalidCommand(
            f"日期不能晚于今天（{today}） / occurred_on {cmd.occurred_on} is after today ({today})"
        )
    if state.exists:
        raise RuleViolation(f"记录 {cmd.record_id} 已存在 / record already exists")
    _refuse_personal_numbers(cmd)
    clash = sorted(set(cmd.details) & {*COMMON_FIELDS, "record_id", "jurisdiction", "unit"})
    if clash:
        raise InvalidCommand(f"字段重复 / fields given twice: {', '.join(clash)}")
    try:
        event = RECORD_EVENTS[cmd.kind](
            record_id=cmd.record_id,
            jurisdiction=rnd.jurisdiction,
            round_id=cmd.round_id,
            group_id=cmd.group_id,
            unit_id=cmd.unit_id,
            unit=unit.name,
            occurred_on=cmd.occurred_on,
            summary=cmd.summary,
            clues=[{"summary": text} for text in cmd.clues],
            **cmd.details,
        )
    except ValidationError as exc:
        raise InvalidCommand(
            f"{cmd.kind.value} 记录内容不合规 / invalid {cmd.kind.value} record: {_problems(exc)}"
        ) from None
    talks = (
        [t.interviewee for t in event.talks] if isinstance(event, IndividualTalkRecorded) else []
    )
    twice = sorted({kind for kind in talks if talks.count(kind) > 1})
    if twice:
        names = "、".join(VALUE_LABELS_ZH["interviewee"].get(k, k) for k in twice)
        raise InvalidCommand(
            f"谈话对象类别重复：{names}，请合并为一行填写人次 / interviewee kind given twice: "
            + ", ".join(twice)
        )
    if isinstance(event, SurveyConducted) and event.copies_returned > event.copies_issued:
        raise InvalidCommand(
            f"收回份数多于发放份数 / copies_returned {event.copies_returned} exceeds "
            f"copies_issued {event.copies_issued}"
        )
    return [event]


def _refuse_personal_numbers(cmd: RecordIntake) -> None:
    """R11: a record's summary and the clues it brings never carry a phone or ID number. The
    clues service registers each clue as written, as it would a direct registration, which
    refuses them too; a number someone gave in a talk belongs in the talk's sealed file, not
    here. The message names the kinds found and where, never the numbers."""
    texts = [("情况摘要", "summary", cmd.summary or "")] + [
        (f"第{n}条线索", f"clue {n}", text) for n, text in enumerate(cmd.clues, start=1)
    ]
    for where_zh, where_en, text in texts:
        if found := find_personal_numbers(text):
            raise InvalidCommand(
                f"{where_zh}不得包含电话号码或身份证号 (R11)：其中含有{found.describe_zh()}，"
                f"请删去 / the {where_en} must not carry a phone or ID number (R11): it contains "
                f"{found.describe_en()}"
            )


def evolve_record(
    state: IntakeRecord, event: EventPayload, at: datetime | None = None
) -> IntakeRecord:
    if isinstance(event, IntakeRecordEvent):
        state.record_id = event.record_id
        state.kind = RECORD_KIND_OF[event.event_type]
        state.jurisdiction = event.jurisdiction
        state.round_id = event.round_id
        state.group_id = event.group_id
        state.unit_id = event.unit_id
        state.occurred_on = event.occurred_on
        state.event = event
    state.version += 1
    return state


def _record_jurisdiction(state: IntakeRecord, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, IntakeRecordEvent) else state.jurisdiction


INTAKE_RECORD = AggregateKind(
    stream_type="intake_record",
    initial=IntakeRecord,
    evolve=evolve_record,
    jurisdiction_of=_record_jurisdiction,
)
