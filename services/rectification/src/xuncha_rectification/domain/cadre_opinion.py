"""干部任用征求巡察意见 (R4): the ``cadre_opinion`` aggregate, one stream per request.

The organisation department asks the office of a unit's jurisdiction what its inspections
found, before one of the unit's cadres is promoted, commended or rated (004:L6); the office
answers once, in writing, with a conclusion. The answer records the unit's figures the office
saw (issues fed back, verified, red-line warnings), so that an auditor reads the basis beside
the words. An office may not answer 所在单位尚未巡察 for a unit it fed issues back to, nor
send a draft's blank. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.contracts.rectification import (
    CadreOpinionGiven,
    CadreOpinionRequested,
    OpinionConclusion,
    OpinionPurpose,
)
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_rectification.domain.publication import committee_of

PURPOSE_ZH = VALUE_LABELS_ZH["purpose"]
CONCLUSION_ZH = VALUE_LABELS_ZH["conclusion"]
#: where a draft leaves the office to write what only it knows (never sent so)
BLANK = "____"


@dataclass(frozen=True)
class RequestCadreOpinion:
    request_id: UUID
    jurisdiction: str
    department: Department
    unit: str
    cadre_name: str
    cadre_post: str
    purpose: OpinionPurpose
    requested_on: date
    unit_id: UUID | None = None
    reply_by: date | None = None
    note: str | None = None


@dataclass(frozen=True)
class GiveCadreOpinion:
    request_id: UUID
    conclusion: OpinionConclusion
    text: str
    given_on: date


@dataclass(frozen=True)
class UnitRecord:
    """What rectification knows of a unit's inspections (read by the handler): the names of
    the rounds that fed issues back to it, how many issues, how many verified or closed out,
    and how many red-line warnings it had (R20)."""

    unit_id: UUID | None
    unit: str | None
    rounds: tuple[str, ...] = ()
    issues: int = 0
    done: int = 0
    red_line_warnings: int = 0

    @property
    def inspected(self) -> bool:
        return self.issues > 0 or bool(self.rounds)


@dataclass
class CadreOpinion:
    request_id: UUID | None = None
    jurisdiction: str = ""
    department: Department | None = None
    unit_id: UUID | None = None
    unit: str = ""
    cadre_name: str = ""
    cadre_post: str = ""
    purpose: OpinionPurpose | None = None
    requested_on: date | None = None
    reply_by: date | None = None
    note: str | None = None
    requested_at: datetime | None = None
    conclusion: OpinionConclusion | None = None
    text: str | None = None
    given_on: date | None = None
    issues: int | None = None
    done: int | None = None
    red_line_warnings: int | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def given(self) -> bool:
        return self.conclusion is not None

    def overdue(self, today: date) -> bool:
        """Not answered by the day the department asked for."""
        return not self.given and self.reply_by is not None and today > self.reply_by


def decide_request(
    state: CadreOpinion, cmd: RequestCadreOpinion, unit: UnitRecord | None, today: date
) -> list[EventPayload]:
    """The organisation department asks for the office's opinion on one cadre."""
    if state.exists:
        raise RuleViolation("该征求意见已登记 / this request exists already")
    if cmd.unit_id is not None and unit is None:
        raise NotFoundError("未找到该单位 / unknown unit")
    day = cmd.requested_on.isoformat()
    if cmd.requested_on > today:
        raise InvalidCommand(f"征求日期 {day} 晚于今天（{today.isoformat()}） / after today")
    if cmd.reply_by is not None and cmd.reply_by < cmd.requested_on:
        raise InvalidCommand(
            f"要求回复日期 {cmd.reply_by.isoformat()} 早于征求日期 {day} / reply_by before "
            "requested_on"
        )
    return [
        CadreOpinionRequested(
            request_id=cmd.request_id,
            jurisdiction=cmd.jurisdiction,
            department=cmd.department,
            unit_id=cmd.unit_id,
            unit=(unit.unit if unit is not None and unit.unit else cmd.unit),
            cadre_name=cmd.cadre_name,
            cadre_post=cmd.cadre_post,
            purpose=cmd.purpose,
            requested_on=cmd.requested_on,
            reply_by=cmd.reply_by,
            note=cmd.note,
        )
    ]


