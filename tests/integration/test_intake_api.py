"""The intake API against the real PostgreSQL: its real composition (schema, vault, routes) in
this process, over HTTP with real bearer tokens. The module has its own intake database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_intake.bootstrap import SPEC, load_receipt_key
from xuncha_intake.domain import model
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.runtime import ServiceContext

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES, PROBLEM, department
from tests.support.service_api import in_process_service

pytestmark = pytest.mark.timeout(120)

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

PRINCIPALS = {
    "dept": department("jw", Department.DISCIPLINE),
    "custodian": Principal(id="custodian-fz", role=Role.CUSTODIAN, jurisdiction=CITY),
    **OFFICES,
}

INFORMANT = {"name": "王秀英", "phone": "13907941234", "id_number": "11010519491231002X"}


@dataclass
class Api:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    tokens: dict[str, str]
    ctx: ServiceContext

    def code_hash(self, code: str) -> str:
        return model.receipt_code_hash(code, load_receipt_key(self.ctx))

    def auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def counts(self) -> tuple[int, int, int]:
        row = await self.pool.fetchrow(
            "SELECT (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM receipts) AS r, "
            "(SELECT count(*) FROM informant_keys) AS k"
        )
        assert row is not None
        return row["e"], row["r"], row["k"]


@pytest.fixture(scope="module")
async def api(infra: Any) -> AsyncIterator[Api]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="in") as svc:
        yield Api(client=svc.client, pool=svc.ctx.pool, tokens=svc.tokens, ctx=svc.ctx)


def petition(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "channel": "letter",
        "summary": "反映某局违规发放津补贴问题",
    }
    body.update(overrides)
    return body


def assert_problem(resp: httpx.Response, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    assert doc["status"] == status
    assert doc["title"]
    return doc


async def test_record_petition_201_and_receipt(api: Api) -> None:
    before = await api.counts()
    resp = await api.client.post(
        "/api/v1/petitions",
        json=petition(informant=INFORMANT, round_id="4-7"),
        headers={**api.auth("county"), "traceparent": TRACEPARENT},
    )
    assert resp.status_code == 201, resp.text
    body = resp.json()
    assert set(body) == {"id", "receipt_code", "sealed_numbers"}
    assert body["sealed_numbers"] == 0
    petition_id = uuid.UUID(body["id"])
    code = body["receipt_code"]
    assert code.startswith("XC-")
    assert len(code) == 27  # XC and five groups of four: 100 random bits
    after = await api.counts()
    assert after == (before[0] + 1, before[1] + 1, before[2] + 1)

    row = await api.pool.fetchrow("SELECT * FROM events WHERE stream_id = $1", str(petition_id))
    assert row is not None
    assert row["event_type"] == "intake.PetitionReceived"
    assert row["schema_version"] == 4
    assert row["stream_type"] == "petition"
    assert row["jurisdiction"] == LINCHUAN
    assert row["actor"] == {"principal_id": "lc-office", "role": "county_admin"}
    # the request's trace continues into the event (transport metadata for the relay)
    assert row["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
    payload = row["payload"]
    assert payload["receipt_code_hash"] == api.code_hash(code)
    assert payload["round_id"] == "4-7"
    assert payload["informant"]["alg"] == "AES-256-GCM"
    receipt = await api.pool.fetchrow("SELECT * FROM receipts WHERE petition_id = $1", petition_id)
    assert receipt is not None
    assert receipt["code_hash"] == api.code_hash(code)
    assert receipt["keyed"] is True
    assert receipt["status"] == "received"

    # the anonymous reporter: no token, status only
    resp = await api.client.get(f"/api/v1/receipts/{code}")
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"status": "received", "status_zh": "已收到，正在受理"}
    assert resp.headers["cache-control"] == "no-store"
    resp = await api.client.get(f"/api/v1/receipts/{code.lower().replace('-', '')}")
    assert resp.status_code == 200


async def test_informant_plaintext_never_in_events_or_receipts(api: Api) -> None:
    resp = await api.client.post(
        "/api/v1/petitions", json=petition(informant=INFORMANT), headers=api.auth("group")
    )
    assert resp.status_code == 201, resp.text
    code = resp.json()["receipt_code"]
    dump = "\n".join(texts(await api.pool.fetch("SELECT e::text AS t FROM events e")))
    dump += "\n".join(texts(await api.pool.fetch("SELECT r::text AS t FROM receipts r")))
    for secret in (*INFORMANT.values(), code, code.replace("-", "")):
        assert secret not in dump
    # the key row exists but holds only a wrapped key
    keys = await api.pool.fetch("SELECT k::text AS t FROM informant_keys k")
    assert keys
    assert all(INFORMANT["name"] not in r["t"] for r in keys)


def texts(rows: list[asyncpg.Record]) -> list[str]:
    return [r["t"] for r in rows]


async def test_anonymous_petition_has_no_informant(api: Api) -> None:
    before = await api.counts()
    resp = await api.client.post(
        "/api/v1/petitions", json=petition(channel="online"), headers=api.auth("city")
    )
    assert resp.status_code == 201, resp.text
    after = await api.counts()
    assert after == (before[0] + 1, before[1] + 1, before[2])
    row = await api.pool.fetchrow(
        "SELECT payload FROM events WHERE stream_id = $1", resp.json()["id"]
    )
    assert row is not None
    assert row["payload"]["informant"] is None


async def test_stored_receipt_hashes_are_keyed(api: Api) -> None:
    """Neither the event nor the table holds a hash anyone could test guessed codes against
    without the server's receipt key: not the code's SHA-256, not the development key's HMAC."""
    resp = await api.client.post("/api/v1/petitions", json=petition(), headers=api.auth("county"))
    assert resp.status_code == 201, resp.text
    code, petition_id = resp.json()["receipt_code"], uuid.UUID(resp.json()["id"])
    stored = await api.pool.fetchval(
        "SELECT code_hash FROM receipts WHERE petition_id = $1", petition_id
    )
    payload = await api.pool.fetchval(
        "SELECT payload FROM events WHERE stream_id = $1", str(petition_id)
    )
    unkeyed = model.receipt_digest(code)
    assert stored == payload["receipt_code_hash"] == api.code_hash(code)
    assert stored not in (unkeyed, model.receipt_code_hash(code, model.DEV_RECEIPT_KEY))
    assert load_receipt_key(api.ctx) != model.DEV_RECEIPT_KEY  # the deployment's secret


