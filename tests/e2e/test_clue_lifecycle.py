"""A clue to its result with every service as its own process, over the real broker and
databases: petition → clue → verify → escalate → transfer → acknowledge → result → disposed →
the informant custodian's result notice (R8); once with the department signing directly, once
through its 签收 in reporting's feed (one acknowledgement whichever way). Another department
never sees the clue (404); the receipt code follows the clue to 已办结; the funnel counts it."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import asyncpg
import httpx
import pytest
from xuncha_shared.auth.tokens import create_token_in
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.principals import Principal, Role

from tests.e2e.stack import LINCHUAN, Running, submit_petition

pytestmark = [pytest.mark.timeout(600)]

CITY = "361000"
CST = timezone(timedelta(hours=8))
EXTRA = {
    "organisation": Principal(
        id="e2e-zzb", role=Role.DEPARTMENT, jurisdiction=CITY, department=Department.ORGANISATION
    ),
    "custodian": Principal(id="e2e-custodian", role=Role.CUSTODIAN, jurisdiction=LINCHUAN),
}


@pytest.fixture(scope="module")
async def stack(default_stack: Running) -> Running:
    running = default_stack  # the shared stack (tests/e2e/conftest.py)
    for name, principal in EXTRA.items():
        running.tokens[name] = await create_token_in(running.databases.values(), principal)
    return running


def auth(stack: Running, who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.tokens[who]}"}


async def until(check: Callable[[], Awaitable[Any]], what: str, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    while True:
        found = await check()
        if found:
            return found
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.2)


def today() -> str:
    return datetime.now(UTC).astimezone(CST).date().isoformat()


class Api:
    def __init__(self, stack: Running) -> None:
        self.stack = stack

    async def call(
        self, service: str, method: str, path: str, who: str, body: Any = None
    ) -> httpx.Response:
        async with httpx.AsyncClient(base_url=self.stack.urls[service], timeout=20) as client:
            return await client.request(method, path, json=body, headers=auth(self.stack, who))

    async def clue(self, clue_id: str, path: str, who: str, body: Any = None) -> httpx.Response:
        return await self.call("clues", "POST", f"/api/v1/clues/{clue_id}/{path}", who, body)

    async def ok(self, clue_id: str, path: str, who: str, body: Any = None) -> dict[str, Any]:
        resp = await self.clue(clue_id, path, who, body)
        assert resp.status_code in (200, 201), resp.text
        doc: dict[str, Any] = resp.json()
        return doc

    async def status(self, clue_id: str) -> str:
        resp = await self.call("clues", "GET", f"/api/v1/clues/{clue_id}", "city")
        return str(resp.json().get("status")) if resp.status_code == 200 else ""

    async def feed_item(self, clue_id: str) -> dict[str, Any] | None:
        resp = await self.call(
            "reporting", "GET", "/api/v1/feeds/discipline_commission", "discipline"
        )
        assert resp.status_code == 200, resp.text
        for item in resp.json()["items"]:
            if item["ref_id"] == clue_id:
                found: dict[str, Any] = item
                return found
        return None


async def registered_clue(api: Api, summary: str) -> tuple[str, str, str]:
    petition = await submit_petition(api.stack, summary)
    petition_id = str(petition["id"])
    clue_id = str(clue_id_for_petition(uuid.UUID(petition_id)))

    async def registered() -> bool:
        return await api.status(clue_id) == "registered"

    await until(registered, "the clue of the petition")
    return petition_id, str(petition["receipt_code"]), clue_id


async def result_and_disposal(api: Api, clue_id: str) -> None:
    body = {"disposition": "talk_or_letter", "concluded_on": today(), "summary": "已谈话提醒"}
    doc = await api.ok(clue_id, "result", "discipline", body)
    assert doc["status"] == "result_reported" and doc["disposition_zh"] == "谈话函询"
    doc = await api.ok(clue_id, "dispose", "city", {"note": "办结"})
    assert doc["status"] == "disposed"


async def test_the_whole_path_with_a_direct_acknowledgement(stack: Running) -> None:
    api = Api(stack)
    petition_id, code, clue_id = await registered_clue(api, "反映临川区某局长违规收受礼金问题")
    await api.ok(
        clue_id,
        "classify",
        "linchuan",
        {"category": "further_inquiry", "cadre_level": "division", "city_managed": True,
         "topics": ["违纪"]},
    )  # fmt: skip
    doc = await api.ok(
        clue_id, "verify", "linchuan", {"method": "quick_check", "outcome": "基本属实"}
    )
    assert doc["status"] == "verifying"
    await api.ok(clue_id, "escalate", "linchuan", {"reason": "涉及市管干部 (R12)"})
    await api.ok(clue_id, "transfer", "city", {"department": "discipline_commission",
                                              "reason": "按规定移交"})  # fmt: skip
    # another department: the uniform 404, reading and acting alike
    for resp in (
        await api.call("clues", "GET", f"/api/v1/clues/{clue_id}", "organisation"),
        await api.clue(clue_id, "acknowledge", "organisation"),
    ):
        assert resp.status_code == 404, resp.text
    doc = await api.ok(clue_id, "acknowledge", "discipline")
    assert doc["status"] == "acknowledged" and doc["acknowledged_via"] == "direct"
    again = await api.clue(clue_id, "acknowledge", "discipline")
    assert again.status_code == 409 and "acknowledged" in again.json()["detail"]

    async def feed_acked() -> bool:
        item = await api.feed_item(clue_id)
        return bool(item and item["acknowledged"])

    await until(feed_acked, "the feed item acknowledged by the direct 签收")
    # the feed's 签收 after the direct one: refused, nothing more
    item = await api.feed_item(clue_id)
    assert item is not None
    # transferred by the city office (市本级), it names the county that reported it up
    assert (item["jurisdiction"], item["escalated_from"], item["escalated_from_name"]) == (
        CITY,
        LINCHUAN,
        "临川区",
    )
    resp = await api.call(
        "reporting", "POST", f"/api/v1/feeds/discipline_commission/items/{item['item_id']}/ack",
        "discipline", {},
    )  # fmt: skip
    assert resp.status_code == 409, resp.text

    await result_and_disposal(api, clue_id)

    # intake learns the disposal: the receipt shows 已办结, the R8 result notice is due
    async def receipt_disposed() -> bool:
        resp = await api.call("intake", "GET", f"/api/v1/receipts/{code}", "city")
        return resp.status_code == 200 and resp.json()["status"] == "disposed"

    await until(receipt_disposed, "the receipt status disposed")
    intake = await asyncpg.connect(stack.admin_database_url("intake"))
    try:

        async def notice_clock() -> Any:
            return await intake.fetchrow(
                "SELECT * FROM deadlines WHERE kind = 'intake.result_notice' AND key = $1",
                petition_id,
            )

        row = await until(notice_clock, "the result-notice clock")
        assert row["state"] == "running" and row["rule_id"] == "jianju_2020_result"
        resp = await api.call(
            "intake", "POST", f"/api/v1/petitions/{petition_id}/notices", "custodian",
            {"kind": "result", "channel": "phone", "sent_on": today()},
        )  # fmt: skip
        assert resp.status_code in (200, 201), resp.text
        assert (await notice_clock())["state"] == "met"
    finally:
        await intake.close()
    clues = await asyncpg.connect(stack.admin_database_url("clues"))
    try:
        types = [
            r["event_type"]
            for r in await clues.fetch(
                "SELECT event_type FROM events WHERE stream_id = $1 ORDER BY stream_version",
                clue_id,
            )
        ]
        r3 = await clues.fetchval(
            "SELECT state FROM deadlines WHERE kind = 'clues.transfer_result' AND key = $1",
            clue_id,
        )
    finally:
        await clues.close()
    assert types == [
        "clues.ClueRegistered",
        "clues.ClueClassified",
        "clues.ClueVerified",
        "clues.ClueEscalated",
        "clues.ClueTransferred",
        "clues.ClueAcknowledged",
        "clues.TransferResultReported",
        "clues.ClueDisposed",
    ]
    assert r3 == "met"

    async def funnel_counts() -> Any:
        resp = await api.call("reporting", "GET", "/api/v1/views/clues", "city")
        assert resp.status_code == 200, resp.text
        total = resp.json()["total"]
        return total if total["disposed"] >= 1 else None

    total = await until(funnel_counts, "the funnel")
    assert total["verified"] >= 1 and total["escalated"] >= 1 and total["acknowledged"] >= 1
    assert {"disposition": "talk_or_letter", "label": "谈话函询"}.items() <= (
        total["results_by_disposition"][0].items()
    )

    # 临川区 counts the same for the city whether read among all the counties or alone: its
    # escalated clue's transfer, made by the city, in both (its own office stops at the
    # escalation, 不扩大知情范围)
    async def funnel(query: str, who: str) -> Any:
        resp = await api.call("reporting", "GET", f"/api/v1/views/clues{query}", who)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def counts(row: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in row.items() if isinstance(v, int)}

    [among] = [
        r for r in (await funnel("", "city"))["jurisdictions"] if r["jurisdiction"] == LINCHUAN
    ]
    [alone] = (await funnel(f"?jurisdiction={LINCHUAN}", "city"))["jurisdictions"]
    assert counts(alone) == counts(among) and counts(among)["transferred"] >= 1
    [own] = (await funnel("", "linchuan"))["jurisdictions"]
    assert own["registered"] == among["registered"]
    assert own["transferred"] <= among["transferred"]


async def test_the_department_acknowledges_through_its_feed(stack: Running) -> None:
    api = Api(stack)
    _, _, clue_id = await registered_clue(api, "反映临川区某局违规公款吃喝问题（签收经成果共享）")
    await api.ok(clue_id, "classify", "linchuan",
                 {"category": "inquiry", "cadre_level": "section", "topics": ["四风"]})  # fmt: skip
    await api.ok(clue_id, "transfer", "linchuan", {"department": "discipline_commission",
                                                  "reason": "按规定移交"})  # fmt: skip
    item = await until(lambda: api.feed_item(clue_id), "the feed item")
    assert item["acknowledged"] is False and item["result_state"] == "transferred"
    resp = await api.call(
        "reporting", "POST", f"/api/v1/feeds/discipline_commission/items/{item['item_id']}/ack",
        "discipline", {"note": "已签收"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text

    async def acknowledged() -> bool:
        return await api.status(clue_id) == "acknowledged"

    await until(acknowledged, "the clue acknowledged from the feed")
    doc = (await api.call("clues", "GET", f"/api/v1/clues/{clue_id}", "discipline")).json()
    assert doc["acknowledged_via"] == "feed"
    # the feed's note is the office's to read in the clue's record (签收备注)
    history = await api.call("clues", "GET", f"/api/v1/clues/{clue_id}/history", "linchuan")
    [ack] = [h for h in history.json()["items"] if h["event_type"] == "clues.ClueAcknowledged"]
    assert ack["detail_zh"].endswith("；签收备注：已签收"), ack
    # the direct 签收 after the feed's: 409 naming the state, nothing written
    resp = await api.clue(clue_id, "acknowledge", "discipline")
    assert resp.status_code == 409 and "acknowledged" in resp.json()["detail"]
    await result_and_disposal(api, clue_id)

    async def feed_shows_the_result() -> bool:
        found = await api.feed_item(clue_id)
        return bool(found and found["result_state"] == "disposed")

    await until(feed_shows_the_result, "the feed showing the disposal")
    clues = await asyncpg.connect(stack.admin_database_url("clues"))
    try:
        acks = await clues.fetchval(
            "SELECT count(*) FROM events WHERE stream_id = $1 AND event_type = $2",
            clue_id,
            "clues.ClueAcknowledged",
        )
    finally:
        await clues.close()
    assert acks == 1


async def test_the_office_urges_the_department_for_its_result(stack: Running) -> None:
    """催办 (R27): the office chases the department while the result is awaited, once a day;
    the urge names R3's last day, shows in the clue's history and in the department's feed,
    where signing for it signs for the urge only, not for the clue."""
    api = Api(stack)
    _, _, clue_id = await registered_clue(api, "反映临川区某局违规发放津补贴问题（催办）")
    await api.ok(clue_id, "classify", "linchuan",
                 {"category": "inquiry", "cadre_level": "section", "topics": ["四风"]})  # fmt: skip
    # nothing to chase before the transfer: 409 naming the state
    resp = await api.clue(clue_id, "urges", "linchuan", {"note": "请反馈"})
    assert resp.status_code == 409 and "classified" in resp.json()["detail"], resp.text
    await api.ok(clue_id, "transfer", "linchuan", {"department": "discipline_commission",
                                                  "reason": "按规定移交"})  # fmt: skip
    got = (await api.call("clues", "GET", f"/api/v1/clues/{clue_id}", "linchuan")).json()
    due = got["result_due_date"]  # R3: three months from the transfer
    assert due is not None and due > today() and got["urges"] == 0

    # the department does not urge; a blank note is refused
    resp = await api.clue(clue_id, "urges", "discipline", {"note": "请反馈"})
    assert resp.status_code == 403, resp.text
    resp = await api.clue(clue_id, "urges", "linchuan", {"note": "   "})
    assert resp.status_code == 422 and resp.json()["errors"][0]["field"] == "body.note"

    note = f"请于{due}前反馈该线索的办理情况。"
    doc = await api.ok(clue_id, "urges", "linchuan", {"note": note})
    assert (doc["urges"], doc["last_urged_on"], doc["status"]) == (1, today(), "transferred")
    resp = await api.clue(clue_id, "urges", "linchuan", {"note": note})  # the same day again
    assert resp.status_code == 409 and "已催办" in resp.json()["detail"], resp.text

    history = await api.call("clues", "GET", f"/api/v1/clues/{clue_id}/history", "linchuan")
    [urge] = [h for h in history.json()["items"] if h["event_type"] == "clues.TransferResultUrged"]
    assert urge["title_zh"] == "催办办理结果"
    assert urge["detail_zh"] == f"第1次催办纪委监委（办理期限 {due}）；催办意见：{note}"

    async def urge_item() -> dict[str, Any] | None:
        resp = await api.call(
            "reporting", "GET", "/api/v1/feeds/discipline_commission?kind=clue_urge", "discipline"
        )
        assert resp.status_code == 200, resp.text
        items = [i for i in resp.json()["items"] if i["ref_id"] == clue_id]
        return items[0] if items else None

    item = await until(urge_item, "the urge in the department's feed")
    assert (item["kind_zh"], item["reason"], item["due_date"]) == ("催办", note, due)
    assert (item["result_state"], item["urges"], item["last_urged_on"]) == (
        "transferred",
        1,
        today(),
    )
    resp = await api.call(
        "reporting", "POST", f"/api/v1/feeds/discipline_commission/items/{item['item_id']}/ack",
        "discipline", {"note": "收到催办"},
    )  # fmt: skip
    assert resp.status_code == 201, resp.text
    ack_event = resp.json()["event_id"]
    clues = await asyncpg.connect(stack.admin_database_url("clues"))
    try:

        async def ack_seen() -> bool:
            return bool(
                await clues.fetchval(
                    "SELECT count(*) FROM inbox WHERE consumer = $1 AND event_id = $2",
                    "clues.feed-acknowledgements",
                    uuid.UUID(ack_event),
                )
            )

        await until(ack_seen, "the clues service reading the urge's 签收")
    finally:
        await clues.close()
    # signing for the urge is not signing for the clue
    assert await api.status(clue_id) == "transferred"
    await api.ok(clue_id, "acknowledge", "discipline")
    await result_and_disposal(api, clue_id)
    resp = await api.clue(clue_id, "urges", "city", {"note": note})  # the result is in
    assert resp.status_code == 409 and "disposed" in resp.json()["detail"], resp.text


async def test_an_urge_answered_by_the_result_no_longer_waits_to_be_signed_for(
    stack: Running,
) -> None:
    """A 催办 the department never signed for is answered once it reports the clue's result:
    its feed item says so (``answered``), it leaves 待签收 (the feed's ``unacknowledged`` and
    ``acknowledged=false``), and it stays in the feed."""
    api = Api(stack)
    _, _, clue_id = await registered_clue(api, "反映临川区某局违规公款吃喝问题（催办后反馈）")
    await api.ok(clue_id, "classify", "linchuan",
                 {"category": "inquiry", "cadre_level": "section", "topics": ["四风"]})  # fmt: skip
    transfer = {"department": "discipline_commission", "reason": "涉嫌违反中央八项规定精神"}
    await api.ok(clue_id, "transfer", "linchuan", transfer)
    await api.ok(clue_id, "urges", "linchuan", {"note": "请尽快反馈办理情况"})
    feed = "/api/v1/feeds/discipline_commission"

    async def urge_item(**query: str) -> dict[str, Any] | None:
        params = "&".join(f"{k}={v}" for k, v in {"kind": "clue_urge", **query}.items())
        resp = await api.call("reporting", "GET", f"{feed}?{params}&limit=200", "discipline")
        assert resp.status_code == 200, resp.text
        mine = [i for i in resp.json()["items"] if i["ref_id"] == clue_id]
        return mine[0] if mine else None

    waiting = await until(lambda: urge_item(acknowledged="false"), "the urge waiting")
    assert waiting["answered"] is False
    before = (await api.call("reporting", "GET", feed, "discipline")).json()["unacknowledged"]
    await api.ok(clue_id, "acknowledge", "discipline")
    body = {"disposition": "talk_or_letter", "concluded_on": today(), "summary": "已谈话提醒"}
    await api.ok(clue_id, "result", "discipline", body)

    async def answered() -> dict[str, Any] | None:
        item = await urge_item()
        return item if item and item["answered"] else None

    item = await until(answered, "the urge answered by the result")
    assert item["acknowledged"] is False and item["result_state"] == "result_reported"
    assert await urge_item(acknowledged="false") is None
    assert (await urge_item(acknowledged="true"))["item_id"] == item["item_id"]

    async def left_waiting() -> bool:
        after = (await api.call("reporting", "GET", feed, "discipline")).json()["unacknowledged"]
        # the transfer's own item (signed for by the acknowledgement) and the answered urge
        return bool(after == before - 2)

    await until(left_waiting, "the transfer and the answered urge leaving 待签收")
