"""Hashed bearer tokens on the real PostgreSQL: create, resolve, revoke, one token in several
databases, the CLI, and the FastAPI dependencies over a real token store."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from xuncha_shared.auth.authenticators import TokenAuthenticator
from xuncha_shared.auth.demo import create_demo_tokens
from xuncha_shared.auth.tokens import (
    AmbiguousTokenPrefix,
    TokenStore,
    UnknownToken,
    hash_token,
    rotate_token_in,
)
from xuncha_shared.cli.demo.rounds_data import (
    COUNTY_UNITS,
    PLANNED,
    demo_county_group_id,
    demo_unit_id,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.db import create_pool
from xuncha_shared.domain.jurisdictions import COUNTIES
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.http.dependencies import ensure_jurisdiction, make_auth_dependencies
from xuncha_shared.http.problems import ProblemError

from tests.infra import FreshDb, Infra

pytestmark = pytest.mark.integration

CITY_ADMIN = Principal(id="city-1", role=Role.CITY_ADMIN, jurisdiction="361000")
COUNTY_ADMIN = Principal(id="county-1", role=Role.COUNTY_ADMIN, jurisdiction="361002")
DISCIPLINE = Principal(
    id="jw-1", role=Role.DEPARTMENT, jurisdiction="361000", department=Department.DISCIPLINE
)

CLI = "from xuncha_shared.cli.tokens import app; app()"


@pytest.fixture
async def store(fresh_db: FreshDb) -> TokenStore:
    tokens = TokenStore(fresh_db.pool)
    await tokens.ensure_schema()
    await tokens.ensure_schema()  # idempotent
    return tokens


async def test_create_resolve_revoke(store: TokenStore) -> None:
    token = await store.create(COUNTY_ADMIN, "张科长")
    other = await store.create(DISCIPLINE)
    assert token.startswith("xc_")
    assert await store.resolve(token) == COUNTY_ADMIN
    assert await store.resolve(other) == DISCIPLINE
    assert await store.resolve(token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert await store.resolve("xc_" + "0" * 43) is None

    assert await store.revoke(token) == 1
    assert await store.resolve(token) is None
    assert await store.revoke(token) == 0  # already revoked
    assert await store.resolve(other) == DISCIPLINE

    infos = await store.list_tokens()
    assert [i.principal for i in infos] == [DISCIPLINE]
    everything = await store.list_tokens(include_revoked=True)
    assert {i.label for i in everything} == {"张科长", ""}
    assert sum(i.revoked_at is not None for i in everything) == 1


async def test_revoke_by_hash_prefix(store: TokenStore) -> None:
    token = await store.create(CITY_ADMIN)
    assert await store.revoke(hash_token(token)[:12].upper()) == 1
    assert await store.resolve(token) is None
    assert await store.revoke("0123456789abcdef") == 0

    # two hashes sharing a prefix: a short prefix is refused, a longer one works
    await store.add_hash("abcdef01" + "0" * 56, CITY_ADMIN)
    await store.add_hash("abcdef01" + "1" * 56, CITY_ADMIN)
    with pytest.raises(AmbiguousTokenPrefix):
        await store.revoke("abcdef01")
    assert await store.revoke("abcdef011") == 1
    with pytest.raises(ValueError, match="hex digits"):
        await store.revoke("abc")


async def test_only_hashes_are_stored(fresh_db: FreshDb, store: TokenStore) -> None:
    tokens = [await store.create(p, "label") for p in (CITY_ADMIN, COUNTY_ADMIN, DISCIPLINE)]
    rows = await fresh_db.pool.fetch("SELECT t::text AS raw, token_hash FROM auth_tokens t")
    dump = "\n".join(r["raw"] for r in rows)
    for token in tokens:
        assert token not in dump
        assert token.removeprefix("xc_") not in dump
        assert token[3:20] not in dump  # not even a part of the secret
        assert hash_token(token) in {r["token_hash"] for r in rows}
    # nothing else in the database holds them either
    whole = await fresh_db.pool.fetchval("SELECT string_agg(t::text, '') FROM auth_tokens t")
    assert all(token[3:] not in whole for token in tokens)


async def test_demo_tokens_are_valid_in_every_database(fresh_db: FreshDb) -> None:
    # a second "service database": another schema, reached by URL (search_path)
    await fresh_db.pool.execute("CREATE SCHEMA svc2")
    second_url = f"{fresh_db.url}?search_path=svc2"
    tokens = await create_demo_tokens([fresh_db.pool, second_url])
    assert set(tokens) == {r.value for r in Role}

    second = await create_pool(second_url)
    try:
        assert await second.fetchval("SELECT count(*) FROM svc2.auth_tokens") == len(Role)
        for pool in (fresh_db.pool, second):
            resolver = TokenStore(pool)
            for role, token in tokens.items():
                p = await resolver.resolve(token)
                assert p is not None
                assert p.role.value == role
        dept = await TokenStore(second).resolve(tokens["department"])
        assert dept is not None
        assert dept.department is Department.DISCIPLINE
        assert dept.jurisdiction == "361000"
        county = await TokenStore(second).resolve(tokens["county_admin"])
        assert county is not None
        assert county.jurisdiction == "361002"
    finally:
        await second.close()


async def test_tokens_expire(store: TokenStore, fresh_db: FreshDb) -> None:
    token = await store.create(COUNTY_ADMIN, "90 天")
    [info] = await store.list_tokens()
    assert info.expires_at is not None
    days = (info.expires_at - info.created_at).total_seconds() / 86400
    assert 89.99 < days < 90.01  # the default lifetime
    assert await store.resolve(token) == COUNTY_ADMIN
    expired = await store.create(COUNTY_ADMIN, expires_at=datetime.now(UTC) - timedelta(seconds=1))
    assert await store.resolve(expired) is None
    never = await store.create(COUNTY_ADMIN, expires_at=None)
    assert await store.resolve(never) == COUNTY_ADMIN
    # a row of before expiry existed (no expires_at) keeps working
    legacy = "xc_" + "L" * 43
    await fresh_db.pool.execute(
        "INSERT INTO auth_tokens (token_hash, principal_id, role, jurisdiction) "
        "VALUES ($1, 'old', 'county_admin', '361002')",
        hash_token(legacy),
    )
    assert await store.resolve(legacy) is not None


async def test_the_schema_change_keeps_existing_tokens(fresh_db: FreshDb) -> None:
    # the table as it was before expiry and last use existed
    await fresh_db.pool.execute(
        """
        CREATE TABLE auth_tokens (
            token_hash char(64) PRIMARY KEY, principal_id text NOT NULL, role text NOT NULL,
            jurisdiction char(6) NOT NULL, department text NULL, label text NOT NULL DEFAULT '',
            created_at timestamptz NOT NULL DEFAULT now(), revoked_at timestamptz NULL)
        """
    )
    old = "xc_" + "O" * 43
    await fresh_db.pool.execute(
        "INSERT INTO auth_tokens (token_hash, principal_id, role, jurisdiction) "
        "VALUES ($1, 'old', 'county_admin', '361002')",
        hash_token(old),
    )
    store = TokenStore(fresh_db.pool)
    await store.ensure_schema()
    await store.ensure_schema()  # idempotent
    assert await store.resolve(old) == Principal(
        id="old", role=Role.COUNTY_ADMIN, jurisdiction="361002"
    )
    [info] = await store.list_tokens()
    assert info.expires_at is None and info.last_used_at is not None


async def test_last_use_is_recorded_at_most_once_a_minute(
    store: TokenStore, fresh_db: FreshDb
) -> None:
    token = await store.create(COUNTY_ADMIN)
    [info] = await store.list_tokens()
    assert info.last_used_at is None
    assert await store.resolve(token) == COUNTY_ADMIN
    [info] = await store.list_tokens()
    first = info.last_used_at
    assert first is not None
    await fresh_db.pool.execute("UPDATE auth_tokens SET last_used_at = now() - interval '1 hour'")
    assert await store.resolve(token) == COUNTY_ADMIN  # within the minute: not written again
    [info] = await store.list_tokens()
    assert first - info.last_used_at >= timedelta(minutes=59)
    fresh = TokenStore(fresh_db.pool)  # another process
    assert await fresh.resolve(token) == COUNTY_ADMIN
    [info] = await store.list_tokens()
    assert info.last_used_at is not None and info.last_used_at >= first


async def test_rotate_issues_a_new_token_and_revokes_the_old(
    store: TokenStore, fresh_db: FreshDb
) -> None:
    old = await store.create(DISCIPLINE, "纪委 李")
    new, holder = await rotate_token_in([fresh_db.pool], hash_token(old)[:12])
    assert holder == DISCIPLINE
    assert new != old
    assert await store.resolve(old) is None
    assert await store.resolve(new) == DISCIPLINE
    infos = await store.list_tokens()
    assert [(i.principal, i.label) for i in infos] == [(DISCIPLINE, "纪委 李")]
    with pytest.raises(UnknownToken):
        await rotate_token_in([fresh_db.pool], old)


# --- the CLI, across the four service databases of this test session --------------------------


async def _cli(infra: Infra, *args: str) -> tuple[int, str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
    env.update(XUNCHA_PG_ADMIN_URL=infra.pg_admin_url, XUNCHA_DB_NAME_PREFIX=infra.db_prefix)
    env["COLUMNS"] = "250"  # tables unwrapped
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        CLI,
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 120)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


@pytest.fixture
async def service_pools(infra: Infra) -> AsyncIterator[dict[str, asyncpg.Pool]]:
    """Each service database as its own (non-superuser) role, as the services connect."""
    pools = {svc: await create_pool(infra.database_url(svc)) for svc in infra.services}
    try:
        yield pools
    finally:
        for pool in pools.values():
            await pool.close()


async def test_cli_demo_writes_tokens_valid_in_every_service(
    infra: Infra, service_pools: dict[str, asyncpg.Pool], tmp_path: Path
) -> None:
    out = tmp_path / "state" / "demo-tokens.json"
    code, stdout, stderr = await _cli(infra, "demo", "--out", str(out))
    assert code == 0, stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    tokens = json.loads(out.read_text())
    assert set(tokens) == {r.value for r in Role}
    assert not any(t in stdout + stderr for t in tokens.values())
    # the services' own roles can read the table the CLI (as superuser) may have created
    for pool in service_pools.values():
        for role, token in tokens.items():
            p = await TokenStore(pool).resolve(token)
            assert p is not None
            assert p.role.value == role
    # the group member works in the county's demo group (its 了解情况, its units)
    member = await TokenStore(service_pools["intake"]).resolve(tokens["group_member"])
    assert member is not None
    assert member.group_id == demo_county_group_id("361002")
    # beside it, the office of each other county of the city (the demo load writes as them)
    offices_file = out.parent / "demo-office-tokens.json"
    assert stat.S_IMODE(offices_file.stat().st_mode) == 0o600
    offices = json.loads(offices_file.read_text())
    assert set(offices) == {c.code for c in COUNTIES} - {"361002"}
    assert not any(t in stdout + stderr for t in offices.values())
    for pool in service_pools.values():
        for code, token in offices.items():
            office = await TokenStore(pool).resolve(token)
            assert office is not None
            assert (office.role, office.jurisdiction) == (Role.COUNTY_ADMIN, code)
    # and each city unit of the demo term and each unit of the demo county, bound to its unit
    # (it submits its plan and reports on its own issues)
    units = json.loads((out.parent / "demo-unit-tokens.json").read_text())
    county_units = {str(demo_unit_id(f"临川区{u}", "361002")) for u in COUNTY_UNITS}
    assert set(units) == {str(demo_unit_id(name)) for name in PLANNED} | county_units
    for unit_id, area in ((next(iter(units)), "361000"), (min(county_units), "361002")):
        unit = await TokenStore(service_pools["rectification"]).resolve(units[unit_id])
        assert unit is not None
        assert (unit.role, unit.jurisdiction, str(unit.unit_id)) == (
            Role.INSPECTED_UNIT,
            area,
            unit_id,
        )


async def test_cli_create_and_revoke(infra: Infra, service_pools: dict[str, asyncpg.Pool]) -> None:
    code, stdout, stderr = await _cli(
        infra,
        "create",
        "--role",
        "department",
        "--jurisdiction",
        "361000",
        "--department",
        "petitions",
        "--label",
        "信访局 王",
        "--service",
        "intake",
        "--service",
        "clues",
    )
    assert code == 0, stderr
    token = stdout.strip()
    assert token.startswith("xc_")
    assert len(token) == 46
    for svc, pool in service_pools.items():
        p = await TokenStore(pool).resolve(token)
        if svc in ("intake", "clues"):
            assert p == Principal(
                id="department-361000-petitions",
                role=Role.DEPARTMENT,
                jurisdiction="361000",
                department=Department.PETITIONS,
            )
        else:
            assert p is None

    code, listed, stderr = await _cli(infra, "list", "--service", "intake")
    assert code == 0, stderr
    assert "expires" in listed and "last used" in listed
    code, rotated, stderr = await _cli(infra, "rotate", hash_token(token)[:16])
    assert code == 0, stderr
    new_token = rotated.strip()
    assert new_token.startswith("xc_") and new_token != token
    assert await TokenStore(service_pools["intake"]).resolve(token) is None
    assert await TokenStore(service_pools["intake"]).resolve(new_token) is not None
    token = new_token
    code, _, stderr = await _cli(infra, "revoke", hash_token(token)[:16])
    assert code == 0, stderr
    for pool in service_pools.values():
        assert await TokenStore(pool).resolve(token) is None
    code, _, stderr = await _cli(infra, "revoke", token)
    assert code == 1
    assert "no active token" in stderr


# --- the FastAPI dependencies over a real token store ------------------------------------------


def build_app(store: TokenStore) -> FastAPI:
    auth = make_auth_dependencies(TokenAuthenticator(store))
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
        return {"jurisdiction": jurisdiction}

    @app.post("/cases/{jurisdiction}")
    async def write(jurisdiction: str, p: Principal = Depends(auth.writer)) -> dict[str, str]:
        ensure_jurisdiction(p, jurisdiction)
        return {"by": p.id}

    return app


async def test_http_dependencies_with_real_tokens(store: TokenStore) -> None:
    city = await store.create(CITY_ADMIN)
    county = await store.create(COUNTY_ADMIN)
    auditor = await store.create(Principal(id="a", role=Role.AUDITOR, jurisdiction="361000"))
    revoked = await store.create(CITY_ADMIN)
    await store.revoke(revoked)

    def h(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    transport = httpx.ASGITransport(app=build_app(store))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        none = await client.get("/cases/361002")
        bad = await client.get("/cases/361002", headers=h("xc_" + "x" * 43))
        gone = await client.get("/cases/361002", headers=h(revoked))
        county_other = await client.get("/cases/361003", headers=h(county))
        county_own = await client.get("/cases/361002", headers=h(county))
        audit_write = await client.post("/cases/361000", headers=h(auditor))
        audit_read = await client.get("/cases/361003", headers=h(auditor))
        city_read = await client.get("/cases/361003", headers=h(city))
        city_write = await client.post("/cases/361002", headers=h(city))

    for response in (none, bad, gone):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert response.json()["status"] == 401
    assert county_other.status_code == 403
    assert county_other.json()["type"] == "https://xuncha.example/problems/forbidden"
    assert county_own.status_code == 200
    assert audit_write.status_code == 403
    assert audit_read.status_code == 200
    assert city_read.status_code == 200
    assert city_write.status_code == 200
    assert city_write.json() == {"by": "city-1"}


async def test_cli_creates_an_inspected_unit_token_bound_to_its_unit(
    infra: Infra, service_pools: dict[str, asyncpg.Pool]
) -> None:
    """``xuncha tokens create --role inspected_unit --unit ID``: the unit's jurisdiction comes
    from intake's units; an unknown unit is refused."""
    intake = service_pools["intake"]
    unit_id = uuid.uuid4()
    await intake.execute(
        "CREATE TABLE IF NOT EXISTS unit_view (unit_id uuid PRIMARY KEY, jurisdiction char(6) "
        "NOT NULL, name text NOT NULL, kind text NOT NULL, version bigint NOT NULL)"
    )
    await intake.execute(
        "INSERT INTO unit_view (unit_id, jurisdiction, name, kind, version) "
        "VALUES ($1, '361002', $2, 'county_department', 1)",
        unit_id,
        f"临川区测试局{unit_id.hex[:6]}",
    )
    try:
        code, stdout, stderr = await _cli(
            infra, "create", "--role", "inspected_unit", "--unit", str(unit_id)
        )
        assert code == 0, stderr
        principal = await TokenStore(service_pools["rectification"]).resolve(stdout.strip())
        assert principal is not None
        assert principal.role is Role.INSPECTED_UNIT
        assert (principal.unit_id, principal.jurisdiction) == (unit_id, "361002")
        code, _, stderr = await _cli(
            infra, "create", "--role", "inspected_unit", "--unit", str(uuid.uuid4())
        )
        assert code != 0 and "unknown unit" in stderr
        code, _, stderr = await _cli(infra, "create", "--role", "inspected_unit", "-j", "361002")
        assert code != 0 and "--unit" in stderr
    finally:
        await intake.execute("DELETE FROM unit_view WHERE unit_id = $1", unit_id)
