"""FastAPI dependencies of authentication and the 403 checks of routes.

``AuthDependencies(authenticator).current_principal`` answers 401 (``WWW-Authenticate: Bearer``)
without a valid bearer credential; ``require_roles(...)`` and ``writer`` answer 403 for the wrong
role or a read-only principal. :func:`ensure_jurisdiction`, :func:`ensure_roles` and
:func:`require_write` are the same checks inside a route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from xuncha_shared.auth.authenticators import Authenticator
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.problems import forbidden, unauthorized
from xuncha_shared.http.requests import known_jurisdiction


def ensure_jurisdiction(principal: Principal, code: str) -> None:
    """Raise 403 unless ``principal`` may access ``code``."""
    if not principal.can_access(code):
        raise forbidden(
            f"无权访问该地区 / {principal.role.value} of {principal.jurisdiction} may not access "
            "the jurisdiction asked for"
        )


def list_scope(principal: Principal, jurisdiction: str | None) -> str:
    """The SQL LIKE pattern of what a list shows ``principal``: the jurisdiction asked for
    (422 unless it is a configured one, 403 unless the caller may see it), or without one
    every jurisdiction the caller may see."""
    if jurisdiction is None:
        return principal.jurisdiction_like()
    known_jurisdiction(jurisdiction)
    ensure_jurisdiction(principal, jurisdiction)
    return jurisdiction


def ensure_roles(principal: Principal, *roles: Role) -> None:
    """Raise 403 unless ``principal`` has one of ``roles``."""
    if principal.role not in roles:
        allowed = ", ".join(r.value for r in roles)
        raise forbidden(f"role {principal.role.value} may not do this (allowed: {allowed})")


def require_write(principal: Principal) -> None:
    """Raise 403 for read-only principals (auditors)."""
    if not principal.can_write:
        raise forbidden(f"role {principal.role.value} is read-only")


bearer_scheme = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="`xc_…` token (xuncha tokens create) or, with XUNCHA_AUTH_MODE=oidc, a JWT",
)

PrincipalDependency = Callable[..., Awaitable[Principal]]


class AuthDependencies:
    """FastAPI dependencies bound to one authenticator.

    ``current_principal`` answers 401 (``WWW-Authenticate: Bearer``) without a valid bearer
    credential and stores the principal on ``request.state.principal``; ``require_roles(...)``
    and ``writer`` answer 403 for the wrong role or a read-only principal.
    """

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator

        async def current_principal(
            request: Request,
            credentials: HTTPAuthorizationCredentials | None = Depends(bearer_scheme),
        ) -> Principal:
            checked = getattr(request.state, "principal", None)
            if isinstance(checked, Principal):  # authenticated at the door (http.gate)
                return checked
            if credentials is None or not credentials.credentials:
                raise unauthorized("a bearer token is required")
            principal = await authenticator.authenticate(credentials.credentials)
            if principal is None:
                raise unauthorized(
                    "the token is invalid, expired or revoked", error="invalid_token"
                )
            request.state.principal = principal
            return principal

        async def writer(principal: Principal = Depends(current_principal)) -> Principal:
            require_write(principal)
            return principal

        self.current_principal: PrincipalDependency = current_principal
        self.writer: PrincipalDependency = writer

    def require_roles(self, *roles: Role, write: bool = False) -> PrincipalDependency:
        """A dependency admitting only ``roles`` (and, with ``write``, no read-only role)."""
        allowed = tuple(roles)
        current = self.current_principal

        async def dependency(principal: Principal = Depends(current)) -> Principal:
            ensure_roles(principal, *allowed)
            if write:
                require_write(principal)
            return principal

        return dependency


def make_auth_dependencies(authenticator: Authenticator) -> AuthDependencies:
    return AuthDependencies(authenticator)