def decide_give(
    state: CadreOpinion, cmd: GiveCadreOpinion, unit: UnitRecord, today: date
) -> list[EventPayload]:
    """The office answers a request once, with the unit's figures as it sees them now."""
    if not state.exists:
        raise NotFoundError("未找到该征求意见 / unknown request")
    assert state.requested_on is not None
    if state.given:
        assert state.given_on is not None
        raise RuleViolation(
            f"该征求意见已于 {state.given_on.isoformat()} 回复 / answered on "
            f"{state.given_on.isoformat()}"
        )
    day = cmd.given_on.isoformat()
    if cmd.given_on > today:
        raise InvalidCommand(f"回复日期 {day} 晚于今天（{today.isoformat()}） / after today")
    if cmd.given_on < state.requested_on:
        raise InvalidCommand(
            f"回复日期 {day} 早于征求日期 {state.requested_on.isoformat()} / given_on before "
            "requested_on"
        )
    if BLANK in cmd.text:
        raise InvalidCommand("意见中还有待填写的空白（____） / the draft's blank is left in")
    if cmd.conclusion is OpinionConclusion.NOT_INSPECTED and unit.inspected:
        raise InvalidCommand(
            f"该单位已接受巡察（反馈问题{unit.issues}个），不能答复“所在单位尚未巡察” / the unit "
            "was inspected"
        )
    return [
        CadreOpinionGiven(
            request_id=cmd.request_id,
            jurisdiction=state.jurisdiction,
            conclusion=cmd.conclusion,
            text=cmd.text,
            given_on=cmd.given_on,
            issues=unit.issues,
            done=unit.done,
            red_line_warnings=unit.red_line_warnings,
        )
    ]


def draft(state: CadreOpinion, unit: UnitRecord, conclusion: OpinionConclusion) -> str:
    """The usual wording of an answer (巡察意见) with the unit's figures, for the office to
    check and complete: where it must say what it found of the cadre, a blank."""
    committee = committee_of(state.jurisdiction)
    name = state.unit
    if not unit.inspected or conclusion is OpinionConclusion.NOT_INSPECTED:
        return (
            f"经查，{name}本届以来尚未接受{committee}巡察，{committee}巡察办暂无该单位的巡察意见。"
        )
    rounds = "、".join(unit.rounds) if unit.rounds else "历次巡察"
    open_ = unit.issues - unit.done
    figures = (
        f"巡察反馈问题{unit.issues}个，已整改完成{unit.done}个，正在整改{open_}个。"
        if open_ > 0
        else f"巡察反馈问题{unit.issues}个，已全部整改完成。"
    )
    red = (
        f"该单位因整改不力被红线预警{unit.red_line_warnings}次。" if unit.red_line_warnings else ""
    )
    found = (
        f"巡察中未发现{state.cadre_name}同志存在影响{PURPOSE_ZH[state.purpose.value]}的问题。"
        if conclusion is OpinionConclusion.NO_ADVERSE and state.purpose is not None
        else f"巡察中发现{state.cadre_name}同志存在以下问题：{BLANK}。"
    )
    return f"经查，{name}于{rounds}中接受{committee}巡察，{figures}{red}{found}"


def evolve(state: CadreOpinion, event: EventPayload, at: datetime | None = None) -> CadreOpinion:
    if isinstance(event, CadreOpinionRequested):
        state.request_id = event.request_id
        state.jurisdiction = event.jurisdiction
        state.department = event.department
        state.unit_id = event.unit_id
        state.unit = event.unit
        state.cadre_name = event.cadre_name
        state.cadre_post = event.cadre_post
        state.purpose = event.purpose
        state.requested_on = event.requested_on
        state.reply_by = event.reply_by
        state.note = event.note
        state.requested_at = at
    elif isinstance(event, CadreOpinionGiven):
        state.conclusion = event.conclusion
        state.text = event.text
        state.given_on = event.given_on
        state.issues = event.issues
        state.done = event.done
        state.red_line_warnings = event.red_line_warnings
    state.version += 1
    return state


def _jurisdiction(state: CadreOpinion, event: EventPayload) -> str:
    if isinstance(event, CadreOpinionRequested | CadreOpinionGiven):
        return event.jurisdiction
    return state.jurisdiction


CADRE_OPINION = AggregateKind(
    stream_type="cadre_opinion",
    initial=CadreOpinion,
    evolve=evolve,
    jurisdiction_of=_jurisdiction,
)
