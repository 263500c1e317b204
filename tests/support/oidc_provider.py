"""A small but real OpenID Connect provider for the workbench's sign-in tests, built on Authlib
(keys, JWTs, PKCE): authorization code flow with PKCE (S256 only) for one public client.

Run as a process: ``python -m tests.support.oidc_provider --port P --client-id C --audience A
--users FILE`` where FILE is JSON ``{"username": {"password": …, "sub": …, "xuncha_role": …,
"xuncha_jurisdiction": …, ["xuncha_department": …]}}``. The issuer is ``http://127.0.0.1:P``.

- ``GET /.well-known/openid-configuration``, ``GET /jwks`` (CORS open: the browser reads them)
- ``GET /authorize``: a login page (用户名, 密码); ``POST /authorize`` checks the password and
  redirects to ``redirect_uri`` with a one-time code bound to the client, redirect URI and the
  PKCE challenge (60 s)
- ``POST /token``: ``grant_type=authorization_code`` with ``code_verifier``; answers an RS256
  access token (``aud`` = the API audience, the xuncha claims) and an ID token

It keeps everything in memory and refuses anything it does not understand (400 / 401).
"""

from __future__ import annotations

import argparse
import html
import json
import secrets
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import uvicorn
from authlib.jose import JsonWebKey, jwt
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

CODE_SECONDS = 60
TOKEN_SECONDS = 3600
XUNCHA_CLAIMS = ("xuncha_role", "xuncha_jurisdiction", "xuncha_department")


async def form_of(request: Request) -> dict[str, str]:
    """An application/x-www-form-urlencoded body (without python-multipart)."""
    return dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))


@dataclass
class Grant:
    client_id: str
    redirect_uri: str
    challenge: str
    nonce: str | None
    user: str
    expires: float


class Provider:
    def __init__(self, issuer: str, client_id: str, audience: str, users: dict[str, Any]) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self.audience = audience
        self.users = users
        self.key = JsonWebKey.generate_key("RSA", 2048, is_private=True, options={"kid": "k1"})
        self.codes: dict[str, Grant] = {}

    # ---- helpers ----
    def cors(self, response: Response) -> Response:
        response.headers["Access-Control-Allow-Origin"] = "*"
        response.headers["Access-Control-Allow-Headers"] = "*"
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        return response

    def error(self, status: int, error: str, description: str) -> Response:
        return self.cors(
            JSONResponse({"error": error, "error_description": description}, status_code=status)
        )

    def sign(self, claims: dict[str, Any]) -> str:
        header = {"alg": "RS256", "kid": "k1", "typ": "JWT"}
        token: bytes = jwt.encode(header, claims, self.key)
        return token.decode()

    # ---- endpoints ----
    async def discovery(self, request: Request) -> Response:
        return self.cors(
            JSONResponse(
                {
                    "issuer": self.issuer,
                    "authorization_endpoint": f"{self.issuer}/authorize",
                    "token_endpoint": f"{self.issuer}/token",
                    "jwks_uri": f"{self.issuer}/jwks",
                    "response_types_supported": ["code"],
                    "grant_types_supported": ["authorization_code"],
                    "subject_types_supported": ["public"],
                    "id_token_signing_alg_values_supported": ["RS256"],
                    "code_challenge_methods_supported": ["S256"],
                    "token_endpoint_auth_methods_supported": ["none"],
                    "scopes_supported": ["openid", "profile"],
                }
            )
        )

    async def jwks(self, request: Request) -> Response:
        return self.cors(JSONResponse({"keys": [self.key.as_dict(is_private=False)]}))

    def _check_authorize(self, params: Any) -> str | None:
        if params.get("client_id") != self.client_id:
            return "unknown client"
        if params.get("response_type") != "code":
            return "only response_type=code"
        if params.get("code_challenge_method") != "S256" or not params.get("code_challenge"):
            return "PKCE with S256 is required"
        if not str(params.get("redirect_uri", "")).startswith("http://127.0.0.1:"):
            return "redirect_uri not allowed"
        return None

    def _login_page(self, params: dict[str, str], error: str = "") -> HTMLResponse:
        hidden = "".join(
            f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
            for k, v in params.items()
            if k not in ("username", "password")
        )
        message = f'<p id="login-error" role="alert">{html.escape(error)}</p>' if error else ""
        body = f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>统一身份认证</title></head><body><h1>统一身份认证</h1>{message}
