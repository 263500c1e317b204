"""R13: a walk-in petition (来访) is taken up by a leader the same day. Pure: no I/O.

A ``PetitionReceived`` of channel ``visit`` starts the same-day deadline (adapters.deadlines);
``intake.WalkInHandled``, recorded here, satisfies it. Only a walk-in can be handled this way,
and only once. Who took it up is written as a post (巡察组组长), never as a person
(``post_problem``).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from xuncha_shared.contracts.common import Channel
from xuncha_shared.contracts.intake import WalkInHandled
from xuncha_shared.domain.errors import InvalidCommand, RuleViolation
from xuncha_shared.domain.group_scope import group_sees
from xuncha_shared.domain.personal_numbers import find_personal_numbers
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.model import Petition, UnknownPetition


class NotAWalkIn(RuleViolation):
    """The petition did not come in person (409)."""


class WalkInAlreadyHandled(RuleViolation):
    """The walk-in was taken up already (409)."""


#: the titles a receiving leader's post ends with (R13: the group leader, or the office's head)
POST_TITLES: tuple[str, ...] = (
    "组长", "主任", "书记", "部长", "局长", "处长", "科长", "主席", "委员", "秘书长",
    "县长", "区长", "市长", "镇长", "乡长", "院长", "队长", "专员", "联络员",
)  # fmt: skip
#: characters of the body a post names (巡察组, 巡察办, 纪委, 县委 …): a post's words before its
#: title hold one of them; a person's name before a title (王组长, 张三主任) holds none
BODY_CHARACTERS = frozenset("组办委局部室处科厅院会队站所中心市县区镇乡村街道党政府纪监巡察")


def post_problem(post: str) -> str | None:
    """Why ``post`` is not a receiving leader's post, in Chinese and English; None when it is
    one: a title (``POST_TITLES``) alone (组长) or after the words of its body (巡察组组长,
    市委巡察办副主任). A name alone (张三), or a name or surname before a title (王组长), is
    refused: the record names posts, never people (R13)."""
    text = post.strip()
    title = next((t for t in POST_TITLES if text.endswith(t)), None)
    before = text[: len(text) - len(title)] if title else text
    before = before.removesuffix("副")  # 副组长: the title's own
    if title is None or (before and not BODY_CHARACTERS & set(before)):
        return (
            "请只填写接待领导的职务，如“巡察组组长”“巡察办主任”，不填姓名或姓氏 / the receiving "
            "leader's post, such as 巡察组组长, never a name"
        )
    return None


@dataclass(frozen=True)
class HandleWalkIn:
    """A leader received the visitor and took the petition up (来访接待)."""

    petition_id: UUID
    handled_by: str
    summary: str | None = None


def _group_sees(
    principal: Principal, scope: tuple[str, frozenset[UUID]] | None, state: Petition
) -> bool:
    if principal.group_id is None:
        return True
    round_id, units = scope if scope else (None, frozenset[UUID]())
    return group_sees(
        principal.group_id, round_id, units, state.group_id, state.round_id, state.unit_id
    )


def handled(state: Petition) -> bool:
    return WalkInHandled.event_type in state.events


def decide_handle_walk_in(
    state: Petition,
    cmd: HandleWalkIn,
    principal: Principal,
    group_scope: tuple[str, frozenset[UUID]] | None = None,
) -> list[EventPayload]:
    """Record that a walk-in was taken up: an unknown petition, one of another jurisdiction and
    (for a member bound to a group, whose round and units are ``group_scope``) one its group
    does not see are the same 404; a petition that did not come in person, or one handled
    already, 409."""
    if (
        not state.exists
        or state.jurisdiction is None
        or not principal.can_access(state.jurisdiction)
        or not _group_sees(principal, group_scope, state)
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
    # R11: the leader's note is read by everyone who reads the petition: no phone or ID number
    # (the reporter's own are sealed with the petition), said by kind, never the number
    if found := find_personal_numbers(cmd.summary or ""):
        raise InvalidCommand(
            f"处理情况不得包含电话号码或身份证号 (R11)：其中含有{found.describe_zh()}，请删去 / "
            f"the handling note must not carry a phone or ID number (R11): it contains "
            f"{found.describe_en()}"
        )
    return [
        WalkInHandled(petition_id=cmd.petition_id, handled_by=cmd.handled_by, summary=cmd.summary)
    ]
