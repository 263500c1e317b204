"""Who may read which view (docs/domain.md section 7), as pure checks raising ``NotAllowed``
(403 at the HTTP layer)."""

from __future__ import annotations

from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.errors import NotAllowed
from xuncha_shared.domain.principals import Principal, Role

#: Roles that read the linked view: the offices and the auditor (groups and departments see
#: only their own work, domain.md section 7).
LINKED_VIEW_ROLES: frozenset[Role] = frozenset({Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR})


def linked_view_scope(principal: Principal, jurisdiction: str | None) -> str | None:
    """The one jurisdiction to show, or None for the whole city.

    A county office sees only its own county; asking for another county or the city is 403.
    """
    if principal.role not in LINKED_VIEW_ROLES:
        raise NotAllowed(f"role {principal.role.value} may not read the linked view")
    if jurisdiction is not None:
        ensure_jurisdiction(principal, jurisdiction)
        return jurisdiction
    if principal.is_city_wide:
        return None
    return principal.jurisdiction


def ensure_feed_reader(principal: Principal, department: Department) -> None:
    """A department reads its own feed only; the city office and the auditor read any."""
    if principal.role is Role.DEPARTMENT:
        if principal.department is not department:
            raise NotAllowed(
                f"department {principal.department} may not read the feed of {department.value}"
            )
        return
    if principal.role in (Role.CITY_ADMIN, Role.AUDITOR) and principal.is_city_wide:
        return
    raise NotAllowed(f"role {principal.role.value} may not read department feeds")


def ensure_feed_acker(principal: Principal, department: Department) -> None:
    """Only the receiving department itself acknowledges (签收) its items."""
    if principal.role is not Role.DEPARTMENT or principal.department is not department:
        raise NotAllowed(f"only department {department.value} may acknowledge its items")
    if not principal.can_write:
        raise NotAllowed(f"role {principal.role.value} is read-only")


def ensure_jurisdiction(principal: Principal, code: str) -> None:
    """Refuse unless ``principal`` may access jurisdiction ``code``."""
    if not principal.can_access(code):
        raise NotAllowed(
            f"无权访问该地区 / {principal.role.value} of {principal.jurisdiction} may not access "
            "the jurisdiction asked for"
        )


def ensure_reserve_reader(principal: Principal) -> None:
    """后备干部库: the organisation department (its own area), the offices and the auditor."""
    if principal.role is Role.DEPARTMENT and principal.department is Department.ORGANISATION:
        return
    if principal.role in LINKED_VIEW_ROLES:
        return
    raise NotAllowed(f"role {principal.role.value} may not read the reserve pool of cadres")
