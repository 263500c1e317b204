"""Who may read which view (domain.md section 7), as pure checks raising 403 problems."""

from __future__ import annotations

from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import ensure_jurisdiction
from xuncha_shared.http.problems import forbidden

#: Roles that read the linked view: the offices and the auditor (groups and departments see
#: only their own work, domain.md section 7).
LINKED_VIEW_ROLES: frozenset[Role] = frozenset({Role.CITY_ADMIN, Role.COUNTY_ADMIN, Role.AUDITOR})


def linked_view_scope(principal: Principal, jurisdiction: str | None) -> str | None:
    """The one jurisdiction to show, or None for the whole city.

    A county office sees only its own county; asking for another county or the city is 403.
    """
    if principal.role not in LINKED_VIEW_ROLES:
        raise forbidden(f"role {principal.role.value} may not read the linked view")
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
            raise forbidden(
                f"department {principal.department} may not read the feed of {department.value}"
            )
        return
    if principal.role in (Role.CITY_ADMIN, Role.AUDITOR) and principal.is_city_wide:
        return
    raise forbidden(f"role {principal.role.value} may not read department feeds")


def ensure_feed_acker(principal: Principal, department: Department) -> None:
    """Only the receiving department itself acknowledges (签收) its items."""
    if principal.role is not Role.DEPARTMENT or principal.department is not department:
        raise forbidden(f"only department {department.value} may acknowledge its items")
    if not principal.can_write:
        raise forbidden(f"role {principal.role.value} is read-only")
