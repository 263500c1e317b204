"""Roles, jurisdictions, principals, token hashing, OIDC verification and the FastAPI
dependencies, without any database."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from pydantic import ValidationError
from typer.testing import CliRunner
from xuncha_shared.auth.authenticators import (
    OidcAuthenticator,
    TokenAuthenticator,
    authenticator_from_settings,
)
from xuncha_shared.auth.demo import demo_principals
from xuncha_shared.auth.oidc import InvalidCredentials, OidcVerifier, principal_from_claims
from xuncha_shared.auth.tokens import (
    TokenStore,
    generate_token,
    hash_token,
    looks_like_token,
    token_hash_prefix,
)
from xuncha_shared.cli.tokens import app as tokens_app
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.jurisdictions import city_of, is_city, is_valid_jurisdiction
from xuncha_shared.domain.principals import ROLE_LABELS_ZH, Principal, Role
from xuncha_shared.http.dependencies import (
    AuthDependencies,
    ensure_jurisdiction,
    ensure_roles,
    make_auth_dependencies,
    require_write,
)
from xuncha_shared.http.problems import ProblemError
from xuncha_shared.settings import Settings

from bench.ports import free_port

pytestmark = pytest.mark.unit

CITY = "361000"
COUNTY = "361002"
OTHER_COUNTY = "361003"
OTHER_CITY = "341200"
OTHER_CITY_COUNTY = "341202"
UNIT = uuid.UUID("0b5e7a10-0000-5000-8000-000000000001")


def principal(role: Role, jurisdiction: str, **kw: Any) -> Principal:
    if role is Role.DEPARTMENT:
        kw.setdefault("department", Department.DISCIPLINE)
    if role is Role.INSPECTED_UNIT:
        kw.setdefault("unit_id", UNIT)
    return Principal(id=f"p-{role.value}", role=role, jurisdiction=jurisdiction, **kw)


# --- jurisdictions ------------------------------------------------------------------------------


def test_every_role_has_a_chinese_label() -> None:
    assert set(ROLE_LABELS_ZH) == set(Role)
    assert ROLE_LABELS_ZH[Role.CITY_ADMIN] == "市委巡察办"
    assert ROLE_LABELS_ZH[Role.COUNTY_ADMIN] == "县区委巡察办"
    assert ROLE_LABELS_ZH[Role.CUSTODIAN] == "举报人信息保管员"
    assert Role.CUSTODIAN.value == "informant_custodian"


@pytest.mark.parametrize(
    ("code", "valid", "city"),
    [
        ("361000", True, True),
        ("361002", True, False),
        ("110101", True, False),
        ("340000", False, False),  # province
        ("34110", False, False),
        ("3610000", False, False),
        ("34110a", False, False),
        ("", False, False),
    ],
)
def test_code_shapes(code: str, valid: bool, city: bool) -> None:
    assert is_valid_jurisdiction(code) is valid
    assert is_city(code) is city


def test_city_of() -> None:
    assert city_of("361002") == "361000"
    assert city_of("361000") == "361000"
    with pytest.raises(ValueError, match="GB/T 2260"):
        city_of("34110x")


# role, own jurisdiction, target, allowed
ACCESS_MATRIX = [
    (Role.CITY_ADMIN, CITY, CITY, True),
    (Role.CITY_ADMIN, CITY, COUNTY, True),
    (Role.CITY_ADMIN, CITY, OTHER_COUNTY, True),
    (Role.CITY_ADMIN, CITY, OTHER_CITY, False),
    (Role.CITY_ADMIN, CITY, OTHER_CITY_COUNTY, False),
    (Role.AUDITOR, CITY, CITY, True),
    (Role.AUDITOR, CITY, OTHER_COUNTY, True),
    (Role.AUDITOR, CITY, OTHER_CITY_COUNTY, False),
    (Role.DEPARTMENT, CITY, CITY, True),
    (Role.DEPARTMENT, CITY, COUNTY, True),
    (Role.DEPARTMENT, CITY, OTHER_CITY_COUNTY, False),
    (Role.COUNTY_ADMIN, COUNTY, COUNTY, True),
    (Role.COUNTY_ADMIN, COUNTY, OTHER_COUNTY, False),
    (Role.COUNTY_ADMIN, COUNTY, CITY, False),  # escalated clues belong to the city
    (Role.COUNTY_ADMIN, COUNTY, OTHER_CITY_COUNTY, False),
    (Role.GROUP_MEMBER, COUNTY, COUNTY, True),
    (Role.GROUP_MEMBER, COUNTY, OTHER_COUNTY, False),
    (Role.GROUP_MEMBER, COUNTY, CITY, False),
    (Role.GROUP_MEMBER, CITY, CITY, True),  # a city-level group
    (Role.GROUP_MEMBER, CITY, COUNTY, False),
    # county-bound department / auditor see only their county
    (Role.DEPARTMENT, COUNTY, COUNTY, True),
    (Role.DEPARTMENT, COUNTY, OTHER_COUNTY, False),
    (Role.AUDITOR, COUNTY, CITY, False),
    # the informant custodian is bound like the offices: a city's sees the city and its
    # counties, a county's only that county
    (Role.CUSTODIAN, CITY, CITY, True),
    (Role.CUSTODIAN, CITY, COUNTY, True),
    (Role.CUSTODIAN, CITY, OTHER_COUNTY, True),
    (Role.CUSTODIAN, CITY, OTHER_CITY, False),
    (Role.CUSTODIAN, CITY, OTHER_CITY_COUNTY, False),
    (Role.CUSTODIAN, COUNTY, COUNTY, True),
    (Role.CUSTODIAN, COUNTY, OTHER_COUNTY, False),
    (Role.CUSTODIAN, COUNTY, CITY, False),
]


@pytest.mark.parametrize(("role", "own", "target", "allowed"), ACCESS_MATRIX)
def test_can_access(role: Role, own: str, target: str, allowed: bool) -> None:
    p = principal(role, own)
    assert p.can_access(target) is allowed
    if allowed:
        ensure_jurisdiction(p, target)
    else:
        with pytest.raises(ProblemError) as info:
            ensure_jurisdiction(p, target)
        assert info.value.status == 403
        assert info.value.type.endswith("/forbidden")


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("target", ["", "34110", "340000", "abcdef", "3610021"])
def test_no_role_accesses_malformed_codes(role: Role, target: str) -> None:
    own = COUNTY if role in (Role.COUNTY_ADMIN, Role.GROUP_MEMBER) else CITY
    assert not principal(role, own).can_access(target)


@pytest.mark.parametrize(("role", "own", "target", "allowed"), ACCESS_MATRIX)
def test_jurisdiction_like_agrees_with_can_access(
    role: Role, own: str, target: str, allowed: bool
) -> None:
    pattern = principal(role, own).jurisdiction_like()
    like = all(pc == "_" or pc == tc for pc, tc in zip(pattern, target, strict=True))
    assert like is allowed


def test_principal_validation() -> None:
    with pytest.raises(ValidationError, match="needs a department"):
        Principal(id="d", role=Role.DEPARTMENT, jurisdiction=CITY)
    with pytest.raises(ValidationError, match="only a department principal"):
        Principal(id="c", role=Role.CITY_ADMIN, jurisdiction=CITY, department=Department.AUDIT)
    with pytest.raises(ValidationError, match="only a department principal"):
        Principal(id="k", role=Role.CUSTODIAN, jurisdiction=CITY, department=Department.AUDIT)
    with pytest.raises(ValidationError, match="city code"):
        Principal(id="c", role=Role.CITY_ADMIN, jurisdiction=COUNTY)
    with pytest.raises(ValidationError, match="county code"):
        Principal(id="c", role=Role.COUNTY_ADMIN, jurisdiction=CITY)
    with pytest.raises(ValidationError):
        Principal(id="c", role=Role.AUDITOR, jurisdiction="340000")
    with pytest.raises(ValidationError):
        Principal(id="c", role=Role.AUDITOR, jurisdiction="3411")
    with pytest.raises(ValidationError):
        Principal(id="", role=Role.AUDITOR, jurisdiction=CITY)
    with pytest.raises(ValidationError):
        Principal(id="x", role="superuser", jurisdiction=CITY)
    p = Principal(id="x", role="department", jurisdiction=CITY, department="audit")
    assert p.role is Role.DEPARTMENT
    assert p.department is Department.AUDIT


def test_principal_is_frozen_and_gives_an_actor() -> None:
    p = principal(Role.COUNTY_ADMIN, COUNTY)
    with pytest.raises(ValidationError):
        p.role = Role.CITY_ADMIN  # type: ignore[misc]
    assert p.actor().principal_id == p.id
    assert p.actor().role == "county_admin"
    assert p.city == CITY
    assert p.role_label_zh == "县区委巡察办"


def test_custodian_is_bound_like_the_offices() -> None:
    city = Principal(id="k", role="informant_custodian", jurisdiction=CITY)
    county = Principal(id="k", role=Role.CUSTODIAN, jurisdiction=COUNTY)
    assert city.role is Role.CUSTODIAN
    assert city.is_city_wide
    assert city.jurisdiction_like() == "3610__"
    assert not county.is_city_wide
    assert county.jurisdiction_like() == COUNTY
    # not read-only: it appends the read event of each identity it reads
    assert city.can_write
    assert city.actor().role == "informant_custodian"
    assert city.role_label_zh == "举报人信息保管员"


def test_auditor_is_read_only() -> None:
    for role in Role:
        p = principal(role, COUNTY if role is Role.COUNTY_ADMIN else CITY)
        if role is Role.AUDITOR:
            assert not p.can_write
            with pytest.raises(ProblemError) as info:
                require_write(p)
            assert info.value.status == 403
        else:
            assert p.can_write
            require_write(p)


def test_ensure_roles() -> None:
    p = principal(Role.GROUP_MEMBER, COUNTY)
    ensure_roles(p, Role.GROUP_MEMBER, Role.COUNTY_ADMIN)
    with pytest.raises(ProblemError) as info:
        ensure_roles(p, Role.CITY_ADMIN)
    assert info.value.status == 403
    assert "city_admin" in info.value.detail


def test_demo_principals_cover_every_role() -> None:
    principals = demo_principals()
    assert set(principals) == set(Role)
    assert principals[Role.INSPECTED_UNIT].unit_id is not None
    assert principals[Role.CITY_ADMIN].jurisdiction == CITY
    assert principals[Role.COUNTY_ADMIN].jurisdiction == COUNTY
    assert principals[Role.GROUP_MEMBER].jurisdiction == COUNTY
    assert principals[Role.GROUP_MEMBER].group_id is None
    group = uuid.uuid4()  # ``xuncha tokens demo`` binds the member to the county's demo group
    assert demo_principals(group_id=group)[Role.GROUP_MEMBER].group_id == group
    assert principals[Role.DEPARTMENT].department is Department.DISCIPLINE
    assert principals[Role.DEPARTMENT].jurisdiction == CITY
    assert principals[Role.AUDITOR].jurisdiction == CITY
    assert principals[Role.CUSTODIAN].jurisdiction == CITY
    assert principals[Role.CUSTODIAN].role is Role.CUSTODIAN
    assert principals[Role.CUSTODIAN].department is None


# --- tokens -------------------------------------------------------------------------------------


def test_tokens_are_random_and_hashed_with_sha256() -> None:
    tokens = {generate_token() for _ in range(200)}
    assert len(tokens) == 200
    for token in tokens:
        assert token.startswith("xc_")
        assert len(token) == 46
        assert looks_like_token(token)
        digest = hash_token(token)
        assert digest == hashlib.sha256(token.encode()).hexdigest()
        assert len(digest) == 64
        assert digest == digest.lower()
        assert token not in digest
    # a known vector: the hash is plain SHA-256 hex, recomputable with any tool
    assert hash_token("xc_test") == hashlib.sha256(b"xc_test").hexdigest()


def test_looks_like_token_rejects_other_shapes() -> None:
    for value in ("", "xc_", "xc_short", "Bearer xc_abc", "yc_" + "a" * 43, "xc_" + "a" * 44):
        assert not looks_like_token(value)
    assert not looks_like_token("xc_" + "a" * 42 + "!")


def test_token_hash_prefix() -> None:
    token = generate_token()
    assert token_hash_prefix(token) == hash_token(token)
    assert token_hash_prefix(" ABCDEF0123 ") == "abcdef0123"
    for bad in ("abc", "ghijklmnop", "a" * 65, ""):
        with pytest.raises(ValueError, match="hex digits"):
            token_hash_prefix(bad)


async def test_token_authenticator_does_not_query_for_malformed_tokens() -> None:
    # TokenStore.resolve returns before touching the (here missing) pool
    authenticator = TokenAuthenticator(TokenStore(pool=None))
    assert await authenticator.authenticate("not-a-token") is None
    assert await authenticator.authenticate("xc_" + "a" * 43 + "; DROP TABLE") is None


def test_authenticator_from_settings() -> None:
    assert isinstance(
        authenticator_from_settings(None, Settings(auth_mode="token")), TokenAuthenticator
    )
    oidc = authenticator_from_settings(
        None,
        Settings(
            auth_mode="oidc",
            oidc_jwks_url="https://idp.example/jwks",
            oidc_issuer="https://idp.example",
            oidc_audience="xuncha",
        ),
    )
    assert isinstance(oidc, OidcAuthenticator)
    with pytest.raises(ValueError, match="XUNCHA_OIDC_JWKS_URL"):
        authenticator_from_settings(None, Settings(auth_mode="oidc"))
    with pytest.raises(ValueError, match="token or oidc"):
        authenticator_from_settings(None, Settings(auth_mode="ldap"))


# --- OIDC ---------------------------------------------------------------------------------------

ISSUER = "https://idp.example/realms/xuncha"
AUDIENCE = "xuncha-api"


@dataclass
class Idp:
    """A local identity provider: signing keys and a JWKS endpoint on 127.0.0.1."""

    jwks_url: str
    rsa_key: rsa.RSAPrivateKey
    ec_key: ec.EllipticCurvePrivateKey
    requests: list[str] = field(default_factory=list)

    def token(
        self,
        alg: str = "RS256",
        *,
        kid: str | None = None,
        key: Any = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": "user-42",
            "iat": now,
            "exp": now + 300,
            "xuncha_role": "county_admin",
            "xuncha_jurisdiction": COUNTY,
        }
        for name, value in overrides.items():
            if value is None:
                claims.pop(name, None)
            else:
                claims[name] = value
        if key is None:
            key = self.rsa_key if alg == "RS256" else self.ec_key
        kid = kid or ("rsa-1" if alg == "RS256" else "ec-1")
        return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


@pytest.fixture(scope="module")
def idp() -> Iterator[Idp]:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    rsa_jwk = RSAAlgorithm.to_jwk(rsa_key.public_key(), as_dict=True)
    ec_jwk = ECAlgorithm.to_jwk(ec_key.public_key(), as_dict=True)
    rsa_jwk.update(kid="rsa-1", use="sig", alg="RS256")
    ec_jwk.update(kid="ec-1", use="sig", alg="ES256")
    body = json.dumps({"keys": [rsa_jwk, ec_jwk]}).encode()
    requests: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the request log would only clutter the test output."""

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        yield Idp(f"http://127.0.0.1:{port}/jwks", rsa_key, ec_key, requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def verifier(idp: Idp) -> OidcVerifier:
    return OidcVerifier(idp.jwks_url, ISSUER, AUDIENCE)


@pytest.mark.parametrize("alg", ["RS256", "ES256"])
def test_oidc_maps_claims_to_a_principal(idp: Idp, verifier: OidcVerifier, alg: str) -> None:
    p = verifier.verify(idp.token(alg))
    assert p == Principal(id="user-42", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY)
    dept = verifier.verify(
        idp.token(
            alg,
            xuncha_role="department",
            xuncha_jurisdiction=CITY,
            xuncha_department="organisation",
        )
    )
    assert dept.department is Department.ORGANISATION


def test_oidc_caches_the_key_set(idp: Idp, verifier: OidcVerifier) -> None:
    before = len(idp.requests)
    for _ in range(5):
        verifier.verify(idp.token("RS256"))
        verifier.verify(idp.token("ES256"))
    assert len(idp.requests) - before == 1


def test_oidc_rejects_bad_tokens(idp: Idp, verifier: OidcVerifier) -> None:
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    bad = {
        "wrong issuer": idp.token(iss="https://evil.example"),
        "wrong audience": idp.token(aud="someone-else"),
        "expired": idp.token(exp=now - 3600, iat=now - 7200),
        "no exp": idp.token(exp=None),
        "no sub": idp.token(sub=None),
        "no role": idp.token(xuncha_role=None),
        "no jurisdiction": idp.token(xuncha_jurisdiction=None),
        "unknown role": idp.token(xuncha_role="root"),
        "bad jurisdiction": idp.token(xuncha_jurisdiction="34"),
        "department without department": idp.token(
            xuncha_role="department", xuncha_jurisdiction=CITY
        ),
        "forged signature": idp.token(key=other_rsa),
        "hs256 with public key id": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60},
            "secret-secret-secret-secret-secret!",
            algorithm="HS256",
            headers={"kid": "rsa-1"},
        ),
        "alg none": jwt.encode(
            {"iss": ISSUER, "aud": AUDIENCE, "sub": "x", "exp": now + 60},
            "",
            algorithm="none",
        ),
        "garbage": "a.b.c",
    }
    accepted = []
    for why, token in bad.items():
        try:
            verifier.verify(token)
        except InvalidCredentials:
            continue
        accepted.append(why)
    assert accepted == []


