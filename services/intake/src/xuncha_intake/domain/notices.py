"""告知举报人 (R8): the notices a real-name reporter is owed, and the disposal of the petition's
clue that the result notice waits for. Pure: no I/O.

The informant custodian records each notice (``intake.InformantNotified``): of acceptance once,
within 15 working days of receipt; of the result once the clue is disposed of
(``intake.ClueDisposalLearned``, from ``clues.ClueDisposed``), within 15 working days of that.
A notice is never dated in the future, nor before the petition was received, nor a result
before the disposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from xuncha_shared.contracts.intake import (
    ClueDisposalLearned,
    InformantNotified,
    NoticeChannel,
    NoticeKind,
)
from xuncha_shared.domain.errors import InvalidCommand, NotAllowed, RuleViolation
from xuncha_shared.domain.principals import Principal
from xuncha_shared.envelope import EventPayload

from xuncha_intake.domain.model import (
    IDENTITY_READER,
    AnonymousPetition,
    Petition,
    UnknownPetition,
)


@dataclass(frozen=True)
class NotifyInformant:
    """The informant custodian records that the real-name reporter was told (R8)."""

    petition_id: UUID
    notice: NoticeKind
    channel: NoticeChannel
    sent_on: date


def decide_notify(
    state: Petition,
    cmd: NotifyInformant,
    notifier: Principal,
    today: date,
    received_on: date | None = None,
) -> list[EventPayload]:
    """Record a notice to the reporter: only the informant custodian of the petition's
    jurisdiction (403), of a known (404), real-name (409) petition; not sent in the future nor
    before the petition was received (``received_on``, China time) (422); one acceptance notice
    per petition (409); a result notice only once the clue is disposed of (409), not dated
    before its disposal (422)."""
    if notifier.role is not IDENTITY_READER:
        raise NotAllowed(
            f"只有举报人信息保管员可以登记告知 / only the {IDENTITY_READER.value} records "
            f"notices to reporters, not a {notifier.role.value}"
        )
    if not state.exists or state.jurisdiction is None:
        raise UnknownPetition(
            f"未找到来信来访 {cmd.petition_id} / unknown petition {cmd.petition_id}"
        )
    if not notifier.can_access(state.jurisdiction):
        raise NotAllowed(
            f"{notifier.role.value} of {notifier.jurisdiction} may not access jurisdiction "
            f"{state.jurisdiction}"
        )
    if state.informant is None:
        raise AnonymousPetition(
            f"来信来访 {cmd.petition_id} 为匿名举报，无需告知 / petition {cmd.petition_id} is "
            "anonymous: there is no reporter to notify"
        )
    if cmd.sent_on > today:
        raise InvalidCommand(
            f"告知日期不能晚于今天 / sent_on {cmd.sent_on.isoformat()} is after today "
            f"({today.isoformat()})"
        )
    if received_on is not None and cmd.sent_on < received_on:
        raise InvalidCommand(
            f"告知日期不能早于收到举报的日期（{received_on.isoformat()}） / sent_on "
            f"{cmd.sent_on.isoformat()} is before the petition was received "
            f"({received_on.isoformat()})"
        )
    if cmd.notice is NoticeKind.RESULT:
        if state.disposed_on is None:
            raise RuleViolation(
                "线索尚未办结，暂不能登记办理结果告知 (R8) / the petition's clue is not disposed "
                "of yet: there is no result to tell"
            )
        if cmd.sent_on < state.disposed_on:
            raise InvalidCommand(
                f"办理结果告知日期不能早于线索办结日期（{state.disposed_on.isoformat()}） / "
                f"sent_on {cmd.sent_on.isoformat()} is before the clue's disposal "
                f"({state.disposed_on.isoformat()})"
            )
    if cmd.notice is NoticeKind.ACCEPTANCE and NoticeKind.ACCEPTANCE in state.notices:
        raise RuleViolation(
            "该件已登记受理告知，不能重复登记 / the acceptance notice of this petition is "
            "already recorded"
        )
    return [
        InformantNotified(
            petition_id=cmd.petition_id,
            notice=cmd.notice,
            notice_channel=cmd.channel,
            sent_on=cmd.sent_on,
        )
    ]


@dataclass(frozen=True)
class LearnClueDisposal:
    """The clue of this petition was disposed of (``clues.ClueDisposed``)."""

    petition_id: UUID
    clue_id: UUID
    disposition: str
    disposed_on: date


def decide_learn_disposal(state: Petition, cmd: LearnClueDisposal) -> list[EventPayload]:
    """Record the disposal once (a redelivered or repeated disposal decides nothing); a
    petition this intake does not hold decides nothing either."""
    if not state.exists or state.disposed_on is not None:
        return []
    return [
        ClueDisposalLearned(
            petition_id=cmd.petition_id,
            clue_id=cmd.clue_id,
            disposition=cmd.disposition,
            disposed_on=cmd.disposed_on,
        )
    ]
