"""R13: a walk-in petition (来访) is taken up by a leader the same day. Pure: no I/O.

A ``PetitionReceived`` of channel ``visit`` starts the same-day deadline (adapters.deadlines);
``intake.WalkInHandled``, recorded here, satisfies it. Only a walk-in can be handled this way,
and only once.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from xuncha_shared.contracts.common import Channel
from xuncha_shared.contracts.intake import WalkInHandled
from xuncha_shared.domain.errors import RuleViolation
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.model import Petition, UnknownPetition


class NotAWalkIn(RuleViolation):
    """The petition did not come in person (409)."""


class WalkInAlreadyHandled(RuleViolation):
    """The walk-in was taken up already (409)."""


@dataclass(frozen=True)
class HandleWalkIn:
    """A leader received the visitor and took the petition up (来访接待)."""

    petition_id: UUID
    handled_by: str
    summary: str | None = None


def handled(state: Petition) -> bool:
    return WalkInHandled.event_type in state.events


def decide_handle_walk_in(
    state: Petition, cmd: HandleWalkIn, principal: Principal
) -> list[EventPayload]:
    """Record that a walk-in was taken up: an unknown petition and one of another jurisdiction
    are the same 404; a petition that did not come in person, or one handled already, 409."""
    if (
        not state.exists
        or state.jurisdiction is None
        or not principal.can_access(state.jurisdiction)
    ):
        raise UnknownPetition(
            f"未找到来信来访 {cmd.petition_id} / unknown petition {cmd.petition_id}"
        )
    if state.channel is not Channel.VISIT:
        channel = state.channel.value if state.channel else "unknown"
        raise NotAWalkIn(
            f"该件不是来访（渠道 {channel}），无需当日接待登记 / petition {cmd.petition_id} came "
            f"by {channel}, not in person (R13 applies to walk-ins only)"
        )
    if handled(state):
        raise WalkInAlreadyHandled(
            f"来访 {cmd.petition_id} 已登记接待处理 / walk-in {cmd.petition_id} is already "
            "recorded as handled"
        )
    return [
        WalkInHandled(petition_id=cmd.petition_id, handled_by=cmd.handled_by, summary=cmd.summary)
    ]
