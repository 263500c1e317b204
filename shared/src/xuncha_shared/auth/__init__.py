"""Authentication: who calls, from a bearer credential. One concern per module:

* :mod:`.tokens`: opaque ``xc_`` tokens and the ``auth_tokens`` table of their hashes;
* :mod:`.oidc`: JWTs of an identity provider (``XUNCHA_AUTH_MODE=oidc``);
* :mod:`.authenticators`: the authenticator of the configured mode;
* :mod:`.demo`: one demo principal and token per role.

Roles and principals are ``xuncha_shared.domain.principals``; the FastAPI dependencies and the
403 checks of routes are ``xuncha_shared.http.dependencies``.
"""
