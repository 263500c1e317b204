"""Who may see a problem, an inspection report or a consultation (pure).

Jurisdiction rules as for clues: a county office sees its own county, the city office (and any
city-wide role) sees the city and its counties, a group member sees its group's county; a group
member bound to a group (``group_id``) sees only the units that group inspects (the units of its
``intake.GroupFormed``, which clues follows). Anything else answers a uniform 404.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.group_scope import group_sees


@dataclass(frozen=True)
class Viewer:
    """The caller, free of the auth module: its jurisdiction, whether it is city-wide, and for
    a group-bound member the round and units of its group (``None``: not bound, or the group
    not known yet, which then sees nothing of a unit)."""

    jurisdiction: str
    city_wide: bool
    group_id: UUID | None = None
    group_round_id: UUID | None = None
    group_units: frozenset[UUID] | None = None

    @property
    def group_bound(self) -> bool:
        return self.group_id is not None

    def sees_jurisdiction(self, code: str) -> bool:
        if self.city_wide:
            return jurisdictions.city_of(code) == jurisdictions.city_of(self.jurisdiction)
        return code == self.jurisdiction

    def sees_clue(
        self, clue_group: UUID | None, clue_round: str | None, clue_unit: UUID | None
    ) -> bool:
        """Whether the caller may name a clue of its area (``group_sees``: a group-bound member
        its group's, and those of its round about its units or none in particular)."""
        if self.group_id is None:
            return True
        round_id = str(self.group_round_id) if self.group_round_id else None
        units = self.group_units or frozenset()
        return group_sees(self.group_id, round_id, units, clue_group, clue_round, clue_unit)

    def sees_unit(self, round_id: UUID, unit_id: UUID) -> bool:
        """Whether a group-bound member's group inspects ``unit_id`` in ``round_id`` (any other
        caller: yes, its jurisdiction decides)."""
        if not self.group_bound:
            return True
        if self.group_units is None or self.group_round_id != round_id:
            return False
        return unit_id in self.group_units

    def sees(self, jurisdiction: str, round_id: UUID | None, unit_ids: Iterable[UUID]) -> bool:
        """A thing of ``jurisdiction`` about ``unit_ids`` (of ``round_id``)."""
        if not self.sees_jurisdiction(jurisdiction):
            return False
        if not self.group_bound:
            return True
        units = list(unit_ids)
        if round_id is None or not units:
            return False
        return all(self.sees_unit(round_id, u) for u in units)


@dataclass(frozen=True)
class RegisteringGroup:
    """A group as clues knows it from intake's ``GroupFormed``: its round, its area, the units
    it inspects and its round's first day (``None`` for a group recorded before clues kept
    the day). A clue the group registers directly is checked against it."""

    round_id: UUID
    jurisdiction: str
    unit_ids: frozenset[UUID]
    starts_on: date | None = None


def group_sees_clue(
    own_group: UUID,
    group: RegisteringGroup | None,
    clue_group: UUID | None,
    clue_round: str | None,
    clue_unit: UUID | None,
) -> bool:
    """Whether a member bound to group ``own_group`` (as clues knows it: ``group``) sees a
    clue: ``xuncha_shared.domain.group_scope.group_sees`` (its group's clues, and those no group
    registered of its round about a unit it inspects or none in particular)."""
    return group_sees(
        own_group,
        str(group.round_id) if group else None,
        group.unit_ids if group else (),
        clue_group,
        clue_round,
        clue_unit,
    )
