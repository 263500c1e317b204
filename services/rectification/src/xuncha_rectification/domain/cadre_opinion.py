"""干部任用征求巡察意见 (R4): the ``cadre_opinion`` aggregate, one stream per request.

The organisation department asks the office of a unit's jurisdiction what its inspections
found, before one of the unit's cadres is promoted, commended or rated (004:L6), and may
withdraw a request not answered yet; the office of that area (not the city for a county's)
answers once, in writing, with a conclusion that agrees with the record: 所在单位尚未巡察 for a
unit its inspections never fed back to, and only for such a unit. The answer records the unit's
figures the office saw (issues fed back, verified, red-line warnings), so that an auditor reads
the basis beside the words. No draft's blank (``____``, or any run of underscores) is sent.
Pure: no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.contracts.rectification import (
    CadreOpinionGiven,
    CadreOpinionRequested,
    CadreOpinionWithdrawn,
    OpinionConclusion,
    OpinionPurpose,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_rectification.domain.publication import committee_of

PURPOSE_ZH = VALUE_LABELS_ZH["purpose"]
#: a red-line warning's finding (R20), as the draft names it
FINDINGS_ZH = VALUE_LABELS_ZH["finding"]
CONCLUSION_ZH = VALUE_LABELS_ZH["conclusion"]
#: where a draft leaves the office to write what only it knows (never sent so)
BLANK = "____"
#: a blank however it was shortened or typed: two or more underscores, half- or full-width
_BLANKS = re.compile(r"[_＿]{2,}")
#: how far back a request may be dated (补录 of one asked on paper)
BACKDATING = timedelta(days=366)


#: a finding announced and left empty (存在以下问题：。)
_EMPTY_FINDING = re.compile(r"以下问题[:：]\s*[。.；;]?\s*$|以下问题[:：]\s*[。.；;]")
#: the drafts' sentences of the other conclusions, left in a text that concludes otherwise
_SAYS_ADVERSE = "存在以下问题"
_SAYS_NO_ADVERSE = re.compile(r"未发现.{0,40}存在影响.{0,10}的问题")


def has_blank(text: str) -> bool:
    return bool(_BLANKS.search(text))


def contradiction(conclusion: OpinionConclusion, text: str) -> str | None:
    """What of ``text`` says otherwise than ``conclusion`` (a draft of another conclusion kept
    when the conclusion was changed), or an announced finding left empty; None when nothing."""
    if conclusion is OpinionConclusion.ADVERSE:
        if _EMPTY_FINDING.search(text):
            return "意见写明“存在以下问题”却未写问题内容 / the finding is empty"
        if _SAYS_NO_ADVERSE.search(text):
            return "结论为“发现问题”，意见却写明未发现问题 / the text says nothing was found"
    elif _SAYS_ADVERSE in text:
        return (
            f"结论为“{CONCLUSION_ZH[conclusion.value]}”，意见却写明存在问题 / the text names "
            "a problem"
        )
    return None


def office_of(jurisdiction: str) -> str:
    """市委巡察办 of the city, 临川区委巡察办 of a district, 南城县委巡察办 of a county."""
    return jurisdictions.office_name(jurisdiction)


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
class WithdrawCadreOpinion:
    request_id: UUID
    withdrawn_on: date
    reason: str


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
    #: what each red-line warning found (``RedLineFinding`` values: perfunctory, false, …)
    red_line_findings: tuple[str, ...] = ()

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
    withdrawn_on: date | None = None
    withdrawal_reason: str | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0

    @property
    def given(self) -> bool:
        return self.conclusion is not None

    @property
    def withdrawn(self) -> bool:
        return self.withdrawn_on is not None

    def overdue(self, today: date) -> bool:
        """Not answered (nor withdrawn) by the day the department asked for."""
        waiting = not self.given and not self.withdrawn
        return waiting and self.reply_by is not None and today > self.reply_by

    @property
    def answered_late(self) -> bool:
        """Answered after the day the department asked for."""
        return (
            self.given_on is not None
            and self.reply_by is not None
            and self.given_on > self.reply_by
        )


def suggested(unit: UnitRecord) -> OpinionConclusion:
    """The conclusion a draft starts from: 尚未巡察 for a unit never inspected."""
    return OpinionConclusion.NO_ADVERSE if unit.inspected else OpinionConclusion.NOT_INSPECTED


def agrees(unit: UnitRecord, conclusion: OpinionConclusion) -> None:
    """The conclusion agrees with the record: 尚未巡察 exactly for a unit never inspected."""
    if conclusion is OpinionConclusion.NOT_INSPECTED and unit.inspected:
        raise InvalidCommand(
            f"该单位已接受巡察（反馈问题{unit.issues}个），不能答复“所在单位尚未巡察” / the unit "
            "was inspected"
        )
    if conclusion is not OpinionConclusion.NOT_INSPECTED and not unit.inspected:
        raise InvalidCommand(
            "该单位没有巡察记录，请答复“所在单位尚未巡察”（如单位名称有误，请组织部门撤回后"
            "重新征求） / the unit was never inspected: answer not_inspected"
        )


def decide_request(
    state: CadreOpinion,
    cmd: RequestCadreOpinion,
    unit: UnitRecord | None,
    today: date,
    pending: date | None = None,
) -> list[EventPayload]:
    """The organisation department asks for the office's opinion on one cadre; ``pending`` is
    the day it asked already about the same cadre of the unit for the same purpose, when that
    request waits still (neither answered nor withdrawn)."""
    if state.exists:
        raise RuleViolation("该征求意见已登记 / this request exists already")
    if cmd.unit_id is not None and unit is None:
        raise NotFoundError("未找到该单位 / unknown unit")
    day = cmd.requested_on.isoformat()
    if cmd.requested_on > today:
        raise InvalidCommand(f"征求日期 {day} 晚于今天（{today.isoformat()}） / after today")
    if cmd.requested_on < today - BACKDATING:
        raise InvalidCommand(f"征求日期 {day} 早于一年前 / more than a year ago")
    if pending is not None:
        raise RuleViolation(
            f"已于 {pending.isoformat()} 就{cmd.cadre_name}同志{PURPOSE_ZH[cmd.purpose.value]}"
            "征求巡察意见，尚未回复 / asked already, not answered yet"
        )
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
            unit_id=unit.unit_id if unit is not None and unit.unit_id else cmd.unit_id,
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
    state: CadreOpinion,
    cmd: GiveCadreOpinion,
    unit: UnitRecord,
    today: date,
    answering: str | None = None,
) -> list[EventPayload]:
    """The office of the unit's area (``answering``: the caller's office) answers a request
    once, with the unit's figures as it sees them now."""
    if not state.exists:
        raise NotFoundError("未找到该征求意见 / unknown request")
    assert state.requested_on is not None
    if answering is not None and answering != state.jurisdiction:
        raise NotAllowed(
            f"该征求意见由{office_of(state.jurisdiction)}回复 / answered by the office of "
            f"{state.jurisdiction}"
        )
    if state.withdrawn:
        assert state.withdrawn_on is not None
        raise RuleViolation(
            f"组织部门已于 {state.withdrawn_on.isoformat()} 撤回该征求意见 / withdrawn"
        )
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
    if has_blank(cmd.text):
        raise InvalidCommand("意见中还有待填写的空白（____） / the draft's blank is left in")
    if (says := contradiction(cmd.conclusion, cmd.text)) is not None:
        raise InvalidCommand(f"{says}，请核对意见结论和内容")
    agrees(unit, cmd.conclusion)
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


