"""What a member bound to an inspection group sees of a case (a petition, a clue), pure.

Domain.md section 7: a group sees its round and units. A case its group received, registered
or brought is its own; a case no group took (a petition the office registered) is its group's
when it was recorded in the group's round and is about a unit the group inspects, or about no
registered unit in particular; another group's case, another round's and a case of no round are
not. A group whose round and units are not known (``group_round`` None) sees its own cases only.
Used by intake (petitions, walk-ins) and clues (clues, the clues a finding names) alike.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID


def group_sees(
    own_group: UUID,
    group_round: str | None,
    group_units: Collection[UUID],
    case_group: UUID | None,
    case_round: str | None,
    case_unit: UUID | None,
) -> bool:
    """Whether the member of ``own_group`` (whose round is ``group_round``, units
    ``group_units``) sees a case of ``case_group``, ``case_round`` and ``case_unit``."""
    if case_group is not None:
        return case_group == own_group
    if group_round is None or case_round != group_round:
        return False
    return case_unit is None or case_unit in group_units