<form method="post" action="/authorize">{hidden}
<label for="username">用户名</label><input id="username" name="username" autocomplete="username">
<label for="password">密码</label><input id="password" name="password" type="password">
<button id="login" type="submit">登录</button></form></body></html>"""
        return HTMLResponse(body, status_code=401 if error else 200)

    async def authorize(self, request: Request) -> Response:
        if request.method == "GET":
            params = dict(request.query_params)
        else:
            params = await form_of(request)
        problem = self._check_authorize(params)
        if problem:
            return HTMLResponse(f"<p>invalid request: {html.escape(problem)}</p>", 400)
        if request.method == "GET":
            return self._login_page(params)
        user = self.users.get(params.get("username", ""))
        given = params.get("password", "").encode("utf-8")
        if user is None or not secrets.compare_digest(str(user["password"]).encode("utf-8"), given):
            return self._login_page(params, "用户名或密码错误")
        code = secrets.token_urlsafe(24)
        self.codes[code] = Grant(
            client_id=params["client_id"],
            redirect_uri=params["redirect_uri"],
            challenge=params["code_challenge"],
            nonce=params.get("nonce"),
            user=params["username"],
            expires=time.time() + CODE_SECONDS,
        )
        query = {"code": code, "state": params.get("state", "")}
        return RedirectResponse(f"{params['redirect_uri']}?{urlencode(query)}", status_code=302)

    async def token(self, request: Request) -> Response:
        if request.method == "OPTIONS":
            return self.cors(Response(status_code=204))
        form = await form_of(request)
        if form.get("grant_type") != "authorization_code":
            return self.error(400, "unsupported_grant_type", "authorization_code only")
        grant = self.codes.pop(form.get("code", ""), None)  # one use only
        if grant is None or grant.expires < time.time():
            return self.error(400, "invalid_grant", "unknown or expired code")
        if (
            form.get("client_id") != grant.client_id
            or form.get("redirect_uri") != grant.redirect_uri
        ):
            return self.error(400, "invalid_grant", "client or redirect_uri mismatch")
        verifier = form.get("code_verifier", "")
        if not verifier or create_s256_code_challenge(verifier) != grant.challenge:
            return self.error(400, "invalid_grant", "PKCE verification failed")
        user = self.users[grant.user]
        now = int(time.time())
        base = {"iss": self.issuer, "sub": user["sub"], "iat": now, "exp": now + TOKEN_SECONDS}
        access = {**base, "aud": self.audience, "scope": "openid profile"}
        access.update({k: user[k] for k in XUNCHA_CLAIMS if k in user})
        id_token = {**base, "aud": grant.client_id, "name": grant.user}
        if grant.nonce:
            id_token["nonce"] = grant.nonce
        return self.cors(
            JSONResponse(
                {
                    "access_token": self.sign(access),
                    "id_token": self.sign(id_token),
                    "token_type": "Bearer",
                    "expires_in": TOKEN_SECONDS,
                    "scope": "openid profile",
                },
                headers={"Cache-Control": "no-store"},
            )
        )

    def app(self) -> Starlette:
        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", self.discovery),
                Route("/jwks", self.jwks),
                Route("/authorize", self.authorize, methods=["GET", "POST"]),
                Route("/token", self.token, methods=["POST", "OPTIONS"]),
            ]
        )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--client-id", required=True)
    p.add_argument("--audience", required=True)
    p.add_argument("--users", type=Path, required=True)
    args = p.parse_args()
    issuer = f"http://127.0.0.1:{args.port}"
    users = json.loads(args.users.read_text(encoding="utf-8"))
    provider = Provider(issuer, args.client_id, args.audience, users)
    uvicorn.run(provider.app(), host="127.0.0.1", port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
