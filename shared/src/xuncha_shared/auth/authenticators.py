"""Authenticators: a bearer credential to a principal, in the mode ``XUNCHA_AUTH_MODE`` asks for
(``token``, the default: opaque tokens of ``auth_tokens``; ``oidc``: JWTs of an identity
provider)."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol, runtime_checkable

import asyncpg

from xuncha_shared.auth.oidc import InvalidCredentials, OidcVerifier
from xuncha_shared.auth.token_cache import TokenCache
from xuncha_shared.auth.tokens import TokenStore
from xuncha_shared.domain.principals import Principal
from xuncha_shared.settings import Settings

logger = logging.getLogger("xuncha_shared.auth")


@runtime_checkable
class Authenticator(Protocol):
    async def authenticate(self, bearer: str) -> Principal | None:
        """The principal of a bearer credential, or ``None`` when it is not valid."""
        ...


class TokenAuthenticator:
    def __init__(self, store: TokenStore) -> None:
        self.store = store

    async def authenticate(self, bearer: str) -> Principal | None:
        return await self.store.resolve(bearer)


class OidcAuthenticator:
    def __init__(self, verifier: OidcVerifier) -> None:
        self.verifier = verifier

    async def authenticate(self, bearer: str) -> Principal | None:
        if bearer.count(".") != 2:
            return None
        try:
            return await asyncio.to_thread(self.verifier.verify, bearer)
        except InvalidCredentials as exc:
            logger.info("rejected OIDC token: %s", exc)
            return None


def authenticator_from_settings(
    pool: asyncpg.Pool, settings: Settings | None = None
) -> Authenticator:
    """The authenticator ``XUNCHA_AUTH_MODE`` asks for (``token`` or ``oidc``)."""
    settings = settings or Settings()
    mode = settings.auth_mode.strip().lower()
    if mode == "token":
        # the cache keeps nothing until someone runs its listener (the service runtime does)
        return TokenAuthenticator(TokenStore(pool, TokenCache()))
    if mode == "oidc":
        jwks_url, issuer, audience = (
            settings.oidc_jwks_url,
            settings.oidc_issuer,
            settings.oidc_audience,
        )
        if not (jwks_url and issuer and audience):
            raise ValueError(
                "XUNCHA_AUTH_MODE=oidc needs XUNCHA_OIDC_JWKS_URL, XUNCHA_OIDC_ISSUER "
                "and XUNCHA_OIDC_AUDIENCE"
            )
        return OidcAuthenticator(OidcVerifier(jwks_url, issuer, audience))
    raise ValueError(f"XUNCHA_AUTH_MODE must be token or oidc, not {settings.auth_mode!r}")
