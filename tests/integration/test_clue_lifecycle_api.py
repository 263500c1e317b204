"""The clue lifecycle routes against the real PostgreSQL: direct registration by a group (its
own group only; no informant identity in the summary), verification, acknowledgement and
result by the receiving department only (another is the uniform 404), disposal and archiving
by the office; every illegal transition is a 409 naming the clue's state and writes nothing."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from xuncha_clues.adapters import findings
from xuncha_clues.bootstrap import SPEC, handlers
from xuncha_clues.domain.commands import RegisterClue
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.commands import Meta
from xuncha_shared.domain.principals import Principal, Role
from xuncha_shared.envelope import Actor

from tests.support.principals import LINCHUAN, OFFICES, PROBLEM, department
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

GROUP = uuid.uuid4()
ROUND = uuid.uuid4()
UNIT = uuid.uuid4()
PRINCIPALS = {
    **OFFICES,
    "jw": department("jw", Department.DISCIPLINE),
    "zzb": department("zzb", Department.ORGANISATION),
    "bound": Principal(id="lc-g1", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=GROUP),
    # a member of another group of the same county
    "stranger": Principal(
        id="lc-g2", role=Role.GROUP_MEMBER, jurisdiction=LINCHUAN, group_id=uuid.uuid4()
    ),
}


@pytest.fixture(scope="module")
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    async with in_process_service(infra, SPEC, PRINCIPALS, label="lc") as service:
        yield service


def registration(**extra: Any) -> dict[str, Any]:
    return {
        "jurisdiction": LINCHUAN,
        "round_id": str(ROUND),
        "group_id": str(GROUP),
        "unit_id": str(UNIT),
        "source_channel": "individual_talk",
        "summary": "个别谈话反映该局副局长违规发放津补贴",
        "persons": [{"cadre_level": "section", "city_managed": False}],
        **extra,
    }


async def events(svc: InProcessService, clue_id: str | None = None) -> int:
    if clue_id is None:
        return int(await svc.ctx.pool.fetchval("SELECT count(*) FROM events"))
    return int(
        await svc.ctx.pool.fetchval("SELECT count(*) FROM events WHERE stream_id = $1", clue_id)
    )


async def post(svc: InProcessService, path: str, who: str, body: Any = None) -> Any:
    return await svc.client.post(f"/api/v1/clues{path}", json=body, headers=svc.auth(who))


async def ok(svc: InProcessService, path: str, who: str, body: Any = None) -> dict[str, Any]:
    resp = await post(svc, path, who, body)
    assert resp.status_code in (200, 201), resp.text
    doc: dict[str, Any] = resp.json()
    return doc


def refused(resp: Any, status: int) -> dict[str, Any]:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith(PROBLEM)
    doc: dict[str, Any] = resp.json()
    return doc


async def new_clue(svc: InProcessService) -> str:
    doc = await ok(svc, "", "bound", registration())
    assert doc["status"] == "registered" and doc["group_id"] == str(GROUP)
    assert doc["persons"] == [{"cadre_level": "section", "city_managed": False}]
    return str(doc["id"])


async def test_a_group_registers_only_for_its_own_group(svc: InProcessService) -> None:
    before = await events(svc)
    other = registration(group_id=str(uuid.uuid4()))
    refused(await post(svc, "", "bound", other), 404)
    refused(await post(svc, "", "jw", registration()), 403)
    refused(await post(svc, "", "auditor", registration()), 403)
    refused(await post(svc, "", "other", registration()), 403)  # another county's jurisdiction
    assert await events(svc) == before
    clue_id = await new_clue(svc)
    resp = await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("county"))
    assert resp.json()["source_channel"] == "individual_talk"


@pytest.mark.parametrize(
    "summary", ["举报人张某电话13907941234反映", "举报人身份证号36100219800101123X"]
)
async def test_the_summary_never_carries_the_informant(svc: InProcessService, summary: str) -> None:
    before = await events(svc)
    doc = refused(await post(svc, "", "bound", registration(summary=summary)), 422)
    assert "R11" in doc["detail"]
    assert await events(svc) == before


async def test_the_path_and_every_illegal_transition(svc: InProcessService) -> None:
    clue_id = await new_clue(svc)

    async def illegal(path: str, who: str, body: Any, state: str) -> None:
        before = await events(svc, clue_id)
        doc = refused(await post(svc, f"/{clue_id}/{path}", who, body), 409)
        assert state in doc["detail"], doc
        assert await events(svc, clue_id) == before

    verify = {"method": "verification", "outcome": "属实", "notes": "调阅账目"}
    result = {"disposition": "case_opened", "concluded_on": "2020-01-01", "summary": "立案"}
    await illegal("verify", "bound", verify, "registered")  # not classified yet
    await illegal("dispose", "county", {}, "registered")
    await illegal("archive", "county", {"reason": "x"}, "registered")
    # a topic is a short name (at most 30 characters): a paragraph is refused, nothing written
    long_topic = {"category": "further_inquiry", "topics": ["违" * 31]}
    before = await events(svc, clue_id)
    doc = refused(await post(svc, f"/{clue_id}/classify", "bound", long_topic), 422)
    assert "过长" in doc["detail"], doc
    assert await events(svc, clue_id) == before
    classification = {"category": "further_inquiry", "cadre_level": "section", "topics": ["违纪"]}
    await ok(svc, f"/{clue_id}/classify", "bound", classification)
    assert (await ok(svc, f"/{clue_id}/verify", "bound", verify))["verifications"] == 1
    # not transferred: the departments do not know it
    refused(await post(svc, f"/{clue_id}/acknowledge", "jw"), 404)
    refused(await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("jw")), 404)
    await ok(svc, f"/{clue_id}/transfer", "county",
             {"department": "discipline_commission", "reason": "移交"})  # fmt: skip
    await illegal("verify", "bound", verify, "transferred")
    await illegal("escalate", "county", {"reason": "x"}, "transferred")
    # the result before the acknowledgement
    await illegal("result", "jw", result, "transferred")
    # another department: the uniform 404, word for word, and nothing written
    before = await events(svc, clue_id)
    unknown_id = str(uuid.uuid4())
    foreign = refused(await post(svc, f"/{clue_id}/acknowledge", "zzb"), 404)
    unknown = refused(await post(svc, f"/{unknown_id}/acknowledge", "zzb"), 404)
    assert foreign["detail"] == unknown["detail"].replace(unknown_id, clue_id)
    refused(await post(svc, f"/{clue_id}/result", "zzb", result), 404)
    refused(await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("zzb")), 404)
    listed = await svc.client.get("/api/v1/clues", headers=svc.auth("zzb"))
    assert clue_id not in listed.text
    refused(await post(svc, f"/{clue_id}/acknowledge", "county"), 403)  # offices do not sign
    assert await events(svc, clue_id) == before
    # the department sees and lists it: the matter, never its source (the channel, the round
    # and the group that found it), which the office reads
    seen = await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("jw"))
    assert seen.status_code == 200, seen.text
    source = ("source_channel", "source_petition_id", "round_id", "group_id")
    assert [seen.json()[k] for k in source] == [None] * 4, seen.text
    assert "个别谈话反映" in seen.json()["summary"]
    office_view = await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("county"))
    assert office_view.json()["source_channel"] == "individual_talk"
    listed = await svc.client.get("/api/v1/clues", headers=svc.auth("jw"))
    assert clue_id in listed.text
    signed = await ok(svc, f"/{clue_id}/acknowledge", "jw")
    assert [signed[k] for k in source] == [None] * 4, signed
    await illegal("acknowledge", "jw", None, "acknowledged")
    await illegal("dispose", "county", {}, "acknowledged")
    bad = refused(
        await post(svc, f"/{clue_id}/result", "jw", {**result, "concluded_on": "2999-01-01"}), 422
    )
    assert "after today" in bad["detail"]
    refused(
        await post(svc, f"/{clue_id}/result", "jw", {**result, "disposition": "investigate"}), 422
    )
    result["concluded_on"] = datetime.now(UTC).astimezone(CST).date().isoformat()
    doc = await ok(svc, f"/{clue_id}/result", "jw", result)
    assert doc["status"] == "result_reported" and doc["disposition_zh"] == "立案审查调查"
    await illegal("result", "jw", result, "result_reported")
    refused(await post(svc, f"/{clue_id}/dispose", "jw", {}), 403)
    doc = await ok(svc, f"/{clue_id}/dispose", "county", {"note": "办结"})
    assert doc["status"] == "disposed" and doc["status_zh"] == "已办结"
    await illegal("dispose", "county", {}, "disposed")
    await illegal("archive", "county", {"reason": "x"}, "disposed")
    await illegal("acknowledge", "jw", None, "disposed")
    before = await events(svc, clue_id)
    refused(await post(svc, f"/{clue_id}/classify", "county", {"category": "inquiry"}), 409)
    assert await events(svc, clue_id) == before


async def test_a_reference_clue_is_kept_then_archived(svc: InProcessService) -> None:
    clue_id = await new_clue(svc)
    doc = await ok(svc, f"/{clue_id}/classify", "county", {"category": "reference"})
    assert doc["status"] == "kept"
    before = await events(svc, clue_id)
    doc = refused(
        await post(svc, f"/{clue_id}/transfer", "county",
                   {"department": "discipline_commission", "reason": "x"}),
        409,
    )  # fmt: skip
    assert "kept" in doc["detail"]
    assert await events(svc, clue_id) == before
    doc = await ok(svc, f"/{clue_id}/archive", "county", {"reason": "参考类，留存备查"})
    assert doc["status"] == "archived"
    assert doc["status_zh"] == "已存档"


async def test_a_group_member_sees_its_groups_clues_and_its_rounds_units_only(
    svc: InProcessService,
) -> None:
    """Domain.md section 7: a group sees its round and units. A member of the group lists and
    reads the clues its group registered and those no group did (a petition the office took) of
    its round about a unit it inspects or none in particular; a member of another group of the
    county neither lists nor reads them (404), nor a clue of another round or of none; the
    offices see them all."""
    await findings.SqlLookups(svc.ctx.pool).record_group(None, GROUP, ROUND, LINCHUAN, [UNIT], None)
    clue_id = await new_clue(svc)
    clue_handlers = handlers(svc.ctx)

    async def office_took(round_id: str | None, unit_id: uuid.UUID | None) -> str:
        cmd = RegisterClue(
            clue_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局", summary="来信反映",
            round_id=round_id, unit_id=unit_id, source_channel="letter",
        )  # fmt: skip
        meta = Meta(actor=Actor(principal_id="clues-consumer", role="system"))
        return str((await clue_handlers.register(cmd, meta)).clue_id)

    of_round = await office_took(str(ROUND), None)
    of_unit = await office_took(str(ROUND), UNIT)
    other_unit = await office_took(str(ROUND), uuid.uuid4())
    other_round = await office_took(str(uuid.uuid4()), UNIT)
    no_round = await office_took(None, None)

    async def listed(who: str) -> dict[str, Any]:
        resp = await svc.client.get("/api/v1/clues", params={"limit": 500}, headers=svc.auth(who))
        assert resp.status_code == 200, resp.text
        doc = resp.json()
        assert doc["total"] == len(doc["items"])
        return {i["id"]: i for i in doc["items"]}

    summary = registration()["summary"]
    mine = await listed("bound")
    seen, unseen = {clue_id, of_round, of_unit}, {other_unit, other_round, no_round}
    assert seen <= set(mine) and not unseen & set(mine)
    assert mine[clue_id]["summary"] == summary
    assert not (seen | unseen) & set(await listed("stranger"))
    for clue in seen:
        page = await svc.client.get(f"/api/v1/clues/{clue}", headers=svc.auth("bound"))
        assert page.status_code == 200, page.text
        page = await svc.client.get(f"/api/v1/clues/{clue}", headers=svc.auth("stranger"))
        assert page.status_code == 404
    for clue in unseen:
        page = await svc.client.get(f"/api/v1/clues/{clue}", headers=svc.auth("bound"))
        assert page.status_code == 404, clue
        history = await svc.client.get(f"/api/v1/clues/{clue}/history", headers=svc.auth("bound"))
        assert history.status_code == 404
    # a finding may name only the clues the member sees: another's is an unknown clue's 404
    day = datetime.now(UTC).astimezone(CST).date().isoformat()
    for clue, status in ((other_round, 404), (of_unit, 201)):
        body = {"clue_ids": [clue], "held_on": day, "participants": ["组长"], "decision": "会商"}
        held = await svc.client.post("/api/v1/consultations", json=body, headers=svc.auth("bound"))
        assert held.status_code == status, held.text
    everything = {clue_id, of_round, of_unit, other_unit, other_round, no_round}
    assert everything <= set(await listed("county"))
    assert (await listed("city"))[clue_id]["summary"] == summary  # the city office


async def test_a_department_reads_a_seal_mark_as_left_out(svc: InProcessService) -> None:
    """A summary with a sealed number's mark (a real-name petition's phone, R11) reaches its
    department with the mark blinded, on the clue's page and in its history: the department
    gets the matter, never the source (not even that the reporter gave a phone number)."""
    cmd = RegisterClue(
        clue_id=uuid.uuid4(), jurisdiction=LINCHUAN, unit="临川区某局",
        summary="实名来信反映违规发放津补贴，举报人电话［已密封的电话号码1］",
        round_id=str(ROUND), source_channel="letter",
    )  # fmt: skip
    meta = Meta(actor=Actor(principal_id="clues-consumer", role="system"))
    clue_id = str((await handlers(svc.ctx).register(cmd, meta)).clue_id)
    await ok(svc, f"/{clue_id}/classify", "county", {"category": "inquiry", "topics": ["违纪"]})
    transfer = {"department": "discipline_commission", "reason": "按规定移交"}
    await ok(svc, f"/{clue_id}/transfer", "county", transfer)
    page = await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("jw"))
    assert page.json()["summary"] == "实名来信反映违规发放津补贴，举报人电话［已隐去］"
    history = await svc.client.get(f"/api/v1/clues/{clue_id}/history", headers=svc.auth("jw"))
    assert history.status_code == 200 and "已密封" not in history.text
    listed = await svc.client.get("/api/v1/clues", headers=svc.auth("jw"))
    [row] = [i for i in listed.json()["items"] if i["id"] == clue_id]
    assert row["summary"] == "实名来信反映违规发放津补贴，举报人电话［已隐去］"
    office = await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth("county"))
    assert "［已密封的电话号码1］" in office.json()["summary"]  # the office reads the mark
