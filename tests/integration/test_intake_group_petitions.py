"""Issue 13 against the real PostgreSQL: a unit is inspected by one group of a round (R24, also
when two groups are formed at once); a group member's token lists its group's units only;
petitions name the group that received them and the unit (``PetitionReceived`` schema 3), a
bound token only for its own group."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from xuncha_shared.auth.tokens import TokenStore
from xuncha_shared.contracts.intake import PetitionReceived
from xuncha_shared.domain.principals import Principal, Role

from tests.integration.test_intake_groups_api import Api, api, assert_problem, group
from tests.support.principals import LINCHUAN, NANCHENG

__all__ = ["api"]  # the module's fixture

pytestmark = pytest.mark.timeout(180)


async def _token(api: Api, group_id: str | None, name: str) -> dict[str, str]:
    principal = Principal(
        id=name,
        role=Role.GROUP_MEMBER,
        jurisdiction=LINCHUAN,
        group_id=uuid.UUID(group_id) if group_id else None,
    )
    token = await TokenStore(api.pool).create(principal, label="test")
    return {"Authorization": f"Bearer {token}"}


async def test_a_unit_is_inspected_by_one_group_of_a_round(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区一组一单位{i}") for i in range(3)]
    home = await api.unit("county", LINCHUAN, "临川区一组工作单位")
    round_id = await api.round("county", LINCHUAN, 21, 1, units)
    people = [await api.member("county", LINCHUAN, f"一单位干部{i}", home) for i in range(6)]
    path = f"/rounds/{round_id}/groups"
    await api.ok("county", path, group(1, people[:2], [units[0], units[1]]))
    before = await api.events()
    refused = assert_problem(await api.post("county", path, group(2, people[2:4], [units[1]])), 409)
    assert "R24" in refused["detail"]
    assert await api.events() == before
    await api.ok("county", path, group(2, people[2:4], [units[2]]))
    # another round may inspect the unit again (a revisit)
    second = await api.round(
        "county", LINCHUAN, 21, 2, [units[1]], dates=("2027-01-04", "2027-03-31")
    )
    await api.ok("county", f"/rounds/{second}/groups", group(1, people[4:], [units[1]]))


async def test_two_groups_formed_at_once_cannot_share_a_unit(api: Api) -> None:
    unit = await api.unit("other", NANCHENG, "南城县同时单位")
    home = await api.unit("other", NANCHENG, "南城县同时工作单位")
    round_id = await api.round("other", NANCHENG, 22, 1, [unit])
    people = [await api.member("other", NANCHENG, f"同时干部{i}", home) for i in range(4)]
    path = f"/rounds/{round_id}/groups"
    responses = await asyncio.gather(
        api.post("other", path, group(1, people[:2], [unit])),
        api.post("other", path, group(2, people[2:], [unit])),
    )
    assert sorted(r.status_code for r in responses) == [201, 409], [r.text for r in responses]
    count = await api.pool.fetchval(
        "SELECT count(*) FROM group_view WHERE round_id = $1", uuid.UUID(round_id)
    )
    assert count == 1


async def test_a_group_members_unit_list_is_its_groups(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区组员单位{i}") for i in range(3)]
    home = await api.unit("county", LINCHUAN, "临川区组员工作单位")
    round_id = await api.round("county", LINCHUAN, 23, 1, units)
    people = [await api.member("county", LINCHUAN, f"组员单位干部{i}", home) for i in range(4)]
    mine = await api.ok("county", f"/rounds/{round_id}/groups", group(1, people[:2], units[:2]))
    await api.ok("county", f"/rounds/{round_id}/groups", group(2, people[2:], units[2:]))
    auth = await _token(api, mine["id"], "lc-unit-list")
    resp = await api.client.get("/api/v1/units", headers=auth)
    assert resp.status_code == 200, resp.text
    assert sorted(u["id"] for u in resp.json()) == sorted(units[:2])
    resp = await api.client.get(f"/api/v1/units?jurisdiction={LINCHUAN}", headers=auth)
    assert sorted(u["id"] for u in resp.json()) == sorted(units[:2])
    unbound = await _token(api, None, "lc-unbound")
    assert_problem(await api.client.get("/api/v1/units", headers=unbound), 403)
    # the office still sees every unit of its county
    everything = await api.client.get("/api/v1/units", headers=api.auth("county"))
    assert set(units) <= {u["id"] for u in everything.json()}


async def _last_petition_event(api: Api) -> tuple[int, dict[str, Any]]:
    row = await api.pool.fetchrow(
        "SELECT schema_version, payload FROM events WHERE event_type = "
        "'intake.PetitionReceived' ORDER BY global_position DESC LIMIT 1"
    )
    payload = row["payload"]
    return row["schema_version"], json.loads(payload) if isinstance(payload, str) else payload


async def test_petitions_name_their_group_and_unit(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区信访单位{i}") for i in range(3)]
    home = await api.unit("county", LINCHUAN, "临川区信访工作单位")
    round_id = await api.round("county", LINCHUAN, 27, 1, units)
    people = [await api.member("county", LINCHUAN, f"信访干部{i}", home) for i in range(4)]
    mine = await api.ok("county", f"/rounds/{round_id}/groups", group(1, people[:2], units[:2]))
    theirs = await api.ok("county", f"/rounds/{round_id}/groups", group(2, people[2:], units[2:]))
    base = {"jurisdiction": LINCHUAN, "channel": "letter", "summary": "反映该单位违规发放津贴"}

    created = await api.ok(
        "county", "/petitions", {**base, "group_id": mine["id"], "unit_id": units[0]}
    )
    version, payload = await _last_petition_event(api)
    assert version == PetitionReceived.schema_version  # with the group and the unit
    assert payload["petition_id"] == created["id"]
    assert payload["group_id"] == mine["id"]
    assert payload["unit_id"] == units[0]
    assert payload["round_id"] == round_id
    assert payload["unit"] == "临川区信访单位0"

    auth = await _token(api, mine["id"], "lc-petitions")
    resp = await api.client.post(
        "/api/v1/petitions", json={**base, "unit_id": units[1]}, headers=auth
    )
    assert resp.status_code == 201, resp.text
    _, payload = await _last_petition_event(api)
    assert payload["group_id"] == mine["id"]  # a bound token's own group by default

    before = await api.events()
    for body, status in (
        ({**base, "group_id": theirs["id"], "unit_id": units[2]}, 404),  # another group
        ({**base, "group_id": str(uuid.uuid4()), "unit": "某单位"}, 404),  # unknown group
        ({**base, "unit_id": units[2]}, 422),  # not one of its group's units
        ({**base, "unit_id": str(uuid.uuid4())}, 422),  # unknown unit
        ({**base}, 422),  # neither unit nor unit_id
        ({**base, "unit_id": units[0], "round_id": "4-7"}, 422),  # not the group's round
    ):
        resp = await api.client.post("/api/v1/petitions", json=body, headers=auth)
        assert_problem(resp, status)
    # another county's office: the group is the 404 of an unknown one
    assert_problem(
        await api.post("other", "/petitions", {**base, "jurisdiction": NANCHENG,
                                                "group_id": mine["id"], "unit": "某单位"}),
        404,
    )  # fmt: skip
    assert await api.events() == before
    # a petition without group or unit is recorded as before
    await api.ok("county", "/petitions", {**base, "unit": "临川区某局", "round_id": "4-7"})
    version, payload = await _last_petition_event(api)
    assert version == PetitionReceived.schema_version
    assert (payload["group_id"], payload["unit_id"]) == (None, None)


async def test_a_rounds_groups_and_members_recusals_are_listed(api: Api) -> None:
    units = [await api.unit("county", LINCHUAN, f"临川区列表单位{i}") for i in range(2)]
    home = await api.unit("county", LINCHUAN, "临川区列表工作单位")
    round_id = await api.round("county", LINCHUAN, 25, 1, units)
    people = [await api.member("county", LINCHUAN, f"列表干部{i}", home) for i in range(4)]
    await api.ok(
        "county",
        f"/talent-pool/members/{people[3]}/recusals",
        {"unit_id": units[0], "reason": "配偶在该单位任职"},
    )
    second = await api.ok("county", f"/rounds/{round_id}/groups", group(2, people[2:], units[1:]))
    first = await api.ok("county", f"/rounds/{round_id}/groups", group(1, people[:2], units[:1]))
    resp = await api.client.get(f"/api/v1/rounds/{round_id}/groups", headers=api.auth("county"))
    assert resp.status_code == 200, resp.text
    assert [g["id"] for g in resp.json()] == [first["id"], second["id"]]
    for who in ("other", "group"):
        resp = await api.client.get(f"/api/v1/rounds/{round_id}/groups", headers=api.auth(who))
        assert resp.status_code in (403, 404), (who, resp.text)
    listed = await api.client.get(
        f"/api/v1/talent-pool/members?jurisdiction={LINCHUAN}", headers=api.auth("county")
    )
    mine = next(m for m in listed.json() if m["id"] == people[3])
    assert mine["recusal_unit_ids"] == [units[0]]
