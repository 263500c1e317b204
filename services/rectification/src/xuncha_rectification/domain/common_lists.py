"""共性问题清单 (common-problem lists, 未巡先改). Pure.

A list of a term goes to the units of the term plan not yet inspected (the office names them:
``unit_ids``); each reports its self-check (自查自纠), once or more (the latest counts). The
office may chase (催报) the units that have not sent it in, once a day each: each urge is
recorded with its day, the office's words and the day asked for (no clock runs on it), and the
units read it with the list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.rectification import (
    CommonProblem,
    CommonProblemListIssued,
    CommonProblemSelfChecked,
    CommonProblemSelfCheckUrged,
)
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

COMMON_LIST_STREAM_TYPE = "common_problem_list"


class UnknownCommonList(NotFoundError):
    """No common-problem list has this id (or the reader may not see it): 404."""


def unknown_list_detail(list_id: UUID) -> str:
    return f"未找到共性问题清单 {list_id} / unknown common-problem list {list_id}"


@dataclass(frozen=True)
class IssueCommonList:
    list_id: UUID
    jurisdiction: str
    term_no: int
    items: tuple[CommonProblem, ...]
    unit_ids: tuple[UUID, ...]


@dataclass(frozen=True)
class SelfCheck:
    unit_id: UUID
    findings: str
    measures: str


@dataclass(frozen=True)
class UrgeSelfCheck:
    """催报: chase the units named (none: every unit that has not sent its self-check in)."""

    unit_ids: tuple[UUID, ...]
    note: str
    reply_by: date | None = None


@dataclass(frozen=True)
class Urge:
    """How often and when the office chased one unit of a list, and its latest words."""

    count: int
    last_on: date
    reply_by: date | None
    note: str


@dataclass
class CommonList:
    list_id: UUID | None = None
    jurisdiction: str = ""
    term_no: int = 0
    items: list[CommonProblem] = field(default_factory=list)
    unit_ids: list[UUID] = field(default_factory=list)
    #: the latest self-check per unit: (findings, measures)
    self_checks: dict[UUID, tuple[str, str]] = field(default_factory=dict)
    #: 催报 per unit (units never chased: absent)
    urges: dict[UUID, Urge] = field(default_factory=dict)
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_issue_list(state: CommonList, cmd: IssueCommonList) -> list[EventPayload]:
    if state.exists:
        raise RuleViolation("该共性问题清单已下发 / the list exists already")
    if not cmd.items:
        raise InvalidCommand("清单至少包含一个问题 / a list needs at least one item")
    if not cmd.unit_ids:
        raise InvalidCommand(
            "请列出本届巡察规划中尚未巡察的单位 / name the units of the term plan not yet "
            "inspected (unit_ids)"
        )
    return [
        CommonProblemListIssued(
            list_id=cmd.list_id,
            jurisdiction=cmd.jurisdiction,
            term_no=cmd.term_no,
            items=list(cmd.items),
            unit_ids=list(dict.fromkeys(cmd.unit_ids)),
        )
    ]


def decide_self_check(state: CommonList, cmd: SelfCheck) -> list[EventPayload]:
    """A unit the list went to reports its self-check (others: 404)."""
    if not state.exists or state.list_id is None or cmd.unit_id not in state.unit_ids:
        raise UnknownCommonList("未找到共性问题清单 / unknown common-problem list")
    return [
        CommonProblemSelfChecked(
            list_id=state.list_id,
            jurisdiction=state.jurisdiction,
            unit_id=cmd.unit_id,
            findings=cmd.findings,
            measures=cmd.measures,
        )
    ]


def decide_urge(state: CommonList, cmd: UrgeSelfCheck, today: date) -> list[EventPayload]:
    """催报 the units of the list that have not sent their self-check in: those named, or all
    of them not chased today when none is named; each unit at most once a day (a second press,
    or a retried request, records nothing twice), as a clue's 催办 (R27). Refused: a unit the
    list did not go to (422), one that has sent it in already or was chased today (409), a reply
    day before today (422)."""
    if not state.exists or state.list_id is None:
        raise UnknownCommonList("未找到共性问题清单 / unknown common-problem list")

    def chased_today(unit: UUID) -> bool:
        urge = state.urges.get(unit)
        return urge is not None and urge.last_on == today

    pending = [u for u in state.unit_ids if u not in state.self_checks]
    named = list(dict.fromkeys(cmd.unit_ids))
    if not named:
        if not pending:
            raise RuleViolation(
                "清单所列单位均已报送自查，无需催报 / every unit has sent its self-check in"
            )
        named = [u for u in pending if not chased_today(u)]
        if not named:
            raise RuleViolation(
                "尚未报送自查的单位今天均已催报 / every unit yet to answer was chased today"
            )
    strangers = [u for u in named if u not in state.unit_ids]
    if strangers:
        raise InvalidCommand(
            f"清单未下发至这些单位 / the list did not go to {', '.join(map(str, strangers))}"
        )
    done = [u for u in named if u in state.self_checks]
    if done:
        raise RuleViolation(
            f"这些单位已报送自查，无需催报 / these units have sent their self-check in: "
            f"{', '.join(map(str, done))}"
        )
    again = [u for u in named if chased_today(u)]
    if again:
        raise RuleViolation(
            f"这些单位今天已催报，每天至多催报一次 / chased today already: "
            f"{', '.join(map(str, again))}"
        )
    if cmd.reply_by is not None and cmd.reply_by < today:
        raise InvalidCommand(
            f"报送期限（{cmd.reply_by.isoformat()}）早于今天（{today.isoformat()}） / the reply "
            "day lies in the past"
        )
    return [
        CommonProblemSelfCheckUrged(
            list_id=state.list_id,
            jurisdiction=state.jurisdiction,
            unit_ids=named,
            note=cmd.note,
            urged_on=today,
            reply_by=cmd.reply_by,
        )
    ]


def evolve_list(state: CommonList, event: EventPayload, at: datetime | None = None) -> CommonList:
    if isinstance(event, CommonProblemListIssued):
        state.list_id = event.list_id
        state.jurisdiction = event.jurisdiction
        state.term_no = event.term_no
        state.items = list(event.items)
        state.unit_ids = list(event.unit_ids)
    elif isinstance(event, CommonProblemSelfChecked):
        state.self_checks[event.unit_id] = (event.findings, event.measures)
    elif isinstance(event, CommonProblemSelfCheckUrged):
        for unit in event.unit_ids:
            before = state.urges.get(unit)
            count = before.count + 1 if before else 1
            state.urges[unit] = Urge(count, event.urged_on, event.reply_by, event.note)
    state.version += 1
    return state


def list_jurisdiction(state: CommonList, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, CommonProblemListIssued) else state.jurisdiction


COMMON_LIST = AggregateKind(
    stream_type=COMMON_LIST_STREAM_TYPE,
    initial=CommonList,
    evolve=evolve_list,
    jurisdiction_of=list_jurisdiction,
)
