"""The problem aggregate (发现问题, step 7). Pure: no I/O.

A group (or the office) records a problem it found at a unit in a round: a title, its topics
(两个责任, 一岗双责, 三重一大, 四风, 微腐败, 民主集中制, 选人用人, 惠民资金 …), the clues it rests
on and whether it names persons and matters (点人点事, ``pointed``). A problem is recorded once;
the inspection report that presents it and the hearing that points it are the report's events.

Rules: the title is not empty, topics are de-duplicated (at most 20), the clues it rests on must
exist and be visible to the caller (checked by the handler against ``clue_view``: a uniform 404
otherwise), a group-bound member records problems only at its group's units in its round (404).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from xuncha_shared.contracts.clues import ProblemRecorded
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

STREAM_TYPE = "problem"

#: the topics the office uses (a problem may carry others: the list is the workbench's choice)
TOPICS: tuple[str, ...] = (
    "两个责任",
    "一岗双责",
    "三重一大",
    "四风",
    "微腐败",
    "民主集中制",
    "选人用人",
    "惠民资金",
)
#: topics whose problems the organisation department (组织部) receives in its feed (R2, R4)
ORGANISATION_TOPICS: frozenset[str] = frozenset({"民主集中制", "选人用人"})
MAX_TOPICS = 20
MAX_CLUES = 200


def unknown_problem_detail(problem_id: UUID) -> str:
    return f"未找到问题 {problem_id} / unknown problem {problem_id}"


class UnknownProblem(NotFoundError):
    """No problem has this id, or the caller may not see it (404)."""


@dataclass(frozen=True)
class RecordProblem:
    problem_id: UUID
    round_id: UUID
    jurisdiction: str
    unit_id: UUID
    title: str
    topics: tuple[str, ...] = ()
    clue_ids: tuple[UUID, ...] = ()
    pointed: bool = False
    group_id: UUID | None = None


@dataclass
class Problem:
    problem_id: UUID | None = None
    round_id: UUID | None = None
    jurisdiction: str = ""
    unit_id: UUID | None = None
    group_id: UUID | None = None
    title: str = ""
    topics: list[str] = field(default_factory=list)
    clue_ids: list[UUID] = field(default_factory=list)
    pointed: bool = False
    recorded_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_record(state: Problem, cmd: RecordProblem) -> list[EventPayload]:
    if state.exists:
        raise RuleViolation(
            f"问题 {cmd.problem_id} 已登记 / problem {cmd.problem_id} is already recorded"
        )
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    title = cmd.title.strip()
    if not title:
        raise InvalidCommand("问题标题不能为空 / the title must not be empty")
    topics = list(dict.fromkeys(t.strip() for t in cmd.topics if t.strip()))
    if len(topics) > MAX_TOPICS:
        raise InvalidCommand(
            f"问题主题最多 {MAX_TOPICS} 个 / at most {MAX_TOPICS} topics per problem"
        )
    clue_ids = list(dict.fromkeys(cmd.clue_ids))
    if len(clue_ids) > MAX_CLUES:
        raise InvalidCommand(f"线索最多 {MAX_CLUES} 条 / at most {MAX_CLUES} clues per problem")
    return [
        ProblemRecorded(
            problem_id=cmd.problem_id,
            round_id=cmd.round_id,
            jurisdiction=cmd.jurisdiction,
            unit_id=cmd.unit_id,
            group_id=cmd.group_id,
            title=title,
            topics=topics,
            clue_ids=clue_ids,
            pointed=cmd.pointed,
        )
    ]


def require_in_round(
    cmd: RecordProblem, round_areas: frozenset[str], round_units: frozenset[UUID]
) -> None:
    """A problem found in a round is found in the round's area at a unit its groups inspect
    (``round_areas`` and ``round_units``: of the round's groups that clues knows)."""
    if cmd.jurisdiction not in round_areas:
        raise InvalidCommand(
            "所选巡察轮次不是该地区的轮次，请重新选择管辖地区或轮次 / the round is not one of "
            f"jurisdiction {cmd.jurisdiction}'s rounds"
        )
    if cmd.unit_id not in round_units:
        raise InvalidCommand(
            "该单位不在所选轮次的巡察范围内，请选择本轮被巡察单位 / the unit is not one the "
            "round's groups inspect"
        )


def evolve(state: Problem, event: EventPayload, at: datetime | None = None) -> Problem:
    if isinstance(event, ProblemRecorded):
        state.problem_id = event.problem_id
        state.round_id = event.round_id
        state.jurisdiction = event.jurisdiction
        state.unit_id = event.unit_id
        state.group_id = event.group_id
        state.title = event.title
        state.topics = list(event.topics)
        state.clue_ids = list(event.clue_ids)
        state.pointed = event.pointed
        state.recorded_at = at
    state.version += 1
    return state


def event_jurisdiction(state: Problem, event: EventPayload) -> str:
    if isinstance(event, ProblemRecorded):
        return event.jurisdiction
    return state.jurisdiction


PROBLEM = AggregateKind(
    stream_type=STREAM_TYPE, initial=Problem, evolve=evolve, jurisdiction_of=event_jurisdiction
)
