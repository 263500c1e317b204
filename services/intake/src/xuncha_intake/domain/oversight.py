"""The city office's oversight of its counties' inspection work (R29): the ``county_oversight``
aggregate, one stream per record: a check of a county office's work (督导检查) with the problems
it found, a county put under key supervision (重点督办, later lifted: 解除), or a pilot point
(联系点) in a leading group member's charge (包联). Only the city office records them, for
counties of its own city, on a day not after today; a county office reads those of its own
county. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.intake import (
    CheckFinding,
    CountyKeySupervisionLifted,
    CountyKeySupervisionOrdered,
    CountyWorkChecked,
    PilotPlaceLevel,
    PilotPointDesignated,
    PilotPointKind,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.planning import AlreadyExists


class OversightKind(StrEnum):
    CHECK = "check"  # 督导检查
    KEY_SUPERVISION = "key_supervision"  # 重点督办
    PILOT_POINT = "pilot_point"  # 联系点


@dataclass(frozen=True)
class CheckCountyWork:
    record_id: UUID
    county: str
    checked_on: date
    findings: tuple[CheckFinding, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class OrderCountyKeySupervision:
    record_id: UUID
    county: str
    ordered_on: date
    reason: str


@dataclass(frozen=True)
class LiftCountyKeySupervision:
    record_id: UUID  # the key supervision's
    lifted_on: date
    reason: str


@dataclass(frozen=True)
class DesignatePilotPoint:
    county: str
    kind: PilotPointKind
    liaison: str
    designated_on: date
    level: PilotPlaceLevel | None = None
    place: str | None = None
    note: str | None = None


@dataclass(frozen=True)
class PilotPoint:
    """What a pilot point is: a county's inspection work (``place`` none) or a township or a
    village of it, and who takes charge of it."""

    kind: PilotPointKind
    level: PilotPlaceLevel | None
    place: str | None
    liaison: str


@dataclass
class CountyOversight:
    record_id: UUID | None = None
    kind: OversightKind | None = None
    jurisdiction: str = ""  # the city office
    county: str = ""
    day: date | None = None
    findings: list[CheckFinding] = field(default_factory=list)
    text: str | None = None  # a check's note, a key supervision's reason, a pilot point's note
    lifted_on: date | None = None  # a key supervision lifted (解除重点督办)
    lift_reason: str | None = None
    point: PilotPoint | None = None  # a pilot point's
    recorded_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


_CITY_ONLY = (
    "县区巡察工作的督导由市委巡察办负责 (R29) / only the city office oversees its counties' "
    "inspection work (R29)"
)


def _check_office(office: str, county: str, day: date, today: date, field_day: str) -> None:
    """The city office acts, for a county of its own city, on a day not after today."""
    if not jurisdictions.is_city(office):
        raise NotAllowed(_CITY_ONLY)
    if (
        not jurisdictions.is_known(county)
        or jurisdictions.is_city(county)
        or jurisdictions.city_of(county) != office
    ):
        raise InvalidCommand(
            f"county {county!r} 不是本市的县区 / is not a county of the city {office}"
        )
    if day > today:
        raise InvalidCommand(
            f"{field_day} {day.isoformat()} 晚于今天 ({today.isoformat()}) / {field_day} "
            f"{day.isoformat()} is after today"
        )


def decide_check(
    state: CountyOversight,
    cmd: CheckCountyWork,
    office: str,
    today: date,
    same_day: Sequence[CountyOversight] = (),
) -> list[EventPayload]:
    """督导检查 of a county office's inspection work, with the problems found (none is fine);
    ``same_day``: the county's checks recorded for that day already. The same check (the same
    findings and note) entered twice is refused: the second is the first sent again."""
    if state.exists:
        raise AlreadyExists(f"督导检查 {cmd.record_id} 已记录 / already recorded")
    _check_office(office, cmd.county, cmd.checked_on, today, "checked_on")
    for earlier in same_day:
        if earlier.findings == list(cmd.findings) and (earlier.text or None) == cmd.note:
            county = jurisdictions.name_of(cmd.county)
            raise RuleViolation(
                f"{county} {cmd.checked_on} 的这次督导检查已登记，内容相同，无需重复登记 / the "
                f"same check of {cmd.county} on {cmd.checked_on} is recorded already "
                f"({earlier.record_id})"
            )
    return [
        CountyWorkChecked(
            check_id=cmd.record_id,
            jurisdiction=office,
            county=cmd.county,
            checked_on=cmd.checked_on,
            findings=list(cmd.findings),
            note=cmd.note,
        )
    ]


def decide_key_supervision(
    state: CountyOversight,
    cmd: OrderCountyKeySupervision,
    office: str,
    today: date,
    current: CountyOversight | None = None,
) -> list[EventPayload]:
    """重点督办 of a county's inspection work, with its reason; ``current``: the county's key
    supervision not lifted yet, if any. A county is under one key supervision at a time: a
    second is refused until the first is lifted (解除)."""
    if state.exists:
        raise AlreadyExists(f"重点督办 {cmd.record_id} 已记录 / already recorded")
    _check_office(office, cmd.county, cmd.ordered_on, today, "ordered_on")
    if current is not None:
        county = jurisdictions.name_of(cmd.county)
        raise RuleViolation(
            f"{county}已在重点督办中（自 {current.day} 起），解除后才能再次下达 / {cmd.county} "
            f"is under key supervision since {current.day} ({current.record_id}); lift it first"
        )
    return [
        CountyKeySupervisionOrdered(
            supervision_id=cmd.record_id,
            jurisdiction=office,
            county=cmd.county,
            ordered_on=cmd.ordered_on,
            reason=cmd.reason,
        )
    ]


def decide_lift(
    state: CountyOversight, cmd: LiftCountyKeySupervision, office: str, today: date
) -> list[EventPayload]:
    """解除重点督办: the office that ordered a key supervision lifts it, once, on a day between
    its order and today."""
    if not jurisdictions.is_city(office):
        raise NotAllowed(_CITY_ONLY)
    if (
        not state.exists
        or state.kind is not OversightKind.KEY_SUPERVISION
        or state.jurisdiction != office
    ):
        raise NotFoundError(f"重点督办 {cmd.record_id} 不存在 / no such key supervision")
    if state.lifted_on is not None:
        raise RuleViolation(
            f"该重点督办已于 {state.lifted_on.isoformat()} 解除 / already lifted on "
            f"{state.lifted_on.isoformat()}"
        )
    assert state.day is not None
    _check_office(office, state.county, cmd.lifted_on, today, "lifted_on")
    if cmd.lifted_on < state.day:
        raise InvalidCommand(
            f"lifted_on {cmd.lifted_on.isoformat()} 早于督办日期 ({state.day.isoformat()}) / "
            f"is before the day it was ordered"
        )
    return [
        CountyKeySupervisionLifted(
            supervision_id=cmd.record_id,
            jurisdiction=office,
            county=state.county,
            lifted_on=cmd.lifted_on,
            reason=cmd.reason,
        )
    ]


def decide_pilot_point(
    state: CountyOversight, cmd: DesignatePilotPoint, point_id: UUID, office: str, today: date
) -> list[EventPayload]:
    """联系点 (000:L39): a county's inspection work (县级巡察规范化推进联系点: no place) or a
    township or village of a county (巡察整改联系点: its level and name), in the charge of a
    leading group member (包联); each point once (its stream id is derived from it)."""
    rectification = cmd.kind is PilotPointKind.RECTIFICATION
    if rectification and (cmd.level is None or not cmd.place):
        raise InvalidCommand(
            "巡察整改联系点须写明乡镇或村（社区）及其名称 / a rectification pilot point names its "
            "level and place"
        )
    if not rectification and (cmd.level is not None or cmd.place):
        raise InvalidCommand(
            "县级巡察规范化推进联系点是县区本身，不写乡镇或村 / a county's pilot point names no "
            "place"
        )
    _check_office(office, cmd.county, cmd.designated_on, today, "designated_on")
    if state.exists:
        raise AlreadyExists(
            f"该联系点已于 {state.day.isoformat() if state.day else ''} 确定 / this pilot point "
            "is already designated"
        )
    return [
        PilotPointDesignated(
            point_id=point_id,
            jurisdiction=office,
            county=cmd.county,
            kind=cmd.kind,
            level=cmd.level,
            place=cmd.place,
            liaison=cmd.liaison,
            designated_on=cmd.designated_on,
            note=cmd.note,
        )
    ]


#: the events that record a county oversight record (the first of its stream)
_RECORDED = CountyWorkChecked | CountyKeySupervisionOrdered | PilotPointDesignated


def evolve(
    state: CountyOversight, event: EventPayload, at: datetime | None = None
) -> CountyOversight:
    if isinstance(event, CountyWorkChecked):
        state.record_id = event.check_id
        state.kind = OversightKind.CHECK
        state.day = event.checked_on
        state.findings = list(event.findings)
        state.text = event.note
    elif isinstance(event, CountyKeySupervisionOrdered):
        state.record_id = event.supervision_id
        state.kind = OversightKind.KEY_SUPERVISION
        state.day = event.ordered_on
        state.text = event.reason
    elif isinstance(event, CountyKeySupervisionLifted):
        state.lifted_on = event.lifted_on
        state.lift_reason = event.reason
    elif isinstance(event, PilotPointDesignated):
        state.record_id = event.point_id
        state.kind = OversightKind.PILOT_POINT
        state.day = event.designated_on
        state.point = PilotPoint(event.kind, event.level, event.place, event.liaison)
        state.text = event.note
    if isinstance(event, _RECORDED):
        state.jurisdiction = event.jurisdiction
        state.county = event.county
        state.recorded_at = at
    state.version += 1
    return state


def _jurisdiction(state: CountyOversight, event: EventPayload) -> str:
    if isinstance(event, _RECORDED):
        return event.jurisdiction
    return state.jurisdiction


COUNTY_OVERSIGHT = AggregateKind(
    stream_type="county_oversight",
    initial=CountyOversight,
    evolve=evolve,
    jurisdiction_of=_jurisdiction,
)