def test_principal_from_claims_names_the_missing_claim() -> None:
    with pytest.raises(InvalidCredentials, match="xuncha_role"):
        principal_from_claims({"sub": "a", "xuncha_jurisdiction": CITY})


def test_oidc_verifier_refuses_symmetric_algorithms() -> None:
    with pytest.raises(ValueError, match="unsupported"):
        OidcVerifier("https://idp.example/jwks", ISSUER, AUDIENCE, algorithms=["HS256"])


async def test_oidc_authenticator(idp: Idp, verifier: OidcVerifier) -> None:
    authenticator = OidcAuthenticator(verifier)
    assert await authenticator.authenticate(idp.token("ES256")) is not None
    assert await authenticator.authenticate(idp.token(aud="other")) is None
    assert await authenticator.authenticate("xc_" + "a" * 43) is None


async def test_oidc_key_set_unreachable_is_503(idp: Idp) -> None:
    port = free_port()  # nothing listens there
    verifier = OidcVerifier(f"http://127.0.0.1:{port}/jwks", ISSUER, AUDIENCE, timeout=2)
    with pytest.raises(ProblemError) as info:
        verifier.verify(idp.token())
    assert info.value.status == 503


# --- FastAPI dependencies -----------------------------------------------------------------------


class DictAuthenticator:
    def __init__(self, principals: dict[str, Principal]) -> None:
        self.principals = principals

    async def authenticate(self, bearer: str) -> Principal | None:
        return self.principals.get(bearer)


