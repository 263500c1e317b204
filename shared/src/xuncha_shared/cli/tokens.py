"""``xuncha tokens``: bearer tokens for the HTTP APIs.

Each service database has its own ``auth_tokens`` table with only SHA-256 hashes; these commands
insert the same hash into every chosen service database (all four by default), so one token
works against every service. A token is printed once and cannot be shown again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from uuid import UUID

import asyncpg
import typer
from pydantic import ValidationError
from rich.table import Table

from xuncha_shared.auth.demo import (
    create_demo_tokens,
    create_department_tokens,
    create_office_tokens,
    create_unit_tokens,
)
from xuncha_shared.auth.tokens import (
    AmbiguousTokenPrefix,
    TokenInfo,
    TokenStore,
    UnknownToken,
    create_token_in,
    revoke_token_in,
    rotate_token_in,
    token_hash_prefix,
)
from xuncha_shared.cli.common import console, err_console, fail, run, services_option, settings
from xuncha_shared.cli.demo.client import (
    DEMO_DEPARTMENTS_FILE,
    DEMO_OFFICES_FILE,
    DEMO_TOKENS_FILE,
    DEMO_UNITS_FILE,
)
from xuncha_shared.cli.demo.rounds_data import (
    COUNTY_UNITS,
    PLANNED,
    demo_county_group_id,
    demo_unit_id,
)
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department
from xuncha_shared.domain.jurisdictions import city_of, is_city, is_valid_jurisdiction, name_of
from xuncha_shared.domain.principals import ROLE_LABELS_ZH, Principal, Role

app = typer.Typer(help="Bearer tokens (stored hashed in every service database).")

_ROLE_HELP = ", ".join(f"{r.value} ({ROLE_LABELS_ZH[r]})" for r in Role)
_DEPARTMENT_HELP = ", ".join(f"{d.value} ({DEPARTMENT_LABELS_ZH[d]})" for d in Department)


async def _unit_jurisdiction(unit_id: UUID) -> str | None:
    """The jurisdiction of a unit registered in intake (its ``unit_view``), or ``None``."""
    conn = await asyncpg.connect(settings().service_database_url("intake"))
    try:
        value = await conn.fetchval(
            "SELECT jurisdiction FROM unit_view WHERE unit_id = $1", unit_id
        )
    except asyncpg.UndefinedTableError:
        value = None
    finally:
        await conn.close()
    return str(value) if value is not None else None


def _urls(services: list[str]) -> list[str]:
    s = settings()
    return [s.service_database_url(svc) for svc in services]


def _principal(
    role: str,
    jurisdiction: str,
    department: str | None,
    principal_id: str | None,
    group: str | None = None,
    unit: UUID | None = None,
) -> Principal:
    try:
        role_ = Role(role.strip())
    except ValueError:
        raise fail(f"unknown role {role!r}; choose from {_ROLE_HELP}") from None
    code = jurisdiction.strip()
    if not is_valid_jurisdiction(code):
        raise fail(
            f"malformed jurisdiction {jurisdiction!r}: a six-digit GB/T 2260 city or county code "
            "such as 361000 (city) or 361002 (county)"
        )
    if role_ is Role.CITY_ADMIN and not is_city(code):
        raise fail(f"a city_admin needs a city code (ending in 00), e.g. {city_of(code)}")
    if role_ is Role.COUNTY_ADMIN and is_city(code):
        raise fail("a county_admin needs a county code (not ending in 00), e.g. 361002")
    dept: Department | None = None
    if role_ is Role.DEPARTMENT:
        if not department:
            raise fail(f"role department needs --department, one of {_DEPARTMENT_HELP}")
        try:
            dept = Department(department.strip())
        except ValueError:
            raise fail(
                f"unknown department {department!r}; choose from {_DEPARTMENT_HELP}"
            ) from None
    elif department:
        raise fail("--department is only for role department")
    group_id: UUID | None = None
    if group:
        if role_ is not Role.GROUP_MEMBER:
            raise fail("--group is only for role group_member")
        try:
            group_id = UUID(group.strip())
        except ValueError:
            raise fail(
                f"malformed group id {group!r}: the group's UUID (GET /api/v1/groups)"
            ) from None
    if role_ is Role.INSPECTED_UNIT and unit is None:
        raise fail("role inspected_unit needs --unit, the unit's id (GET /api/v1/units)")
    if unit is not None and role_ is not Role.INSPECTED_UNIT:
        raise fail("--unit is only for role inspected_unit")
    pid = (principal_id or f"{role_.value}-{code}" + (f"-{dept.value}" if dept else "")).strip()
    if unit is not None and not principal_id:
        pid = f"{role_.value}-{unit}"
    try:
        return Principal(
            id=pid,
            role=role_,
            jurisdiction=code,
            department=dept,
            group_id=group_id,
            unit_id=unit,
        )
    except ValidationError as exc:
        messages = "; ".join(str(e["msg"]) for e in exc.errors())
        raise fail(f"invalid principal: {messages}") from None


@app.command()
def create(
    role: str = typer.Option(..., "--role", "-r", help=f"one of {_ROLE_HELP}"),
    jurisdiction: str | None = typer.Option(
        None,
        "--jurisdiction",
        "-j",
        help="six-digit GB/T 2260 code (361000 city, 361002 county); for role inspected_unit "
        "the unit's own (looked up in intake when left out)",
    ),
    department: str | None = typer.Option(
        None, "--department", "-d", help=f"for role department: {_DEPARTMENT_HELP}"
    ),
    principal_id: str | None = typer.Option(
        None, "--principal-id", help="who holds the token (default: <role>-<jurisdiction>)"
    ),
    label: str = typer.Option("", "--label", "-l", help="a note, e.g. the holder's name"),
    service: list[str] | None = typer.Option(
        None, "--service", "-s", help="service database(s) to insert into (default: all four)"
    ),
    ttl_days: int | None = typer.Option(
        None,
        "--ttl-days",
        min=0,
        help="days until it expires (default XUNCHA_TOKEN_TTL_DAYS or 90; 0: never)",
    ),
    group: str | None = typer.Option(
        None, "--group", "-g", help="for role group_member: the group (id) the token is bound to"
    ),
    unit: str | None = typer.Option(
        None, "--unit", "-u", help="for role inspected_unit: the unit (intake's id) it is bound to"
    ),
) -> None:
    """Create a token and print it (once: only its hash is stored)."""
    unit_id: UUID | None = None
    if unit:
        try:
            unit_id = UUID(unit.strip())
        except ValueError:
            raise fail(f"malformed unit id {unit!r}: the unit's UUID (GET /api/v1/units)") from None
        known = run(_unit_jurisdiction(unit_id))
        if known is None:
            raise fail(f"unknown unit {unit_id}: intake has not registered it")
        if jurisdiction and jurisdiction.strip() != known:
            raise fail(f"unit {unit_id} belongs to {known}, not {jurisdiction.strip()}")
        jurisdiction = known
    if not jurisdiction:
        raise fail("--jurisdiction is required (except for role inspected_unit with --unit)")
    principal = _principal(role, jurisdiction, department, principal_id, group, unit_id)
    services = services_option(service)
    token = run(create_token_in(_urls(services), principal, label, ttl_days=ttl_days))
    err_console.print(
        f"token for {principal.id} ({principal.role.value} {ROLE_LABELS_ZH[principal.role]}, "
        f"{principal.jurisdiction}) valid in {', '.join(services)}; it is shown only now:"
    )
    typer.echo(token)


def _default_demo_path() -> Path:
    return Path(settings().state_dir or ".xuncha") / DEMO_TOKENS_FILE


def write_private_json(path: Path, data: object) -> None:
    """Write JSON readable by the owner only (0600, also when the file existed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fd = -1
            json.dump(data, fh, indent=2, ensure_ascii=False)
            fh.write("\n")
    finally:
        if fd >= 0:
            os.close(fd)


@app.command()
def demo(
    out: Path | None = typer.Option(
        None,
        "--out",
        "-o",
        help=f"JSON file to write (default: $XUNCHA_STATE_DIR/{DEMO_TOKENS_FILE})",
    ),
    city: str = typer.Option("361000", "--city", help="city code of the demo principals"),
    county: str = typer.Option("361002", "--county", help="county code of the demo principals"),
    service: list[str] | None = typer.Option(
        None, "--service", "-s", help="service database(s) to insert into (default: all four)"
    ),
) -> None:
    """One token per role, valid in every service, written as {"role": "token"} (mode 0600);
    beside it demo-office-tokens.json, one county office token per other county of the city
    ({"county code": "token"}), demo-unit-tokens.json, one inspected unit token per city
    unit of the demo term and per unit of the demo county ({"unit id": "token"}), and
    demo-department-tokens.json, one token per receiving department of the city
    ({"department": "token"}): the demo load records each
    county's own work as its office, each unit's rectification reports as the unit, and the
    organisation department's requests for opinions on cadres as that department."""
    if not is_city(city):
        raise fail(f"--city must be a city code ending in 00, not {city!r}")
    if not is_valid_jurisdiction(county) or is_city(county) or county[:4] != city[:4]:
        raise fail(f"--county must be a county code of city {city}, not {county!r}")
    services = services_option(service)
    path = out or _default_demo_path()
    # the group member's token is bound to the county's demo group, whose work it sees
    group_id = demo_county_group_id(county)
    urls = _urls(services)
    tokens = run(create_demo_tokens(urls, city=city, county=county, group_id=group_id))
    offices = run(create_office_tokens(urls, city=city, county=county))
    # the city's units of the demo term, and the demo county's own units (临川区农业农村局 …):
    # a county office's round reaches a unit that submits its own plan and reports
    unit_areas = {demo_unit_id(name, city): city for name in PLANNED} | {
        demo_unit_id(f"{name_of(county)}{unit}", county): county for unit in COUNTY_UNITS
    }
    units = run(create_unit_tokens(urls, unit_areas))
    departments = run(create_department_tokens(urls, city=city))
    offices_path, units_path = path.parent / DEMO_OFFICES_FILE, path.parent / DEMO_UNITS_FILE
    departments_path = path.parent / DEMO_DEPARTMENTS_FILE
    try:
        write_private_json(path, tokens)
        write_private_json(offices_path, offices)
        write_private_json(units_path, units)
        write_private_json(departments_path, departments)
    except OSError as exc:
        raise fail(f"cannot write {exc.filename}: {exc.strerror}", code=1) from None
    console.print(
        f"wrote {len(tokens)} demo tokens ({', '.join(tokens)}) to {path}, "
        f"{len(offices)} county office tokens to {offices_path}, {len(units)} unit "
        f"tokens to {units_path} and {len(departments)} department tokens to "
        f"{departments_path}, valid in {', '.join(services)}"
    )


@app.command()
def revoke(
    token_or_prefix: str = typer.Argument(
        ..., help="the token, or at least 8 hex digits of its hash (see `xuncha tokens list`)"
    ),
    service: list[str] | None = typer.Option(
        None, "--service", "-s", help="service database(s) (default: all four)"
    ),
) -> None:
    """Revoke a token in every service database."""
    services = services_option(service)
    try:
        token_hash_prefix(token_or_prefix)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        count = run(revoke_token_in(_urls(services), token_or_prefix))
    except AmbiguousTokenPrefix as exc:
        raise fail(f"{exc}; give more digits") from None
    if count == 0:
        raise fail("no active token matches", code=1)
    console.print(f"revoked in {count} service database(s)")


@app.command()
def rotate(
    token_or_prefix: str = typer.Argument(
        ..., help="the token, or at least 8 hex digits of its hash (see `xuncha tokens list`)"
    ),
    service: list[str] | None = typer.Option(
        None, "--service", "-s", help="service database(s) (default: all four)"
    ),
    ttl_days: int | None = typer.Option(
        None, "--ttl-days", min=0, help="days until the new token expires (0: never)"
    ),
) -> None:
    """Issue a new token for the same holder and revoke the old one; prints the new token."""
    services = services_option(service)
    try:
        token_hash_prefix(token_or_prefix)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        token, principal = run(rotate_token_in(_urls(services), token_or_prefix, ttl_days=ttl_days))
    except AmbiguousTokenPrefix as exc:
        raise fail(f"{exc}; give more digits") from None
    except UnknownToken as exc:
        raise fail(str(exc), code=1) from None
    err_console.print(
        f"new token for {principal.id} ({principal.role.value}, {principal.jurisdiction}); "
        "the old one is revoked; it is shown only now:"
    )
    typer.echo(token)


async def _list(url: str, include_revoked: bool) -> list[TokenInfo]:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        exists = await conn.fetchval("SELECT to_regclass('auth_tokens') IS NOT NULL")
        if not exists:
            return []
        return await TokenStore(pool=None).list_tokens(include_revoked=include_revoked, conn=conn)
    finally:
        await conn.close()


@app.command("list")
def list_(
    service: str = typer.Option("intake", "--service", "-s", help="which service database"),
    include_revoked: bool = typer.Option(False, "--all", help="include revoked tokens"),
) -> None:
    """List tokens of one service database (hash prefix and holder; never the token)."""
    (svc,) = services_option([service])
    infos = run(_list(_urls([svc])[0], include_revoked))
    table = Table(
        "hash",
        "principal",
        "role",
        "jurisdiction",
        "department",
        "label",
        "created",
        "expires",
        "last used",
    )
    if include_revoked:
        table.add_column("revoked")
    for info in infos:
        p = info.principal
        row = [
            info.token_hash[:12],
            p.id,
            p.role.value,
            p.jurisdiction,
            p.department.value if p.department else "",
            info.label,
            info.created_at.isoformat(timespec="seconds"),
            info.expires_at.isoformat(timespec="seconds") if info.expires_at else "never",
            info.last_used_at.isoformat(timespec="seconds") if info.last_used_at else "-",
        ]
        if include_revoked:
            row.append(info.revoked_at.isoformat(timespec="seconds") if info.revoked_at else "")
        table.add_row(*row)
    console.print(table)
