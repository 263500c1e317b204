"""The city office's oversight of its counties' inspection work (R29): the ``county_oversight``
aggregate, one stream per record: a check of a county office's work (督导检查) with the problems
it found, or a county put under key supervision (重点督办). Only the city office records them,
for counties of its own city, on a day not after today; a county office reads those of its own
county. Pure: no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.intake import (
    CheckFinding,
    CountyKeySupervisionOrdered,
    CountyWorkChecked,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.planning import AlreadyExists


class OversightKind(StrEnum):
    CHECK = "check"  # 督导检查
    KEY_SUPERVISION = "key_supervision"  # 重点督办


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


@dataclass
class CountyOversight:
    record_id: UUID | None = None
    kind: OversightKind | None = None
    jurisdiction: str = ""  # the city office
    county: str = ""
    day: date | None = None
    findings: list[CheckFinding] = field(default_factory=list)
    text: str | None = None  # a check's note, a key supervision's reason
    recorded_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def _check_office(office: str, county: str, day: date, today: date, field_day: str) -> None:
    """The city office acts, for a county of its own city, on a day not after today."""
    if not jurisdictions.is_city(office):
        raise NotAllowed(
            "县区巡察工作的督导由市委巡察办负责 (R29) / only the city office oversees its "
            "counties' inspection work (R29)"
        )
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
    state: CountyOversight, cmd: CheckCountyWork, office: str, today: date
) -> list[EventPayload]:
    """督导检查 of a county office's inspection work, with the problems found (none is fine)."""
    if state.exists:
        raise AlreadyExists(f"督导检查 {cmd.record_id} 已记录 / already recorded")
    _check_office(office, cmd.county, cmd.checked_on, today, "checked_on")
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
    state: CountyOversight, cmd: OrderCountyKeySupervision, office: str, today: date
) -> list[EventPayload]:
    """重点督办 of a county's inspection work, with its reason."""
    if state.exists:
        raise AlreadyExists(f"重点督办 {cmd.record_id} 已记录 / already recorded")
    _check_office(office, cmd.county, cmd.ordered_on, today, "ordered_on")
    return [
        CountyKeySupervisionOrdered(
            supervision_id=cmd.record_id,
            jurisdiction=office,
            county=cmd.county,
            ordered_on=cmd.ordered_on,
            reason=cmd.reason,
        )
    ]


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
    if isinstance(event, CountyWorkChecked | CountyKeySupervisionOrdered):
        state.jurisdiction = event.jurisdiction
        state.county = event.county
        state.recorded_at = at
    state.version += 1
    return state


def _jurisdiction(state: CountyOversight, event: EventPayload) -> str:
    if isinstance(event, CountyWorkChecked | CountyKeySupervisionOrdered):
        return event.jurisdiction
    return state.jurisdiction


COUNTY_OVERSIGHT = AggregateKind(
    stream_type="county_oversight",
    initial=CountyOversight,
    evolve=evolve,
    jurisdiction_of=_jurisdiction,
)