def build_app(auth: AuthDependencies) -> FastAPI:
    app = FastAPI()

    @app.exception_handler(ProblemError)
    async def problem(request: Request, exc: ProblemError) -> JSONResponse:
        return JSONResponse(
            exc.to_problem(instance=request.url.path),
            status_code=exc.status,
            headers=exc.headers,
            media_type="application/problem+json",
        )

    @app.get("/cases/{jurisdiction}")
    async def read(
        jurisdiction: str, p: Principal = Depends(auth.current_principal)
    ) -> dict[str, str]:
        ensure_jurisdiction(p, jurisdiction)
        return {"principal": p.id, "jurisdiction": jurisdiction}

    @app.post("/cases/{jurisdiction}")
    async def write(jurisdiction: str, p: Principal = Depends(auth.writer)) -> dict[str, str]:
        ensure_jurisdiction(p, jurisdiction)
        return {"written_by": p.id}

    @app.post("/escalations")
    async def escalate(
        p: Principal = Depends(auth.require_roles(Role.CITY_ADMIN, Role.COUNTY_ADMIN, write=True)),
    ) -> dict[str, str]:
        return {"by": p.id}

    @app.get("/whoami")
    async def whoami(
        request: Request, p: Principal = Depends(auth.current_principal)
    ) -> dict[str, str]:
        assert request.state.principal == p
        return {"id": p.id}

    return app