def decide_withdraw(
    state: CadreOpinion, cmd: WithdrawCadreOpinion, department: Department, today: date
) -> list[EventPayload]:
    """The department that asked withdraws a request not answered yet, once."""
    if not state.exists:
        raise NotFoundError("未找到该征求意见 / unknown request")
    assert state.requested_on is not None
    if state.department is not department:
        raise NotAllowed("只能撤回本部门的征求意见 / another department's request")
    if state.given:
        assert state.given_on is not None
        raise RuleViolation(
            f"巡察机构已于 {state.given_on.isoformat()} 回复，不能撤回 / answered already"
        )
    if state.withdrawn:
        assert state.withdrawn_on is not None
        raise RuleViolation(f"已于 {state.withdrawn_on.isoformat()} 撤回 / withdrawn already")
    day = cmd.withdrawn_on.isoformat()
    if cmd.withdrawn_on > today:
        raise InvalidCommand(f"撤回日期 {day} 晚于今天（{today.isoformat()}） / after today")
    if cmd.withdrawn_on < state.requested_on:
        raise InvalidCommand(
            f"撤回日期 {day} 早于征求日期 {state.requested_on.isoformat()} / before the request"
        )
    return [
        CadreOpinionWithdrawn(
            request_id=cmd.request_id,
            jurisdiction=state.jurisdiction,
            withdrawn_on=cmd.withdrawn_on,
            reason=cmd.reason,
        )
    ]


