"""R3 and R7 under the real clues flow, against the real PostgreSQL: a transfer starts the
department's 3-month result deadline (warnings and ``clues.TransferResultOverdue`` fire once
each with the service's clock moved); a clue for a higher body (R12) gets R7's 5-working-day
escalation deadline counted from its registration, satisfied by ``ClueEscalated`` or fired as
``clues.EscalationOverdue``. Clues are registered through the service's own command loop, the
path its petition consumer takes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from xuncha_clues.adapters.deadlines import ESCALATION, TRANSFER_RESULT
from xuncha_clues.bootstrap import SPEC, handlers
from xuncha_clues.domain.commands import RegisterClue
from xuncha_shared.clocks import DeadlineWorker, ManualClock, system_now
from xuncha_shared.clocks.clock import CST
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain.commands import Meta
from xuncha_shared.envelope import Actor

from tests.support.principals import LINCHUAN, NANCHENG, OFFICES, department
from tests.support.service_api import InProcessService, in_process_service

pytestmark = pytest.mark.timeout(180)

ACTOR = Actor(principal_id="service:clues.register-from-petitions", role="system")


@pytest.fixture
async def svc(infra: Any) -> AsyncIterator[InProcessService]:
    principals = {**OFFICES, "org": department("zzb", Department.ORGANISATION)}
    async with in_process_service(infra, SPEC, principals, label="cd") as service:
        service.ctx.now = ManualClock(system_now())
        yield service


def move(svc: InProcessService, days: int) -> None:
    assert isinstance(svc.ctx.now, ManualClock)
    svc.ctx.now.advance(timedelta(days=days))


def worker(svc: InProcessService) -> DeadlineWorker:
    return DeadlineWorker(svc.ctx.pool, svc.ctx.store, svc.ctx.clocks(), SPEC.deadline_kinds)


async def register(svc: InProcessService) -> str:
    clue_id = uuid.uuid4()
    cmd = RegisterClue(
        clue_id=clue_id, jurisdiction=LINCHUAN, unit="临川区某局", summary="反映某局长违规"
    )
    await handlers(svc.ctx).register(cmd, Meta(actor=ACTOR, correlation_id=uuid.uuid4()))
    return str(clue_id)


async def post(svc: InProcessService, path: str, body: dict[str, Any], who: str = "county") -> Any:
    r = await svc.client.post(f"/api/v1/clues/{path}", json=body, headers=svc.auth(who))
    assert r.status_code == 200, r.text
    return r.json()


async def classify(svc: InProcessService, clue_id: str, **extra: Any) -> None:
    await post(svc, f"{clue_id}/classify", {"category": "inquiry", **extra})


async def row(svc: InProcessService, kind: str, clue_id: str) -> Any:
    return await svc.ctx.pool.fetchrow(
        "SELECT * FROM deadlines WHERE kind = $1 AND key = $2", kind, clue_id
    )


async def clue(svc: InProcessService, clue_id: str, who: str = "org") -> Any:
    r = await svc.client.get(f"/api/v1/clues/{clue_id}", headers=svc.auth(who))
    assert r.status_code == 200, r.text
    return r.json()


def r3_due(deadline: Any) -> str:
    return str(deadline["due_date"].isoformat())


async def types(svc: InProcessService, clue_id: str) -> list[str]:
    return [e.event_type for e in await svc.ctx.store.read_stream(clue_id)]


async def test_a_transfer_starts_r3_and_its_warnings_and_overdue_fire_once(
    svc: InProcessService,
) -> None:
    clue_id = await register(svc)
    await classify(svc, clue_id)
    assert await row(svc, ESCALATION.name, clue_id) is None  # a county clue: no R7
    await post(
        svc, f"{clue_id}/transfer", {"department": "discipline_commission", "reason": "移交"}
    )
    r3 = await row(svc, TRANSFER_RESULT.name, clue_id)
    assert (r3["rule_id"], r3["rule_version"], r3["state"]) == ("xunshi_2015_art29", 1, "running")
    assert r3["owner"] == "discipline_commission"
    assert r3["yellow_at"] is not None and r3["red_at"] is not None
    w = worker(svc)
    assert await w.fire_due() == []
    svc.ctx.now.set(r3["yellow_at"])  # type: ignore[union-attr]
    assert [f.stage.value for f in await w.fire_due()] == ["yellow"]
    svc.ctx.now.set(r3["red_at"])  # type: ignore[union-attr]
    assert [f.stage.value for f in await w.fire_due()] == ["red"]
    svc.ctx.now.set(r3["overdue_at"])  # type: ignore[union-attr]
    assert [f.stage.value for f in await w.fire_due()] == ["overdue"]
    move(svc, 30)
    assert await w.fire_due() == []
    assert (await types(svc, clue_id))[-3:] == [
        "clues.DeadlineWarningRaised",
        "clues.DeadlineWarningRaised",
        "clues.TransferResultOverdue",
    ]
    overdue = (await svc.ctx.store.read_stream(clue_id))[-1]
    assert overdue.payload["department"] == "discipline_commission"
    assert overdue.payload["due_date"] == r3["due_date"].isoformat()


async def listed_clock(svc: InProcessService, clue_id: str, who: str = "org") -> tuple[Any, Any]:
    """R3 as the clue list (GET /api/v1/clues) gives it for ``clue_id``: (last day, state)."""
    r = await svc.client.get("/api/v1/clues?limit=200", headers=svc.auth(who))
    assert r.status_code == 200, r.text
    [item] = [i for i in r.json()["items"] if i["id"] == clue_id]
    return item["result_due_date"], item["result_state"]


async def report_result(svc: InProcessService, clue_id: str, who: str = "org") -> None:
    await post(svc, f"{clue_id}/acknowledge", {}, who=who)
    today = svc.ctx.now().astimezone(CST).date().isoformat()
    body = {"disposition": "organisational_handling", "concluded_on": today, "summary": "已处理"}
    await post(svc, f"{clue_id}/result", body, who=who)


async def test_the_transfer_result_satisfies_r3_and_nothing_fires(svc: InProcessService) -> None:
    clue_id = await register(svc)
    await classify(svc, clue_id)
    await post(svc, f"{clue_id}/transfer", {"department": "organisation", "reason": "移交"})
    move(svc, 10)
    assert (await clue(svc, clue_id))["result_late"] is None  # awaited
    await report_result(svc, clue_id)
    assert (await row(svc, TRANSFER_RESULT.name, clue_id))["state"] == "met"
    got = await clue(svc, clue_id)  # the clue says the result came by R3's last day
    assert (got["result_late"], got["result_due_date"]) == (
        False,
        r3_due(await row(svc, TRANSFER_RESULT.name, clue_id)),
    )
    move(svc, 200)
    assert await worker(svc).fire_due() == []
    assert "clues.TransferResultOverdue" not in await types(svc, clue_id)
    assert "clues.DeadlineWarningRaised" not in await types(svc, clue_id)


async def test_a_late_result_ends_r3_met_late_after_one_overdue(svc: InProcessService) -> None:
    clue_id = await register(svc)
    await classify(svc, clue_id)
    await post(svc, f"{clue_id}/transfer", {"department": "organisation", "reason": "移交"})
    r3 = await row(svc, TRANSFER_RESULT.name, clue_id)
    svc.ctx.now.set(r3["overdue_at"])  # type: ignore[union-attr]
    w = worker(svc)
    assert "overdue" in [f.stage.value for f in await w.fire_due()]
    assert await w.fire_due() == []
    assert (await types(svc, clue_id)).count("clues.TransferResultOverdue") == 1
    # the department's clue list says it, as the clue's page does: R3's last day, overdue
    assert await listed_clock(svc, clue_id) == (r3_due(r3), "overdue")
    await report_result(svc, clue_id)
    assert (await row(svc, TRANSFER_RESULT.name, clue_id))["state"] == "met_late"
    assert await listed_clock(svc, clue_id) == (r3_due(r3), "met_late")
    assert (await clue(svc, clue_id))["result_late"] is True  # came after R3's last day
    move(svc, 100)
    assert await w.fire_due() == []
    assert (await types(svc, clue_id)).count("clues.TransferResultOverdue") == 1


async def test_r7_escalation_in_time_is_met_and_never_fires(svc: InProcessService) -> None:
    clue_id = await register(svc)
    await classify(svc, clue_id, city_managed=True)
    r7 = await row(svc, ESCALATION.name, clue_id)
    assert (r7["rule_id"], r7["state"], r7["owner"]) == ("jianju_2020_forward", "running", LINCHUAN)
    registered = (await svc.ctx.store.read_stream(clue_id))[0]
    assert r7["started_at"] == registered.recorded_at  # counted from the registration
    assert r7["yellow_at"] is None and r7["red_at"] is None  # overdue only
    await post(svc, f"{clue_id}/escalate", {"reason": "涉及市管干部 (R12)"})
    assert (await row(svc, ESCALATION.name, clue_id))["state"] == "met"
    move(svc, 60)
    assert await worker(svc).fire_due() == []
    assert "clues.EscalationOverdue" not in await types(svc, clue_id)


async def test_r7_not_escalated_fires_escalation_overdue_once(svc: InProcessService) -> None:
    clue_id = await register(svc)
    await classify(svc, clue_id, counties=[LINCHUAN, NANCHENG])  # several counties: R12
    move(svc, 30)
    w = worker(svc)
    assert [f.stage.value for f in await w.fire_due()] == ["overdue"]
    assert await w.fire_due() == []
    overdue = (await svc.ctx.store.read_stream(clue_id))[-1]
    assert overdue.event_type == "clues.EscalationOverdue"
    assert overdue.payload["jurisdiction"] == LINCHUAN
    # escalating late ends the clock as met_late
    await post(svc, f"{clue_id}/escalate", {"reason": "涉及多个县区"})
    assert (await row(svc, ESCALATION.name, clue_id))["state"] == "met_late"


async def test_reclassified_without_the_need_cancels_r7(svc: InProcessService) -> None:
    clue_id = await register(svc)
    await classify(svc, clue_id, city_managed=True)
    await classify(svc, clue_id)
    assert (await row(svc, ESCALATION.name, clue_id))["state"] == "cancelled"
    move(svc, 60)
    assert await worker(svc).fire_due() == []


async def test_rules_lists_r3_r7_and_the_warning_colours(svc: InProcessService) -> None:
    r = await svc.client.get("/api/v1/rules")
    assert {rule["id"] for rule in r.json()["rules"]} == {
        "xunshi_2015_art29",
        "jianju_2020_forward",
        "warning_colours",
    }