@pytest.fixture
def api() -> httpx.AsyncClient:
    principals = {f"tok-{role.value}": p for role, p in demo_principals().items()}
    app = build_app(make_auth_dependencies(DictAuthenticator(principals)))
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def bearer(role: Role) -> dict[str, str]:
    return {"Authorization": f"Bearer tok-{role.value}"}


async def test_missing_token_is_401_problem(api: httpx.AsyncClient) -> None:
    async with api:
        response = await api.get(f"/cases/{COUNTY}")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["type"].endswith("/unauthorized")


async def test_bad_token_is_401_invalid_token(api: httpx.AsyncClient) -> None:
    async with api:
        wrong = await api.get(f"/cases/{COUNTY}", headers={"Authorization": "Bearer nope"})
        basic = await api.get(f"/cases/{COUNTY}", headers={"Authorization": "Basic YTpi"})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong.headers["www-authenticate"]
    assert basic.status_code == 401


async def test_roles_and_jurisdictions_over_http(api: httpx.AsyncClient) -> None:
    async with api:
        own = await api.get(f"/cases/{COUNTY}", headers=bearer(Role.COUNTY_ADMIN))
        other = await api.get(f"/cases/{OTHER_COUNTY}", headers=bearer(Role.COUNTY_ADMIN))
        city = await api.get(f"/cases/{OTHER_COUNTY}", headers=bearer(Role.CITY_ADMIN))
        audit_read = await api.get(f"/cases/{OTHER_COUNTY}", headers=bearer(Role.AUDITOR))
        audit_write = await api.post(f"/cases/{CITY}", headers=bearer(Role.AUDITOR))
        city_write = await api.post(f"/cases/{COUNTY}", headers=bearer(Role.CITY_ADMIN))
        group_escalates = await api.post("/escalations", headers=bearer(Role.GROUP_MEMBER))
        county_escalates = await api.post("/escalations", headers=bearer(Role.COUNTY_ADMIN))
        whoami = await api.get("/whoami", headers=bearer(Role.DEPARTMENT))
        custodian_escalates = await api.post("/escalations", headers=bearer(Role.CUSTODIAN))
    assert own.status_code == 200
    assert other.status_code == 403
    assert other.json()["type"].endswith("/forbidden")
    assert city.status_code == 200
    assert audit_read.status_code == 200
    assert audit_write.status_code == 403
    assert "read-only" in audit_write.json()["detail"]
    assert city_write.status_code == 200
    assert group_escalates.status_code == 403
    assert county_escalates.status_code == 200
    assert custodian_escalates.status_code == 403
    assert "informant_custodian" in custodian_escalates.json()["detail"]
    assert whoami.json() == {"id": "demo-discipline-commission"}


