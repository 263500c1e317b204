"""Secrets of the local deployment and production mode, against the real PostgreSQL
(docs/security.md): generated passwords and SCRAM for every role, the auditor's explicit grants,
the informants' KEK (generated, rotated) and a production start refused on development secrets.
"""

from __future__ import annotations

import base64
import os
import shutil
import stat
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from xuncha_shared import provision, secrets
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.crypto import (
    DEV_KEK,
    InformantVault,
    TamperedDataError,
    UnknownKekError,
    kek_id,
    load_kek,
    parse_kek,
    unwrap_key,
)
from xuncha_shared.domain.personal_data import InformantIdentity
from xuncha_shared.envelope import Actor
from xuncha_shared.eventstore import ANY_VERSION, NewEvent, PostgresEventStore
from xuncha_shared.settings import AUDITOR_ROLE, Settings, database_url_for, role_url

from tests.infra import REPO_ROOT, Infra

pytestmark = pytest.mark.timeout(180)

REPORTER = InformantIdentity(name="欧阳春花", phone="13979412345")


@pytest.fixture
def local(infra: Infra) -> Path:
    if not infra.secrets_dir:
        pytest.skip("only the local deployment generates secrets")
    return Path(infra.secrets_dir)


@pytest.fixture
async def intake_db(infra: Infra) -> Any:
    prefix = f"{infra.db_prefix}sec{uuid.uuid4().hex[:6]}_"
    dbs = await provision.create_service_databases(infra.pg_admin_url, prefix, ["intake"])
    try:
        yield prefix, dbs["intake"]
    finally:
        await provision.drop_prefixed_databases(infra.pg_admin_url, prefix)


# ---- PostgreSQL ----------------------------------------------------------------------------


async def test_no_role_has_its_name_as_password(infra: Infra) -> None:
    for service in infra.services:
        role = f"{infra.db_prefix}{service}"
        with pytest.raises(asyncpg.InvalidPasswordError):
            await asyncpg.connect(role_url(infra.pg_admin_url, role, role, role))
        assert (
            provision.service_database(infra.pg_admin_url, service, infra.db_prefix).password
            != role
        )
    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(
            role_url(infra.pg_admin_url, AUDITOR_ROLE, AUDITOR_ROLE, f"{infra.db_prefix}intake")
        )


async def test_tcp_needs_a_password_even_for_the_superuser(infra: Infra, local: Path) -> None:
    without = role_url(infra.pg_admin_url, "postgres", "", "postgres").replace(":@", "@")
    with pytest.raises((asyncpg.InvalidPasswordError, asyncpg.ClientCannotConnectError)):
        await asyncpg.connect(without)
    admin = await asyncpg.connect(infra.pg_admin_url)
    try:
        methods = {
            r["auth_method"]
            for r in await admin.fetch(
                "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host'"
            )
        }
        assert methods == {"scram-sha-256"}
    finally:
        await admin.close()


def test_the_deployment_s_passwords_are_generated_secrets(local: Path) -> None:
    assert stat.S_IMODE(local.stat().st_mode) == 0o700
    for role in secrets.PG_ROLES:
        path = local / secrets.pg_file(role)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        value = path.read_text().strip()
        assert len(value) >= 32 and value != role


async def test_the_auditor_gets_no_table_created_later(infra: Infra, intake_db: Any) -> None:
    prefix, db = intake_db
    service = await asyncpg.connect(db.url)
    try:
        await service.execute("CREATE TABLE later_sensitive (x int)")
    finally:
        await service.close()
    admin = await asyncpg.connect(database_url_for(infra.pg_admin_url, db.database))
    try:
        defaults = await admin.fetchval(
            "SELECT count(*) FROM pg_default_acl WHERE defaclacl::text LIKE $1",
            f"%{AUDITOR_ROLE}%",
        )
        assert defaults == 0  # no ALTER DEFAULT PRIVILEGES for the auditor
        readable = await admin.fetchval(
            "SELECT has_table_privilege($1, 'later_sensitive', 'SELECT')", AUDITOR_ROLE
        )
        assert readable is False
        for table in provision.AUDITED_TABLES:  # what the audit reads: granted explicitly
            if table == "restore_records" and not await admin.fetchval(
                "SELECT to_regclass('public.restore_records') IS NOT NULL"
            ):
                continue  # made by `xuncha backup restore` only
            assert await admin.fetchval(
                "SELECT has_table_privilege($1, $2, 'SELECT')", AUDITOR_ROLE, table
            )
    finally:
        await admin.close()
    await provision.create_service_databases(infra.pg_admin_url, prefix, ["intake"])  # again
    admin = await asyncpg.connect(database_url_for(infra.pg_admin_url, db.database))
    try:
        assert not await admin.fetchval(
            "SELECT has_table_privilege($1, 'later_sensitive', 'SELECT')", AUDITOR_ROLE
        )
    finally:
        await admin.close()