async def test_receipt_codes_of_before_the_keying_keep_working(api: Api) -> None:
    """A receipt kept as the plain SHA-256 of a 12-symbol code (before receipts were keyed and
    lengthened) is keyed in place at intake's start; its code then answers as before."""
    legacy = "XC-7KQ4-M2PD-9TRA"
    petition_id = uuid.uuid4()
    await api.pool.execute(
        "INSERT INTO receipts (code_hash, petition_id, status) VALUES ($1, $2, 'registered')",
        model.receipt_digest(legacy),
        petition_id,
    )
    assert (await api.client.get(f"/api/v1/receipts/{legacy}")).status_code == 404
    await SPEC.on_start(api.ctx)  # what every start of intake does
    row = await api.pool.fetchrow(
        "SELECT code_hash, keyed FROM receipts WHERE petition_id = $1", petition_id
    )
    assert row is not None
    assert row["keyed"] is True and row["code_hash"] == api.code_hash(legacy)
    resp = await api.client.get("/api/v1/receipts/xc7kq4m2pd9tra")
    assert resp.status_code == 200, resp.text
    assert resp.json()["status"] == "registered"
    await SPEC.on_start(api.ctx)  # a second start changes nothing
    assert await api.pool.fetchval(
        "SELECT code_hash FROM receipts WHERE petition_id = $1", petition_id
    ) == api.code_hash(legacy)


async def test_unknown_receipt_code_is_404(api: Api) -> None:
    for code in ("XC-0000-0000-0000", "XC-0000-0000-0000-0000-0000", "nonsense"):
        doc = assert_problem(await api.client.get(f"/api/v1/receipts/{code}"), 404)
        assert "receipt code" in doc["detail"]


async def test_no_token_is_401(api: Api) -> None:
    before = await api.counts()
    resp = await api.client.post("/api/v1/petitions", json=petition())
    assert_problem(resp, 401)
    assert resp.headers["www-authenticate"].startswith("Bearer")
    resp = await api.client.post(
        "/api/v1/petitions",
        json=petition(),
        headers={"Authorization": "Bearer xc_" + "A" * 43},
    )
    assert_problem(resp, 401)
    assert await api.counts() == before


@pytest.mark.parametrize(
    ("who", "jurisdiction"),
    [("auditor", LINCHUAN), ("dept", LINCHUAN), ("county", NANCHENG), ("group", CITY)],
)
async def test_forbidden_is_403_and_writes_nothing(api: Api, who: str, jurisdiction: str) -> None:
    before = await api.counts()
    resp = await api.client.post(
        "/api/v1/petitions",
        json=petition(jurisdiction=jurisdiction, informant=INFORMANT),
        headers=api.auth(who),
    )
    assert_problem(resp, 403)
    assert await api.counts() == before


