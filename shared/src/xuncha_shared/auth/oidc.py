"""OIDC: RS256/ES256 JWTs from an identity provider (``XUNCHA_AUTH_MODE=oidc``).

Tokens are verified with the keys at ``XUNCHA_OIDC_JWKS_URL`` (the JWK set is cached for five
minutes), with ``iss`` = ``XUNCHA_OIDC_ISSUER`` and ``aud`` containing ``XUNCHA_OIDC_AUDIENCE``.
Required claims: ``sub`` (principal id), ``exp``, ``iss``, ``aud``, ``xuncha_role`` (a role of
``xuncha_shared.domain.principals.Role``), ``xuncha_jurisdiction`` (six-digit code) and, for
role ``department`` only, ``xuncha_department`` (a ``Department`` value such as
``discipline_commission``); for role ``inspected_unit`` only, ``xuncha_unit`` (intake's unit id).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

import jwt
from pydantic import ValidationError

from xuncha_shared.domain.principals import Principal
from xuncha_shared.http.problems import ProblemError, problem_type

logger = logging.getLogger("xuncha_shared.auth")

OIDC_ROLE_CLAIM = "xuncha_role"
OIDC_JURISDICTION_CLAIM = "xuncha_jurisdiction"
OIDC_DEPARTMENT_CLAIM = "xuncha_department"
OIDC_UNIT_CLAIM = "xuncha_unit"
OIDC_ALGORITHMS: tuple[str, ...] = ("RS256", "ES256")


class InvalidCredentials(Exception):
    """A bearer credential that does not authenticate anyone."""


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    """Map verified JWT claims to a principal (see the module docstring for claim names)."""
    try:
        return Principal(
            id=claims["sub"],
            role=claims[OIDC_ROLE_CLAIM],
            jurisdiction=claims[OIDC_JURISDICTION_CLAIM],
            department=claims.get(OIDC_DEPARTMENT_CLAIM),
            unit_id=claims.get(OIDC_UNIT_CLAIM),
        )
    except KeyError as exc:
        raise InvalidCredentials(f"missing claim {exc.args[0]}") from None
    except ValidationError as exc:
        raise InvalidCredentials(f"invalid xuncha claims: {exc.error_count()} errors") from None


class OidcVerifier:
    """Verifies RS256/ES256 JWTs against an issuer's JWK set (cached ``jwks_lifespan`` s)."""

    def __init__(
        self,
        jwks_url: str,
        issuer: str,
        audience: str,
        *,
        algorithms: Sequence[str] = OIDC_ALGORITHMS,
        leeway: float = 30.0,
        jwks_lifespan: float = 300.0,
        timeout: float = 5.0,
    ) -> None:
        unsupported = set(algorithms) - set(OIDC_ALGORITHMS)
        if unsupported:
            raise ValueError(f"unsupported algorithms: {sorted(unsupported)}")
        self.issuer = issuer
        self.audience = audience
        self.algorithms = list(algorithms)
        self.leeway = leeway
        self._jwks = jwt.PyJWKClient(
            jwks_url, cache_jwk_set=True, lifespan=jwks_lifespan, timeout=timeout
        )

    def verify(self, token: str) -> Principal:
        """The principal of a valid token; raises ``InvalidCredentials`` otherwise and
        ``ProblemError(503)`` when the JWK set cannot be fetched. Blocking (may fetch keys)."""
        try:
            header = jwt.get_unverified_header(token)
            if header.get("alg") not in self.algorithms:
                raise InvalidCredentials(f"algorithm {header.get('alg')!r} not accepted")
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                signing_key,
                algorithms=self.algorithms,
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWKClientConnectionError as exc:
            logger.warning("cannot fetch the OIDC key set: %s", exc)
            raise ProblemError(
                503,
                "Identity provider unavailable",
                "the signing keys of the identity provider cannot be fetched",
                problem_type("idp-unavailable"),
            ) from exc
        except jwt.PyJWTError as exc:
            raise InvalidCredentials(str(exc)) from exc
        return principal_from_claims(claims)
