"""The immediate consultation aggregate (即时会商, step 6). Pure: no I/O.

The office and a group settle sudden matters on some clues (004:L12): when, who took part, what
was decided. The clues must exist and be visible to the caller (the handler checks ``clue_view``:
a uniform 404 otherwise); a consultation is not dated in the future (422) and is held once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.clues import ConsultationHeld
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.envelope import EventPayload

from xuncha_clues.domain.paper_dates import check_paper_day

STREAM_TYPE = "consultation"
MAX_CLUES = 200
MAX_PARTICIPANTS = 50


def unknown_consultation_detail(consultation_id: UUID) -> str:
    return f"未找到会商记录 {consultation_id} / unknown consultation {consultation_id}"


class UnknownConsultation(NotFoundError):
    """No consultation has this id, or the caller may not see it (404)."""


@dataclass(frozen=True)
class HoldConsultation:
    consultation_id: UUID
    jurisdiction: str
    clue_ids: tuple[UUID, ...]
    held_on: date
    participants: tuple[str, ...]
    decision: str


@dataclass
class Consultation:
    consultation_id: UUID | None = None
    jurisdiction: str = ""
    clue_ids: list[UUID] = field(default_factory=list)
    held_on: date | None = None
    participants: list[str] = field(default_factory=list)
    decision: str = ""
    recorded_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def decide_hold(state: Consultation, cmd: HoldConsultation, today: date) -> list[EventPayload]:
    if state.exists:
        raise RuleViolation(
            f"会商 {cmd.consultation_id} 已记录 / consultation {cmd.consultation_id} is already "
            "recorded"
        )
    if not jurisdictions.is_known(cmd.jurisdiction):
        raise InvalidCommand(
            f"未知的行政区划代码 {cmd.jurisdiction!r} / unknown jurisdiction {cmd.jurisdiction!r}"
        )
    clue_ids = list(dict.fromkeys(cmd.clue_ids))
    if not clue_ids or len(clue_ids) > MAX_CLUES:
        raise InvalidCommand(
            f"会商须涉及 1 至 {MAX_CLUES} 条线索 / a consultation concerns 1 to {MAX_CLUES} clues"
        )
    participants = list(dict.fromkeys(p.strip() for p in cmd.participants if p.strip()))
    if not participants or len(participants) > MAX_PARTICIPANTS:
        raise InvalidCommand(
            f"参加人员须为 1 至 {MAX_PARTICIPANTS} 人 / 1 to {MAX_PARTICIPANTS} participants"
        )
    check_paper_day(cmd.held_on, today, "held_on", "会商日期")
    decision = cmd.decision.strip()
    if not decision:
        raise InvalidCommand("会商意见不能为空 / the decision must not be empty")
    return [
        ConsultationHeld(
            consultation_id=cmd.consultation_id,
            jurisdiction=cmd.jurisdiction,
            clue_ids=clue_ids,
            held_on=cmd.held_on,
            participants=participants,
            decision=decision,
        )
    ]


def evolve(state: Consultation, event: EventPayload, at: datetime | None = None) -> Consultation:
    if isinstance(event, ConsultationHeld):
        state.consultation_id = event.consultation_id
        state.jurisdiction = event.jurisdiction
        state.clue_ids = list(event.clue_ids)
        state.held_on = event.held_on
        state.participants = list(event.participants)
        state.decision = event.decision
        state.recorded_at = at
    state.version += 1
    return state


def event_jurisdiction(state: Consultation, event: EventPayload) -> str:
    if isinstance(event, ConsultationHeld):
        return event.jurisdiction
    return state.jurisdiction


CONSULTATION = AggregateKind(
    stream_type=STREAM_TYPE, initial=Consultation, evolve=evolve, jurisdiction_of=event_jurisdiction
)
