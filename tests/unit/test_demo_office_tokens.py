"""The demo load records each county's work as that county's office and each city unit's
rectification reports as the unit (``xuncha tokens demo`` writes their tokens beside the
roles'): ``load_tokens`` reads the three files, ``DemoClient.writer`` picks the office,
``DemoClient.reporter`` the unit."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from xuncha_shared.auth.demo import demo_office_principals, demo_unit_principals
from xuncha_shared.cli.demo.client import (
    DEMO_OFFICES_FILE,
    DEMO_TOKENS_FILE,
    DEMO_UNITS_FILE,
    DemoClient,
    DemoError,
    Endpoints,
    load_tokens,
    office_key,
    unit_key,
)
from xuncha_shared.domain.jurisdictions import COUNTIES
from xuncha_shared.domain.principals import Role

ROLES = {"city_admin": "t-city", "county_admin": "t-linchuan", "department": "t-dept"}
ENDPOINTS = Endpoints("http://i", "http://c", "http://r", "http://p")


def _write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_the_office_principals_are_the_other_counties_offices() -> None:
    offices = demo_office_principals("361000", "361002")
    assert set(offices) == {c.code for c in COUNTIES} - {"361002"}
    for code, principal in offices.items():
        assert (principal.role, principal.jurisdiction) == (Role.COUNTY_ADMIN, code)
        assert principal.id == f"demo-county-admin-{code}"
    assert demo_office_principals("360100") == {}  # a city whose counties the deployment lacks


def test_load_tokens_adds_the_offices_beside_the_roles(tmp_path: Path) -> None:
    roles = _write(tmp_path / DEMO_TOKENS_FILE, ROLES)
    _write(tmp_path / DEMO_OFFICES_FILE, {"361025": "t-lean", "361003": "t-dongxiang"})
    tokens = load_tokens(roles)
    assert tokens == ROLES | {office_key("361025"): "t-lean", office_key("361003"): "t-dongxiang"}
    client = DemoClient(ENDPOINTS, tokens)
    assert client.writer("361025") == "county_admin:361025"
    assert client.writer("361002") == "county_admin"  # the demo county's own token
    assert client.writer("361000") == "city_admin"
    assert client.writer("361030") == "city_admin"  # no token of its office: the city's


def test_without_the_offices_file_the_city_office_writes_for_the_counties(
    tmp_path: Path,
) -> None:
    tokens = load_tokens(_write(tmp_path / DEMO_TOKENS_FILE, ROLES))
    assert tokens == ROLES
    assert DemoClient(ENDPOINTS, tokens).writer("361025") == "city_admin"


@pytest.mark.parametrize(
    ("roles", "beside", "message"),
    [
        (ROLES, (DEMO_OFFICES_FILE, "{"), "is not JSON"),
        (ROLES, (DEMO_OFFICES_FILE, '["t"]'), "holds no county office tokens"),
        (ROLES, (DEMO_UNITS_FILE, '"t"'), "holds no unit tokens"),
        ("{", None, "is not JSON"),
        ('{"county_admin": "t"}', None, "holds no city_admin and department tokens"),
    ],
)
def test_bad_token_files_are_refused_with_a_message(
    tmp_path: Path, roles: object, beside: tuple[str, str] | None, message: str
) -> None:
    path = tmp_path / DEMO_TOKENS_FILE
    path.write_text(roles if isinstance(roles, str) else json.dumps(roles), encoding="utf-8")
    if beside is not None:
        (tmp_path / beside[0]).write_text(beside[1], encoding="utf-8")
    with pytest.raises(DemoError, match=message):
        load_tokens(path)


UNIT = uuid.UUID("6f1c2a9e-0000-4000-8000-000000000001")


def test_the_unit_principals_are_inspected_units_bound_to_their_unit() -> None:
    (principal,) = demo_unit_principals({UNIT: "361000"}).values()
    assert (principal.role, principal.jurisdiction, principal.unit_id) == (
        Role.INSPECTED_UNIT,
        "361000",
        UNIT,
    )
    assert principal.id == f"demo-unit-{UNIT}"


def test_a_unit_reports_itself_when_its_token_is_there(tmp_path: Path) -> None:
    roles = _write(tmp_path / DEMO_TOKENS_FILE, ROLES)
    _write(tmp_path / DEMO_OFFICES_FILE, {"361025": "t-lean"})
    _write(tmp_path / DEMO_UNITS_FILE, {str(UNIT): "t-unit"})
    tokens = load_tokens(roles)
    assert tokens[unit_key(str(UNIT))] == "t-unit"
    client = DemoClient(ENDPOINTS, tokens)
    assert client.reporter(UNIT, "361000") == f"inspected_unit:{UNIT}"
    other = uuid.UUID("6f1c2a9e-0000-4000-8000-000000000002")
    assert client.reporter(other, "361000") == "city_admin"  # no token: its office for it
    assert client.reporter(None, "361025") == "county_admin:361025"  # a unit known by name