# --- CLI input validation (never reaches a database) -------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "--role", "root", "--jurisdiction", CITY], "unknown role"),
        (["create", "--role", "city_admin", "--jurisdiction", "3411"], "malformed jurisdiction"),
        (["create", "--role", "city_admin", "--jurisdiction", "340000"], "malformed jurisdiction"),
        (["create", "--role", "city_admin", "--jurisdiction", COUNTY], "city code"),
        (["create", "--role", "county_admin", "--jurisdiction", CITY], "county code"),
        (
            ["create", "--role", "informant_custodian", "--jurisdiction", CITY, "-d", "audit"],
            "only for role department",
        ),
        (["create", "--role", "informant_custodian", "--jurisdiction", "3610"], "malformed"),
        (["create", "--role", "department", "--jurisdiction", CITY], "needs --department"),
        (
            ["create", "--role", "department", "--jurisdiction", CITY, "--department", "police"],
            "unknown department",
        ),
        (
            ["create", "--role", "auditor", "--jurisdiction", CITY, "--department", "audit"],
            "only for role department",
        ),
        (
            ["create", "--role", "auditor", "--jurisdiction", CITY, "--service", "billing"],
            "unknown service",
        ),
        (["demo", "--city", COUNTY], "city code"),
        (["demo", "--county", OTHER_CITY_COUNTY], "county code of city"),
        (["revoke", "xyz"], "hex digits"),
    ],
)
def test_cli_bad_input_exits_2_without_traceback(args: list[str], message: str) -> None:
    result = CliRunner().invoke(tokens_app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_offers_the_custodian_role() -> None:
    result = CliRunner().invoke(tokens_app, ["create", "--role", "root", "--jurisdiction", CITY])
    assert result.exit_code == 2
    assert "informant_custodian" in " ".join(result.output.split())


def test_an_inspected_unit_is_bound_to_one_unit() -> None:
    with pytest.raises(ValueError, match="needs a unit"):
        Principal(id="u", role=Role.INSPECTED_UNIT, jurisdiction=COUNTY)
    with pytest.raises(ValueError, match="only an inspected_unit"):
        Principal(id="u", role=Role.COUNTY_ADMIN, jurisdiction=COUNTY, unit_id=UNIT)
    unit = principal(Role.INSPECTED_UNIT, COUNTY)
    assert unit.sees_unit(UNIT)
    assert not unit.sees_unit(uuid.uuid4())
    assert not unit.is_city_wide
    assert unit.jurisdiction_like() == COUNTY
    assert principal(Role.COUNTY_ADMIN, COUNTY).sees_unit(uuid.uuid4())