def draft(state: CadreOpinion, unit: UnitRecord, conclusion: OpinionConclusion) -> str:
    """The usual wording of an answer (巡察意见) with the unit's figures, for the office to
    check and complete: where it must say what it found of the cadre, a blank. A conclusion
    that disagrees with the record is refused (``agrees``), as the answer would be."""
    agrees(unit, conclusion)
    committee = committee_of(state.jurisdiction)
    name = state.unit
    if conclusion is OpinionConclusion.NOT_INSPECTED:
        office = office_of(state.jurisdiction)
        return f"经查，{name}本届以来尚未接受{committee}巡察，{office}暂无该单位的巡察意见。"
    rounds = "、".join(unit.rounds) if unit.rounds else f"{committee}巡察"
    open_ = unit.issues - unit.done
    if not unit.issues:  # inspected, nothing fed back (or the round still under way)
        figures = "截至目前，巡察尚未向该单位反馈问题。"
    elif open_ == unit.issues:
        figures = f"巡察反馈问题{unit.issues}个，均在整改中。"
    elif open_ > 0:
        figures = f"巡察反馈问题{unit.issues}个，经核实整改到位{unit.done}个，正在整改{open_}个。"
    else:
        figures = f"巡察反馈问题{unit.issues}个，均已经核实整改到位。"
    red = ""
    if unit.red_line_warnings:
        found_zh = "、".join(dict.fromkeys(FINDINGS_ZH.get(f, f) for f in unit.red_line_findings))
        why = f"（{found_zh}）" if found_zh else ""
        red = f"该单位在整改中被红线预警{unit.red_line_warnings}次{why}。"
    # what the office checked of the cadre is its own to say, whatever the conclusion: a
    # favourable answer sent as drafted would say nothing was found without saying it looked
    found = (
        f"经核查巡察谈话、问题线索和信访举报中涉及{state.cadre_name}同志的情况：{BLANK}。"
        f"巡察中未发现{state.cadre_name}同志存在影响{PURPOSE_ZH[state.purpose.value]}的问题。"
        if conclusion is OpinionConclusion.NO_ADVERSE and state.purpose is not None
        else f"巡察中发现{state.cadre_name}同志存在以下问题：{BLANK}。"
    )
    return f"经查，{name}接受了{rounds}，{figures}{red}{found}"


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
    elif isinstance(event, CadreOpinionWithdrawn):
        state.withdrawn_on, state.withdrawal_reason = event.withdrawn_on, event.reason
    state.version += 1
    return state


def _jurisdiction(state: CadreOpinion, event: EventPayload) -> str:
    if isinstance(event, CadreOpinionRequested | CadreOpinionGiven | CadreOpinionWithdrawn):
        return event.jurisdiction
    return state.jurisdiction


CADRE_OPINION = AggregateKind(
    stream_type="cadre_opinion",
    initial=CadreOpinion,
    evolve=evolve,
    jurisdiction_of=_jurisdiction,
)