async def test_unknown_jurisdiction_is_422_and_writes_nothing(api: Api) -> None:
    before = await api.counts()
    resp = await api.client.post(
        "/api/v1/petitions",
        json=petition(jurisdiction="361099", informant=INFORMANT),
        headers=api.auth("city"),
    )
    doc = assert_problem(resp, 422)
    assert "unknown jurisdiction" in doc["detail"]
    assert await api.counts() == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (petition(channel="pigeon"), "body.channel"),
        (petition(summary=""), "body.summary"),
        ({"jurisdiction": LINCHUAN, "unit": "x", "channel": "letter"}, "body.summary"),
        (petition(jurisdiction="36100"), "body.jurisdiction"),
        (petition(informant={"name": "张三", "id_number": "110105194912310021"}), "id_number"),
        (petition(informant={"phone": "13800000000"}), "body.informant.name"),
        # a phone the reporter cannot be reached at (R8's notices go to it)
        (petition(informant={"name": "张三", "phone": "123"}), "body.informant.phone"),
        (petition(informant={"name": "张三", "phone": "1234567890123456"}), "body.informant.phone"),
        (petition(extra="x"), "body.extra"),
        # PostgreSQL stores no NUL: a 422 at the door, not a 500 from the database
        (petition(summary="举报\x00内容"), "body.summary"),
        (petition(unit="某局\x00"), "body.unit"),
        (petition(round_id="2026\x00"), "body.round_id"),
    ],
)
async def test_bad_input_is_422_problem_and_writes_nothing(
    api: Api, body: dict[str, Any], field: str
) -> None:
    before = await api.counts()
    resp = await api.client.post("/api/v1/petitions", json=body, headers=api.auth("county"))
    doc = assert_problem(resp, 422)
    assert any(field in e["field"] for e in doc["errors"]), doc
    assert field in doc["detail"]
    assert await api.counts() == before


async def test_malformed_json_is_400(api: Api) -> None:
    before = await api.counts()
    resp = await api.client.post(
        "/api/v1/petitions",
        content=b'{"jurisdiction": ',
        headers={**api.auth("county"), "Content-Type": "application/json"},
    )
    assert_problem(resp, 400)
    assert await api.counts() == before


async def test_a_callers_correlation_header_never_links_streams(api: Api) -> None:
    # a county sends the correlation id of another county's case: its own petition must not
    # join that case's chain (the audit history follows correlation ids)
    other = await api.client.post(
        "/api/v1/petitions", json=petition(jurisdiction=CITY), headers=api.auth("city")
    )
    assert other.status_code == 201, other.text
    victim = await api.pool.fetchval(
        "SELECT correlation_id FROM events WHERE stream_id = $1", other.json()["id"]
    )
    resp = await api.client.post(
        "/api/v1/petitions",
        json=petition(),
        headers={**api.auth("county"), "X-Correlation-Id": str(victim)},
    )
    assert resp.status_code == 201
    stored = await api.pool.fetchval(
        "SELECT correlation_id FROM events WHERE stream_id = $1", resp.json()["id"]
    )
    assert stored != victim


async def test_an_anonymous_summarys_numbers_are_sealed_under_a_key_of_their_own(
    api: Api,
) -> None:
    """The summary leaves intake in clear text (R11). An anonymous petition has no identity to
    seal its numbers with: they are sealed under a data key of their own
    (``PetitionReceived.summary_numbers``), a mark in the summary in place of each. The
    custodian reads them (recorded) and can erase them (R23); the petition stays anonymous."""
    before = await api.counts()
    summary = "反映某局违规发放津补贴问题，联系电话139 0794 1234，身份证11010519491231002X"
    resp = await api.client.post(
        "/api/v1/petitions", json=petition(summary=summary), headers=api.auth("county")
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["sealed_numbers"] == 2
    petition_id = resp.json()["id"]
    assert await api.counts() == (before[0] + 1, before[1] + 1, before[2] + 1)  # one key row
    payload = await api.pool.fetchval(
        "SELECT payload FROM events WHERE stream_id = $1 AND event_type = $2",
        petition_id,
        "intake.PetitionReceived",
    )
    assert payload["informant"] is None  # still anonymous: no identity, no notices
    assert payload["summary_numbers"]["ciphertext"]
    assert payload["summary"] == (
        "反映某局违规发放津补贴问题，联系电话［已密封的电话号码1］，身份证［已密封的身份证号码2］"
    )
    dump = "\n".join(texts(await api.pool.fetch("SELECT e::text AS t FROM events e")))
    for digits in ("139 0794 1234", "13907941234", "11010519491231002X"):
        assert digits not in dump

    read = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant",
        json={"reason": "核实匿名举报中的联系方式"},
        headers=api.auth("custodian"),
    )
    assert read.status_code == 200, read.text
    doc = read.json()
    assert doc["anonymous"] is True and doc["name"] is None
    assert doc["summary_numbers"] == ["139 0794 1234", "11010519491231002X"]
    erased = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant/erasure",
        json={"reason": "匿名举报号码不再需要", "legal_basis": "《个人信息保护法》第四十七条"},
        headers=api.auth("custodian"),
    )
    assert erased.status_code == 200, erased.text
    gone = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant",
        json={"reason": "再次核实联系方式"},
        headers=api.auth("custodian"),
    )
    assert_problem(gone, 410)
    # an anonymous petition without numbers sealed nothing: nothing to read (409)
    plain = await api.client.post(
        "/api/v1/petitions", json=petition(summary="反映某局问题"), headers=api.auth("county")
    )
    assert plain.status_code == 201 and plain.json()["sealed_numbers"] == 0
    nothing = await api.client.post(
        f"/api/v1/petitions/{plain.json()['id']}/informant",
        json={"reason": "核实举报内容"},
        headers=api.auth("custodian"),
    )
    assert_problem(nothing, 409)


