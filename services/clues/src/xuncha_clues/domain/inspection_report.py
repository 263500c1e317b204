"""The inspection report aggregate (巡察报告, step 7). Pure: no I/O.

States: drafted → heard (once per meeting kind). A report is a unit report (分报告: one unit), the
overall report of a round (综合报告) or a thematic report (专项报告); it presents problems
recorded in the same round and jurisdiction. ``unit_ids`` are every unit it covers: the unit of
a unit report, the units of its problems and any unit named besides. A meeting hears it
(书记专题会, 常委会, 巡察工作领导小组会) and may point problems of the report (点人点事);
``clues.InspectionReportHeard`` carries ``unit_ids`` so that rectification can let feedback to
those units through (R16).

Rules (R16 and the shape of a report):

* a unit report names its unit, an overall report names none; every problem is of the report's
  round and jurisdiction, and a unit report's problems are of its unit (422);
* a round has one unit report per unit and one overall report: their ids are derived from the
  round (and unit), so a second one is a conflict (409);
* a hearing is not dated in the future (422; records are often entered after the fact, so
  an earlier date is accepted), points only
  problems the report presents (422), and each meeting kind hears a report once (409).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID

from xuncha_shared.contracts.clues import (
    HearingMeeting,
    InspectionReportDrafted,
    InspectionReportHeard,
    InspectionReportKind,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_clues.domain.paper_dates import check_paper_day

STREAM_TYPE = "inspection_report"

#: names the unit and overall reports of a round (one each): a second one is a conflict
REPORT_NAMESPACE = uuid.UUID("0b6a3d52-8f4e-5c1a-9d7b-3e2f1a6c4b58")

KIND_ZH: dict[InspectionReportKind, str] = {
    InspectionReportKind.UNIT: "分报告",
    InspectionReportKind.OVERALL: "综合报告",
    InspectionReportKind.THEMATIC: "专项报告",
}
MEETING_ZH: dict[HearingMeeting, str] = {
    HearingMeeting.SECRETARY_MEETING: "书记专题会",
    HearingMeeting.STANDING_COMMITTEE: "常委会",
    HearingMeeting.LEADING_GROUP: "巡察工作领导小组会",
}
MAX_PROBLEMS = 1000
MAX_UNITS = 500


class ReportStatus(StrEnum):
    DRAFTED = "drafted"
    HEARD = "heard"


STATUS_ZH: dict[ReportStatus, str] = {
    ReportStatus.DRAFTED: "已形成报告",
    ReportStatus.HEARD: "已听取汇报",
}


def report_id_for(kind: InspectionReportKind, round_id: UUID, unit_id: UUID | None) -> UUID | None:
    """The id of a round's unit report (per unit) or overall report; ``None`` for a thematic
    report (a round may have several: a fresh id each)."""
    if kind is InspectionReportKind.UNIT and unit_id is not None:
        return uuid.uuid5(REPORT_NAMESPACE, f"unit:{round_id}:{unit_id}")
    if kind is InspectionReportKind.OVERALL:
        return uuid.uuid5(REPORT_NAMESPACE, f"overall:{round_id}")
    return None


def unknown_report_detail(report_id: UUID) -> str:
    return f"未找到巡察报告 {report_id} / unknown inspection report {report_id}"


class UnknownReport(NotFoundError):
    """No report has this id, or the caller may not see it (404)."""


@dataclass(frozen=True)
class ProblemRef:
    """What a report needs of a problem it presents (the handler loads it)."""

    problem_id: UUID
    round_id: UUID
    jurisdiction: str
    unit_id: UUID


@dataclass(frozen=True)
class DraftReport:
    report_id: UUID
    round_id: UUID
    jurisdiction: str
    kind: InspectionReportKind
    unit_id: UUID | None = None
    problems: tuple[ProblemRef, ...] = ()
    unit_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class HearReport:
    hearing_id: UUID
    meeting: HearingMeeting
    held_on: date
    decisions: str
    pointed_problem_ids: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class Hearing:
    hearing_id: UUID
    meeting: HearingMeeting
    held_on: date
    pointed_problem_ids: list[UUID]
    decisions: str


@dataclass
class InspectionReport:
    report_id: UUID | None = None
    round_id: UUID | None = None
    jurisdiction: str = ""
    kind: InspectionReportKind | None = None
    unit_id: UUID | None = None
    unit_ids: list[UUID] = field(default_factory=list)
    problem_ids: list[UUID] = field(default_factory=list)
    hearings: list[Hearing] = field(default_factory=list)
    drafted_at: datetime | None = None
    updated_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def status(self) -> ReportStatus:
        return ReportStatus.HEARD if self.hearings else ReportStatus.DRAFTED

    @property
    def pointed_problem_ids(self) -> list[UUID]:
        return list(dict.fromkeys(p for h in self.hearings for p in h.pointed_problem_ids))


def _require_exists(state: InspectionReport) -> UUID:
    if not state.exists or state.report_id is None:
        raise UnknownReport("未找到该巡察报告 / unknown inspection report")
    return state.report_id


def decide_draft(state: InspectionReport, cmd: DraftReport) -> list[EventPayload]:
    if state.exists:
        what = KIND_ZH[state.kind] if state.kind else "巡察报告"
        raise RuleViolation(
            f"本轮已有该{what} ({state.report_id})，状态：{STATUS_ZH[state.status]} / this "
            f"round already has this {state.kind} report ({state.report_id}), state "
            f"{state.status.value}"
        )
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    if cmd.kind is InspectionReportKind.UNIT and cmd.unit_id is None:
        raise InvalidCommand("分报告须指明被巡察单位 unit_id / a unit report needs its unit_id")
    if cmd.kind is InspectionReportKind.OVERALL and cmd.unit_id is not None:
        raise InvalidCommand(
            "综合报告涵盖整轮巡察，不指明单一单位 / an overall report covers the round: no unit_id"
        )
    if len(cmd.problems) > MAX_PROBLEMS or len(cmd.unit_ids) > MAX_UNITS:
        raise InvalidCommand("报告所列问题或单位过多 / too many problems or units in one report")
    for p in cmd.problems:
        if p.round_id != cmd.round_id:
            raise InvalidCommand(
                f"问题 {p.problem_id} 不属于本轮巡察 / problem {p.problem_id} is of another round"
            )
        if p.jurisdiction != cmd.jurisdiction:
            raise InvalidCommand(
                f"问题 {p.problem_id} 不属于本辖区 / problem {p.problem_id} is of another "
                "jurisdiction"
            )
        if cmd.kind is InspectionReportKind.UNIT and p.unit_id != cmd.unit_id:
            raise InvalidCommand(
                f"问题 {p.problem_id} 不是本单位的问题，不能列入分报告 / problem {p.problem_id} is "
                "of another unit: a unit report presents its unit's problems only"
            )
    if cmd.kind is InspectionReportKind.UNIT and any(u != cmd.unit_id for u in cmd.unit_ids):
        raise InvalidCommand("分报告只涵盖一个单位 / a unit report covers its one unit only")
    units: list[UUID] = []
    if cmd.unit_id is not None:
        units.append(cmd.unit_id)
    units.extend(p.unit_id for p in cmd.problems)
    units.extend(cmd.unit_ids)
    unit_ids = list(dict.fromkeys(units))
    if not unit_ids:
        raise InvalidCommand(
            "报告须涵盖至少一个单位 (问题或 unit_ids) / a report must cover at least one unit "
            "(through its problems or unit_ids)"
        )
    return [
        InspectionReportDrafted(
            report_id=cmd.report_id,
            round_id=cmd.round_id,
            jurisdiction=cmd.jurisdiction,
            kind=cmd.kind,
            unit_id=cmd.unit_id,
            unit_ids=unit_ids,
            problem_ids=list(dict.fromkeys(p.problem_id for p in cmd.problems)),
        )
    ]


def decide_hear(state: InspectionReport, cmd: HearReport, today: date) -> list[EventPayload]:
    """R16: the hearing that lets rectification feed the report's units back."""
    report_id = _require_exists(state)
    assert state.round_id is not None
    assert state.kind is not None
    for h in state.hearings:
        if h.meeting is cmd.meeting:
            raise RuleViolation(
                f"该报告已于 {h.held_on} 经{MEETING_ZH[h.meeting]}听取，状态："
                f"{STATUS_ZH[state.status]} / the report was already heard by the "
                f"{h.meeting.value} on {h.held_on} (state {state.status.value})"
            )
    check_paper_day(cmd.held_on, today, "held_on", "会议日期")
    pointed = list(dict.fromkeys(cmd.pointed_problem_ids))
    foreign = [p for p in pointed if p not in state.problem_ids]
    if foreign:
        raise InvalidCommand(
            f"点人点事问题须为本报告所列问题：{', '.join(map(str, foreign))} / pointed problems "
            f"must be problems of this report: {', '.join(map(str, foreign))}"
        )
    decisions = cmd.decisions.strip()
    if not decisions:
        raise InvalidCommand("会议决定不能为空 / the decisions must not be empty")
    return [
        InspectionReportHeard(
            report_id=report_id,
            hearing_id=cmd.hearing_id,
            round_id=state.round_id,
            jurisdiction=state.jurisdiction,
            kind=state.kind,
            unit_id=state.unit_id,
            unit_ids=list(state.unit_ids),
            meeting=cmd.meeting,
            held_on=cmd.held_on,
            pointed_problem_ids=pointed,
            decisions=decisions,
        )
    ]


def evolve(
    state: InspectionReport, event: EventPayload, at: datetime | None = None
) -> InspectionReport:
    if isinstance(event, InspectionReportDrafted):
        state.report_id = event.report_id
        state.round_id = event.round_id
        state.jurisdiction = event.jurisdiction
        state.kind = event.kind
        state.unit_id = event.unit_id
        state.unit_ids = list(event.unit_ids)
        state.problem_ids = list(event.problem_ids)
        state.drafted_at = at
    elif isinstance(event, InspectionReportHeard):
        state.hearings.append(
            Hearing(
                hearing_id=event.hearing_id,
                meeting=event.meeting,
                held_on=event.held_on,
                pointed_problem_ids=list(event.pointed_problem_ids),
                decisions=event.decisions,
            )
        )
    state.version += 1
    if at is not None:
        state.updated_at = at
    return state


def event_jurisdiction(state: InspectionReport, event: EventPayload) -> str:
    if isinstance(event, InspectionReportDrafted | InspectionReportHeard):
        return event.jurisdiction
    return state.jurisdiction


INSPECTION_REPORT = AggregateKind(
    stream_type=STREAM_TYPE,
    initial=InspectionReport,
    evolve=evolve,
    jurisdiction_of=event_jurisdiction,
)
