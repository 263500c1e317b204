"""Where a petition belongs: the inspection group that received it (and so its round) and the
registered unit it is about, either of them optional. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.errors import InvalidCommand

from xuncha_intake.domain.groups import Group, UnknownGroup
from xuncha_intake.domain.planning import UnitFact


@dataclass(frozen=True)
class PetitionPlace:
    """Where a petition belongs: the round (as its id's text), the unit's name, the group and
    the registered unit (either may be ``None``)."""

    round_id: str | None
    unit: str
    group_id: UUID | None
    unit_id: UUID | None


def place_petition(
    jurisdiction: str,
    unit_text: str | None,
    round_id: str | None,
    group_id: UUID | None,
    group: Group | None,
    unit_id: UUID | None,
    unit: UnitFact | None,
    round_area: str | None = None,
) -> PetitionPlace:
    """A petition may name the group that received it (then its round is the group's round and
    its jurisdiction the group's) and a registered unit (then ``unit`` is the unit's name; with
    a group, one of the group's units). Without ``unit_id`` the unit's name is given as text."""
    if group_id is not None:
        if group is None or not group.exists:
            raise UnknownGroup(f"未找到巡察组 {group_id} / unknown group {group_id}")
        if group.jurisdiction != jurisdiction:
            raise InvalidCommand(
                f"巡察组 {group_id} 不属于 {jurisdiction} / group {group_id} belongs to "
                f"{group.jurisdiction}, not to {jurisdiction}"
            )
        if round_id is not None and round_id != str(group.round_id):
            raise InvalidCommand(
                f"round_id 与巡察组所在轮次不符 / round_id {round_id} is not the round of group "
                f"{group_id}"
            )
        round_id = str(group.round_id)
    elif round_id is not None and _is_uuid(round_id) and round_area != jurisdiction:
        # an office's petition of a round (信访受理 names it): a round of the petition's own
        # area; another area's round reads as an unknown one (``round_area``: None)
        raise InvalidCommand(
            f"未找到{jurisdictions.name_of(jurisdiction)}的巡察轮次 {round_id}，请重新选择 / "
            f"round {round_id} is not a round of {jurisdiction}"
        )
    name = unit_text
    if unit_id is not None:
        if unit is None or jurisdictions.city_of(unit.jurisdiction) != jurisdictions.city_of(
            jurisdiction
        ):
            raise InvalidCommand(f"未知的被巡察单位 {unit_id} / unknown unit {unit_id}")
        if group is not None and unit_id not in group.unit_ids:
            raise InvalidCommand(
                f"单位 {unit_id} 不由该巡察组巡察 / unit {unit_id} is not one of group "
                f"{group_id}'s units"
            )
        name = unit.name
    if not name:
        raise InvalidCommand("须填写被巡察单位（unit 或 unit_id） / give unit or unit_id")
    return PetitionPlace(round_id=round_id, unit=name, group_id=group_id, unit_id=unit_id)


def _is_uuid(text: str) -> bool:
    """A round named by its id (older petitions named it in words, which stay as written)."""
    try:
        UUID(text)
    except ValueError:
        return False
    return True