async def test_a_summary_number_that_cannot_be_sealed_is_refused_without_echo(api: Api) -> None:
    """A number written so that it cannot be located in the typed text (circled digits) cannot
    be taken out: refused before anything is written, naming what was found, never the number;
    and a client cannot hand intake sealed summary numbers of its own."""
    before = await api.counts()
    summary = "反映某局违规发放津补贴问题，联系电话①③⑨0794１２３４"
    resp = await api.client.post(
        "/api/v1/petitions", json=petition(summary=summary), headers=api.auth("county")
    )
    doc = assert_problem(resp, 422)
    [error] = doc["errors"]
    assert error["field"] == "body.summary"
    assert "电话号码（1 处）" in error["msg"] and "无法自动密封" in error["msg"]
    assert "1 phone number(s)" in doc["detail"]
    for digits in ("0794", "１２３４"):
        assert digits not in resp.text
    assert await api.counts() == before
    forged = await api.client.post(
        "/api/v1/petitions",
        json=petition(informant={**INFORMANT, "summary_numbers": ["1"]}),
        headers=api.auth("county"),
    )
    assert_problem(forged, 422)
    assert await api.counts() == before


async def test_a_real_name_summarys_numbers_are_sealed_with_the_identity(api: Api) -> None:
    """In a real-name petition the numbers leave the summary (R11): the event holds a mark in
    place of each, the numbers are sealed with the reporter's identity, and the custodian's read
    returns them in the order of the marks."""
    summary = (
        "反映某局违规发放津补贴问题，举报人电话１３９ 0794 1234，"
        "身份证11010519491231002X，该局座机(0794)8221234。"
    )
    resp = await api.client.post(
        "/api/v1/petitions",
        json=petition(summary=summary, informant=INFORMANT),
        headers=api.auth("county"),
    )
    assert resp.status_code == 201, resp.text
    assert resp.json()["sealed_numbers"] == 3
    petition_id = resp.json()["id"]
    payload = await api.pool.fetchval(
        "SELECT payload FROM events WHERE stream_id = $1 AND event_type = $2",
        petition_id,
        "intake.PetitionReceived",
    )
    assert payload["summary"] == (
        "反映某局违规发放津补贴问题，举报人电话［已密封的电话号码1］，"
        "身份证［已密封的身份证号码2］，该局座机［已密封的电话号码3］。"
    )
    dump = "\n".join(texts(await api.pool.fetch("SELECT e::text AS t FROM events e")))
    for digits in ("１３９ 0794 1234", "0794 1234", "11010519491231002X", "8221234"):
        assert digits not in dump
    read = await api.client.post(
        f"/api/v1/petitions/{petition_id}/informant",
        json={"reason": "核实举报内容中的联系方式"},
        headers=api.auth("custodian"),
    )
    assert read.status_code == 200, read.text
    identity = read.json()
    assert identity["name"] == INFORMANT["name"]
    assert identity["summary_numbers"] == [
        "１３９ 0794 1234",
        "11010519491231002X",
        "(0794)8221234",
    ]
    # a petition without numbers keeps its summary and seals nothing more
    plain = await api.client.post(
        "/api/v1/petitions",
        json=petition(summary="反映某局违规发放津补贴问题", informant=INFORMANT),
        headers=api.auth("county"),
    )
    assert plain.status_code == 201, plain.text
    assert plain.json()["sealed_numbers"] == 0
