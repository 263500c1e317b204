"""The informant custodian erases a reporter's identity (R23): through intake's API and through
``xuncha informants erase``, against the real PostgreSQL. The person's data key is destroyed in
the transaction that records ``intake.InformantIdentityErased`` (no personal data in it); reads
answer 410 afterwards and are still recorded; a second erasure is 409; other roles 403, another
county's custodian 404, an anonymous petition 409, a missing legal basis 422 (nothing recorded);
the hash chains still verify; the auditors' view lists the erasure."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from typer.testing import CliRunner
from xuncha_intake.bootstrap import SPEC
from xuncha_reporting.bootstrap import SPEC as REPORTING
from xuncha_shared.audit.chain import verify_database
from xuncha_shared.cli.commands import app as cli
from xuncha_shared.domain.principals import Principal, Role

from tests.support.principals import CITY, LINCHUAN, NANCHENG, OFFICES
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

ERASED = "intake.InformantIdentityErased"
BODY = {"reason": "举报人书面申请删除其个人信息", "legal_basis": "《个人信息保护法》第四十七条"}
INFORMANT = {"name": "王秀英", "phone": "13907941234", "id_number": "11010519491231002X"}
PRINCIPALS = {
    "custodian": Principal(id="custodian-fz", role=Role.CUSTODIAN, jurisdiction=CITY),
    "nc-custodian": Principal(id="custodian-nc", role=Role.CUSTODIAN, jurisdiction=NANCHENG),
    "auditor": Principal(id="auditor-fz", role=Role.AUDITOR, jurisdiction=CITY),
    **OFFICES,
}


@pytest.fixture(scope="module")
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="erase") as service:
        yield service


async def petition(svc: InProcessService, *, informant: bool = True) -> str:
    body: dict[str, Any] = {
        "jurisdiction": LINCHUAN,
        "unit": "临川区某局",
        "channel": "letter",
        "summary": "反映某局违规发放津补贴问题",
    }
    if informant:
        body["informant"] = INFORMANT
    resp = await svc.client.post("/api/v1/petitions", json=body, headers=svc.auth("city"))
    assert resp.status_code == 201, resp.text
    return str(resp.json()["id"])


async def erase(svc: InProcessService, petition_id: str, who: str, body: Any = None) -> Any:
    return await svc.client.post(
        f"/api/v1/petitions/{petition_id}/informant/erasure",
        json=BODY if body is None else body,
        headers=svc.auth(who),
    )


async def erasures(svc: InProcessService, petition_id: str) -> list[Any]:
    return list(
        await svc.ctx.pool.fetch(
            "SELECT * FROM events WHERE stream_id = $1 AND event_type = $2", petition_id, ERASED
        )
    )


async def test_custodian_erases_reads_are_410_and_the_history_verifies(
    svc: InProcessService,
) -> None:
    petition_id = await petition(svc)
    person_id = (
        await svc.ctx.pool.fetchval(
            "SELECT payload FROM events WHERE stream_id = $1 AND stream_version = 1", petition_id
        )
    )["informant"]["person_id"]
    resp = await erase(svc, petition_id, "custodian")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["erased"] is True and body["petition_id"] == petition_id

    [row] = await erasures(svc, petition_id)
    assert str(row["event_id"]) == body["erasure_event_id"]
    assert row["actor"] == {"principal_id": "custodian-fz", "role": "informant_custodian"}
    assert row["payload"] == {
        "petition_id": petition_id,
        "person_id": person_id,
        "trigger": "custodian",
        **BODY,
    }
    stored = json.dumps(row["payload"], ensure_ascii=False)
    assert not any(value in stored for value in INFORMANT.values())  # no personal data
    # the key is gone (crypto-shredding), in the same transaction
    key = await svc.ctx.pool.fetchrow(
        "SELECT * FROM informant_keys WHERE person_id = $1", row["payload"]["person_id"]
    )
    assert key is not None and key["wrapped_key"] is None and key["erased_at"] is not None

    read = await svc.client.post(
        f"/api/v1/petitions/{petition_id}/informant",
        json={"reason": "核实举报人身份以便回访"},
        headers=svc.auth("custodian"),
    )
    assert read.status_code == 410, read.text
    assert not any(value in read.text for value in INFORMANT.values())

    again = await erase(svc, petition_id, "custodian")
    assert again.status_code == 409, again.text
    assert "erased already" in again.json()["detail"]
    assert len(await erasures(svc, petition_id)) == 1

    async with svc.ctx.pool.acquire() as conn:
        report = await verify_database(conn, "intake")
    assert report.intact, report


async def test_refusals_record_nothing(svc: InProcessService) -> None:
    petition_id = await petition(svc)
    for who, status in (("city", 403), ("nc-custodian", 404), ("auditor", 403)):
        resp = await erase(svc, petition_id, who)
        assert resp.status_code == status, (who, resp.text)
    no_basis = await erase(svc, petition_id, "custodian", {"reason": BODY["reason"]})
    assert no_basis.status_code == 422
    short = await erase(svc, petition_id, "custodian", {**BODY, "legal_basis": "法"})
    assert short.status_code == 422
    anonymous = await petition(svc, informant=False)
    assert (await erase(svc, anonymous, "custodian")).status_code == 409
    assert await erasures(svc, petition_id) == []
    assert await erasures(svc, anonymous) == []


async def test_the_cli_erases_through_the_api(
    svc: InProcessService, monkeypatch: pytest.MonkeyPatch
) -> None:
    petition_id = await petition(svc)
    posted: list[str] = []

    def post(url: str, **kwargs: Any) -> Any:  # the CLI's HTTP call, served by the test's app
        import anyio
        import httpx

        posted.append(url)
        path = url.split("http://127.0.0.1:8001", 1)[1]

        async def call() -> httpx.Response:
            return await svc.client.post(path, json=kwargs["json"], headers=kwargs["headers"])

        return anyio.from_thread.run(call)

    monkeypatch.setattr("xuncha_shared.cli.informants.httpx.post", post)

    def invoke() -> Any:
        return CliRunner().invoke(
            cli,
            [
                "informants",
                "erase",
                petition_id,
                "--reason",
                BODY["reason"],
                "--legal-basis",
                BODY["legal_basis"],
                "--json",
            ],
            env={"XUNCHA_TOKEN": svc.tokens["custodian"]},
        )

    import anyio.to_thread

    result = await anyio.to_thread.run_sync(invoke)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["petition_id"] == petition_id
    assert posted == [f"http://127.0.0.1:8001/api/v1/petitions/{petition_id}/informant/erasure"]
    assert len(await erasures(svc, petition_id)) == 1
    second = await anyio.to_thread.run_sync(invoke)
    assert second.exit_code == 2 and "409" in second.output


async def test_the_auditors_view_lists_erasures(svc: InProcessService, infra: Any) -> None:
    petition_id = await petition(svc)
    assert (await erase(svc, petition_id, "custodian")).status_code == 200
    assert REPORTING.name == "reporting"  # the view is reporting's: read as the auditor role
    from xuncha_reporting.entrypoints.audit import identity_reads

    rows = await svc.ctx.pool.fetch(
        identity_reads._IDENTITY_READS_SQL,
        identity_reads.IDENTITY_ERASED_EVENT,
        "3610__",
        None,
        100,
    )
    listed = [identity_reads._identity_read_out(r) for r in rows]
    mine = [e for e in listed if e.petition_id == petition_id]
    assert len(mine) == 1
    assert mine[0].trigger == "custodian"
    assert mine[0].legal_basis == BODY["legal_basis"]
    assert mine[0].actor.principal_id == "custodian-fz"