# ---- the informants' KEK -------------------------------------------------------------------


async def test_sealed_data_read_as_intake_does_not_open_with_the_source_s_key(
    intake_db: Any, local: Path
) -> None:
    """The attack of the issue: read a wrapped key as the intake role, unwrap it with the KEK
    that is in the source code. With the deployment's generated KEK it fails."""
    _, db = intake_db
    kek = load_kek(Settings())
    assert kek != DEV_KEK
    assert kek == parse_kek((local / secrets.KEK_FILE).read_text())
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=2)
    try:
        sealed = await InformantVault(pool, kek).seal(REPORTER)
        wrapped = await pool.fetchval(
            "SELECT wrapped_key FROM informant_keys WHERE person_id = $1", sealed.person_id
        )
    finally:
        await pool.close()
    with pytest.raises(TamperedDataError):
        unwrap_key(DEV_KEK, sealed.person_id, bytes(wrapped))


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "xuncha_shared.cli", *args],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


async def test_rotate_kek_rewraps_every_key_and_the_old_kek_opens_nothing(
    infra: Infra, intake_db: Any, local: Path, tmp_path: Path
) -> None:
    prefix, db = intake_db
    folder = tmp_path / "secrets"  # a copy: the deployment's own KEK is not rotated here
    shutil.copytree(local, folder)
    old = parse_kek((folder / secrets.KEK_FILE).read_text())
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=2)
    try:
        vault = InformantVault(pool, old)
        sealed = [await vault.seal(REPORTER) for _ in range(3)]
        await vault.erase(sealed[2].person_id)
        store = PostgresEventStore(pool)
        for s in sealed:
            pid = uuid.uuid4()
            event = PetitionReceived(
                petition_id=pid,
                jurisdiction="361002",
                unit="临川区某局",
                channel="letter",
                summary="反映某局违规发放津补贴问题",
                informant=s,
                receipt_code_hash="0" * 64,
            )
            await store.append(
                "petition",
                str(pid),
                ANY_VERSION,
                [NewEvent(event, "361002", Actor(principal_id="t", role="county_admin"))],
            )
        hashes = await pool.fetch("SELECT hash FROM events ORDER BY global_position")

        env = {k: v for k, v in os.environ.items() if not k.startswith("XUNCHA_")}
        env.update(
            XUNCHA_PG_ADMIN_URL=infra.pg_admin_url,
            XUNCHA_DB_NAME_PREFIX=prefix,
            XUNCHA_SECRETS_DIR=str(folder),
            XUNCHA_STATE_DIR=infra.state_dir,
            COLUMNS="200",
        )
        done = _cli(["keys", "rotate-kek"], env)
        assert done.returncode == 0, done.stderr + done.stdout
        new = parse_kek((folder / secrets.KEK_FILE).read_text())
        assert new != old and not (folder / "kek.next").exists()
        assert "2 data key(s) re-wrapped" in done.stdout

        rows = await pool.fetch("SELECT person_id, wrapped_key, kek_id FROM informant_keys")
        held = [r for r in rows if r["wrapped_key"] is not None]
        assert len(held) == 2 and {r["kek_id"] for r in held} == {kek_id(new)}
        for r in held:  # old-KEK material decrypts nothing
            with pytest.raises(TamperedDataError):
                unwrap_key(old, r["person_id"], bytes(r["wrapped_key"]))
        with pytest.raises(UnknownKekError):
            await InformantVault(pool, old).open(sealed[0])
        rotated = InformantVault(pool, new)
        assert await rotated.open(sealed[0]) == REPORTER
        assert await rotated.open(sealed[1]) == REPORTER
        assert await rotated.is_erased(sealed[2].person_id)
        # the history is untouched: same hashes, and the auditors' verification passes
        assert await pool.fetch("SELECT hash FROM events ORDER BY global_position") == hashes
    finally:
        await pool.close()
    verified = _cli(["audit", "verify", "--service", "intake", "--no-kafka"], env)
    assert verified.returncode == 0, verified.stdout + verified.stderr


# ---- production mode -----------------------------------------------------------------------


def test_production_start_is_refused_with_the_development_kek(infra: Infra) -> None:
    env = infra.env("intake")
    env.update(
        XUNCHA_ENV="production",
        XUNCHA_KEK=base64.b64encode(DEV_KEK).decode(),
        XUNCHA_DATABASE_URL=role_url(infra.pg_admin_url, "intake", "intake", "intake"),
    )
    env.pop("XUNCHA_SECRETS_DIR", None)
    env.pop("XUNCHA_SIGNING_KEY", None)
    proc = subprocess.run(
        [sys.executable, "-m", "xuncha_intake.entrypoints.main"],
        env=env,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode != 0
    out = proc.stderr + proc.stdout
    assert "refusing to start with development secrets" in out
    assert "XUNCHA_KEK is the built-in development key" in out
    assert "role intake has its role name as password" in out
    assert "checkpoint signing key would be generated" in out
