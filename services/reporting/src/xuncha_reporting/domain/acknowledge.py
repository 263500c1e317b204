"""签收 (acknowledge): a receiving department signs for an item of its sharing feed.

Pure: given the item as the feed holds it (or ``None``), the caller and the command, decide the
``reporting.ShareItemAcknowledged`` event or refuse. The refusals come in an order that leaks
nothing: an item of another department's feed is "not found", an item of another jurisdiction
is refused before anyone learns whether it was acknowledged already.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from xuncha_shared.contracts.common import Department
from xuncha_shared.contracts.reporting import ShareItemAcknowledged
from xuncha_shared.domain.errors import NotFoundError, RuleViolation
from xuncha_shared.domain.principals import Principal

from xuncha_reporting.domain.access import ensure_feed_acker


@dataclass(frozen=True)
class AcknowledgeItem:
    """The command: ``department`` signs for ``item_id``, with an optional note."""

    item_id: str
    department: Department
    note: str | None = None


@dataclass(frozen=True)
class SharedItem:
    """What the decision needs of a feed item."""

    department: str
    jurisdiction: str
    source_event_id: UUID
    acknowledged: bool

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> SharedItem:
        return cls(
            department=row["department"],
            jurisdiction=str(row["jurisdiction"]).strip(),
            source_event_id=row["source_event_id"],
            acknowledged=row["acknowledged_at"] is not None,
        )


class AlreadyAcknowledged(RuleViolation):
    """409: the item was signed for (also when a concurrent 签收 won the append)."""

    def __init__(self, item_id: str) -> None:
        super().__init__(f"该事项已签收，无需重复签收 / item {item_id} was acknowledged already")


def decide_acknowledge(
    item: SharedItem | None, cmd: AcknowledgeItem, principal: Principal
) -> ShareItemAcknowledged:
    """The event of ``cmd``, or a refusal (403/404/409 at the HTTP layer): only the receiving
    department itself signs, for an item of its own feed and jurisdiction, once."""
    ensure_feed_acker(principal, cmd.department)
    if (
        item is None
        or item.department != cmd.department.value
        or not principal.can_access(item.jurisdiction)
    ):  # another jurisdiction's item is answered like an unknown one (no existence oracle)
        raise NotFoundError(
            f"本部门的共享事项中没有该事项 / no item {cmd.item_id} in the feed of "
            f"{cmd.department.value}"
        )
    if item.acknowledged:
        raise AlreadyAcknowledged(cmd.item_id)
    return ShareItemAcknowledged(
        item_id=cmd.item_id,
        department=cmd.department,
        source_event_id=item.source_event_id,
        note=cmd.note,
    )
