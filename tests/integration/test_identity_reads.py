"""Who looked: the informant custodian reads reporter identities through intake's API against the
real PostgreSQL; each read is an ``intake.InformantIdentityRead`` committed before the identity
is returned, refusals record nothing, crypto-shredded identities are 410 and still recorded, and
``xuncha audit history`` tells who read, when and why. The module has its own intake database."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_intake.bootstrap import SPEC, vault_from_context
from xuncha_shared.audit.history import build_story, story_json, story_lines
from xuncha_shared.contracts.common import Department
from xuncha_shared.crypto import InformantVault
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.settings import Settings

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(120)

REASON = "核实举报人身份以便回访"
READ = "intake.InformantIdentityRead"

PRINCIPALS = {
    "custodian": Principal(id="custodian-fz", role=Role.CUSTODIAN, jurisdiction=CITY),
    "lc-custodian": Principal(id="custodian-lc", role=Role.CUSTODIAN, jurisdiction=LINCHUAN),
    "nc-custodian": Principal(id="custodian-nc", role=Role.CUSTODIAN, jurisdiction=NANCHENG),
    "dept": department("jw", Department.DISCIPLINE),
    **OFFICES,
}

INFORMANT = {
    "name": "王秀英",
    "phone": "13907941234",
    "id_number": "11010519491231002X",
    "address": "抚州市临川区某街道某号",
    "employer": "临川区某公司",
}


@dataclass
class Api:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    tokens: dict[str, str]
    vault: InformantVault
    settings: Settings

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def petition(self, jurisdiction: str = LINCHUAN, *, informant: bool = True) -> str:
        body: dict[str, Any] = {
            "jurisdiction": jurisdiction,
            "unit": "临川区某局",
            "channel": "letter",
            "summary": "反映某局违规发放津补贴问题",
        }
        if informant:
            body["informant"] = INFORMANT
        resp = await self.client.post("/api/v1/petitions", json=body, headers=self.auth("city"))
        assert resp.status_code == 201, resp.text
        return str(resp.json()["id"])

    async def read(
        self, petition_id: str, who: str = "custodian", body: Any = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/api/v1/petitions/{petition_id}/informant",
            json={"reason": REASON} if body is None else body,
            headers=self.auth(who),
        )

    async def reads(self, petition_id: str) -> list[asyncpg.Record]:
        return await self.pool.fetch(
            "SELECT * FROM events WHERE stream_id = $1 AND event_type = $2 ORDER BY stream_version",
            petition_id,
            READ,
        )

    async def count(self) -> int:
        return int(await self.pool.fetchval("SELECT count(*) FROM events"))

    async def person_id(self, petition_id: str) -> uuid.UUID:
        payload = await self.pool.fetchval(
            "SELECT payload FROM events WHERE stream_id = $1 AND stream_version = 1", petition_id
        )
        return uuid.UUID(payload["informant"]["person_id"])


@pytest.fixture(scope="module")
async def api(infra: Any) -> AsyncIterator[Api]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="ir") as svc:
        yield Api(svc.client, svc.ctx.pool, svc.tokens, vault_from_context(svc.ctx), svc.settings)


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    assert doc["title"]
    for secret in INFORMANT.values():
        assert secret not in resp.text
    return doc


async def test_custodian_reads_the_identity_and_exactly_one_event_is_recorded(api: Api) -> None:
    petition_id = await api.petition()
    correlation = uuid.uuid4()
    resp = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant",
        json={"reason": f"  {REASON}  "},
        headers={**api.auth("custodian"), "X-Correlation-Id": str(correlation)},
    )
    assert resp.status_code == 200, resp.text
    assert resp.headers["cache-control"] == "no-store"
    body = resp.json()
    assert {k: body[k] for k in INFORMANT} == INFORMANT
    assert body["petition_id"] == petition_id
    assert set(body) == {
        *INFORMANT,
        "petition_id",
        "anonymous",
        "summary_numbers",
        "read_event_id",
        "read_at",
    }
    assert body["anonymous"] is False
    assert body["summary_numbers"] is None  # nothing was taken out of this summary (R11)

    [row] = await api.reads(petition_id)
    assert str(row["event_id"]) == body["read_event_id"]
    assert row["stream_type"] == "petition"
    assert row["stream_version"] == 2
    assert row["schema_version"] == 1
    assert row["jurisdiction"] == LINCHUAN
    assert row["actor"] == {"principal_id": "custodian-fz", "role": "informant_custodian"}
    assert row["correlation_id"] != correlation  # a caller's header never links streams
    assert row["payload"] == {
        "petition_id": petition_id,
        "person_id": str(await api.person_id(petition_id)),
        "reason": REASON,
        "outcome": "disclosed",
    }
    read_at = row["occurred_at"].isoformat().replace("+00:00", "Z")
    assert body["read_at"].replace("+00:00", "Z") == read_at
    # the hash chain goes on from the petition
    prev = await api.pool.fetchval(
        "SELECT hash FROM events WHERE stream_id = $1 AND stream_version = 1", petition_id
    )
    assert row["prev_hash"] == prev

    # every read is its own event; a county custodian reads its own county's petitions
    again = await api.read(petition_id, "lc-custodian", {"reason": "复核举报人身份"})
    assert again.status_code == 200, again.text
    assert again.json()["read_event_id"] != body["read_event_id"]
    rows = await api.reads(petition_id)
    assert [(r["stream_version"], r["actor"]["principal_id"]) for r in rows] == [
        (2, "custodian-fz"),
        (3, "custodian-lc"),
    ]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body.reason"),
        ({"reason": ""}, "body.reason"),
        ({"reason": "   "}, "body.reason"),
        ({"reason": " 查看 "}, "body.reason"),
        ({"reason": "x" * 501}, "body.reason"),
        ({"reason": REASON, "why": "extra"}, "body.why"),
        ({"reason": 1234}, "body.reason"),
    ],
)
async def test_missing_or_bad_reason_is_422_and_records_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    petition_id = await api.petition()
    before = await api.count()
    doc = assert_problem(await api.read(petition_id, body=body), 422)
    assert any(field in e["field"] for e in doc["errors"]), doc
    assert await api.count() == before


async def test_no_body_is_422_and_records_nothing(api: Api) -> None:
    petition_id = await api.petition()
    before = await api.count()
    resp = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant", headers=api.auth("custodian")
    )
    assert_problem(resp, 422)
    assert await api.count() == before


@pytest.mark.parametrize("who", ["auditor", "city", "county", "group", "dept"])
async def test_every_other_role_is_403_and_records_nothing(api: Api, who: str) -> None:
    petition_id = await api.petition()
    before = await api.count()
    doc = assert_problem(await api.read(petition_id, who), 403)
    assert "informant_custodian" in doc["detail"]
    assert await api.count() == before


async def test_without_a_token_401(api: Api) -> None:
    petition_id = await api.petition()
    before = await api.count()
    resp = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant", json={"reason": REASON}
    )
    assert_problem(resp, 401)
    assert await api.count() == before


async def test_another_countys_custodian_is_404_and_records_nothing(api: Api) -> None:
    petition_id = await api.petition(LINCHUAN)
    city_petition = await api.petition(CITY)
    before = await api.count()
    # answered exactly like an unknown petition (no existence oracle), naming no jurisdiction
    doc = assert_problem(await api.read(petition_id, "nc-custodian"), 404)
    unknown_id = str(uuid.uuid4())
    unknown = assert_problem(await api.read(unknown_id, "nc-custodian"), 404)
    assert doc["detail"] == unknown["detail"].replace(unknown_id, petition_id)
    assert "361002" not in doc["detail"]
    # a county custodian does not read the city's petitions either
    assert_problem(await api.read(city_petition, "lc-custodian"), 404)
    assert await api.count() == before
    # nor learns whether another county's petition is anonymous
    anonymous = await api.petition(LINCHUAN, informant=False)
    assert_problem(await api.read(anonymous, "nc-custodian"), 404)


async def test_unknown_petition_is_404(api: Api) -> None:
    before = await api.count()
    doc = assert_problem(await api.read(str(uuid.uuid4())), 404)
    assert "unknown petition" in doc["detail"]
    assert_problem(await api.read("not-a-uuid"), 422)
    assert await api.count() == before


async def test_anonymous_petition_is_409_and_records_nothing(api: Api) -> None:
    petition_id = await api.petition(informant=False)
    before = await api.count()
    doc = assert_problem(await api.read(petition_id), 409)
    assert "anonymous" in doc["detail"]
    assert await api.count() == before


async def test_custodian_may_not_record_petitions(api: Api) -> None:
    before = await api.count()
    resp = await api.client.post(
        "/api/v1/petitions",
        json={"jurisdiction": LINCHUAN, "unit": "某局", "channel": "call", "summary": "..."},
        headers=api.auth("custodian"),
    )
    assert_problem(resp, 403)
    assert await api.count() == before


async def test_after_key_erasure_410_and_the_attempt_is_recorded(api: Api) -> None:
    petition_id = await api.petition()
    assert (await api.read(petition_id)).status_code == 200
    assert await api.vault.erase(await api.person_id(petition_id))
    resp = await api.read(petition_id, body={"reason": "复核举报人身份"})
    doc = assert_problem(resp, 410)
    assert doc["type"].endswith("/identity-erased")
    assert doc["petition_id"] == petition_id
    first, second = await api.reads(petition_id)
    assert first["payload"]["outcome"] == "disclosed"
    assert second["payload"]["outcome"] == "key_erased"
    assert second["payload"]["reason"] == "复核举报人身份"
    assert second["actor"] == {"principal_id": "custodian-fz", "role": "informant_custodian"}
    assert doc["read_event_id"] == str(second["event_id"])


async def test_events_never_hold_the_plaintext_and_history_shows_who_looked(
    api: Api, tmp_path: Any
) -> None:
    petition_id = await api.petition()
    assert (await api.read(petition_id)).status_code == 200
    assert (
        await api.read(petition_id, "lc-custodian", {"reason": "复核举报人身份"})
    ).status_code == 200
    await api.vault.erase(await api.person_id(petition_id))
    assert (await api.read(petition_id, body={"reason": "再次核实举报人身份"})).status_code == 410

    dump = "\n".join(r["t"] for r in await api.pool.fetch("SELECT e::text AS t FROM events e"))
    for secret in INFORMANT.values():
        assert secret not in dump

    story = await build_story(
        Settings(**{**api.settings.model_dump(), "state_dir": str(tmp_path)}),
        petition_id,
        services=["intake"],
        search=["intake"],
    )
    lines = story_lines(story)
    text = "\n".join(lines)
    for expected in (
        "查阅举报人身份",
        "custodian-fz（举报人信息保管员）",
        "custodian-lc（举报人信息保管员）",
        f"原因：{REASON}",
        "原因：复核举报人身份",
        "结果：已披露给查阅人",
        "结果：密钥已销毁，未能查阅",
        "举报人身份查阅记录（谁看过）：共 3 次",
        "举报人信息已加密（密钥已销毁）",
    ):
        assert expected in text, expected
    summary = lines[lines.index("举报人身份查阅记录（谁看过）：共 3 次") + 1 :]
    assert "custodian-fz" in summary[0] and f"理由：{REASON}" in summary[0]
    assert "custodian-lc" in summary[1] and "理由：复核举报人身份" in summary[1]
    assert "密钥已销毁" in summary[2] and "理由：再次核实举报人身份" in summary[2]
    document = json.loads(story_json(story))
    assert [r["outcome"] for r in document["identity_reads"]] == [
        "disclosed",
        "disclosed",
        "key_erased",
    ]
    assert document["identity_reads"][0]["actor"]["role_zh"] == "举报人信息保管员"
    assert document["identity_reads"][1]["reason"] == "复核举报人身份"
    for secret in INFORMANT.values():
        assert secret not in text and secret not in story_json(story)


async def test_the_custodian_finds_a_petition_by_its_receipt_code(api: Api) -> None:
    """An anonymous petition with a sealed number is in none of the custodian's lists: the
    reporter (or an office for them) names it by its 回执码, and the custodian finds it in its own
    jurisdictions only; an unknown, malformed or another county's code is the same 404, and
    no other role may ask."""
    body = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "channel": "call",
        "summary": "反映某局违规发放津补贴问题，回电 13907941234",
    }
    resp = await api.client.post("/api/v1/petitions", json=body, headers=api.auth("city"))
    assert resp.status_code == 201, resp.text
    petition_id, code = resp.json()["id"], resp.json()["receipt_code"]
    assert resp.json()["sealed_numbers"] == 1

    async def find(code: str, who: str) -> httpx.Response:
        return await api.client.get(f"/api/v1/receipts/{code}/petition", headers=api.auth(who))

    for who in ("custodian", "lc-custodian"):
        found = await find(code.lower().replace("-", ""), who)  # as a person may type it
        assert found.status_code == 200, found.text
        assert (found.json()["id"], found.json()["real_name"]) == (petition_id, False)
        assert "13907941234" not in found.text  # the number stays sealed
    missing = [
        await find(code, "nc-custodian"),
        await find("XC-AAAA-AAAA-AAAA-AAAA-AAAA", "custodian"),
    ]
    missing.append(await find("not-a-code", "custodian"))
    assert [r.status_code for r in missing] == [404, 404, 404]
    assert missing[0].json()["detail"] == missing[1].json()["detail"]
    assert (await find(code, "city")).status_code == 403
    # found, its sealed number is read as any identity is: with a reason, recorded first
    read = await api.read(petition_id, "lc-custodian")
    assert read.status_code == 200, read.text
