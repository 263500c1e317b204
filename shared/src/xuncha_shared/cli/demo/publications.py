"""Demo data for 两公开 (R5, 000:L27: 对巡察结果坚持“两公开”): the units of the city's round 5
and of each county's first round have their stationing announced to the public, their feedback told
inside the party and to the public, and, once they reported formally on it, their rectification
made public. Each text is the service's own draft (``GET /api/v1/publications/draft``) with the
blanks filled with synthetic contacts (演示); the stationing is dated the round's first day, the
feedback and the rectification the load's day (when the demo records the feedback and the
reports). Everything goes through rectification's public API with the offices'
tokens; a stage not reached yet (no formal report) is left out, as the service refuses it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from xuncha_shared.contracts.intake import round_id_for
from xuncha_shared.domain import jurisdictions

#: the rounds whose units are published: the city's round 5 (000:L40), each county's first
ROUNDS: tuple[tuple[str, int, int], ...] = (
    ("361000", 4, 5),
    *((c.code, 4, 1) for c in jurisdictions.COUNTIES),
)
#: the blanks of the drafts, filled (synthetic)
BLANKS = {
    "值班电话：____；邮政信箱：____": (
        "值班电话：0794-8200000（演示）；邮政信箱：抚州市A001号信箱（演示）"
    ),
    "请反映至：____": "请反映至：0794-8200000（演示）",
}
#: how long to wait for rectification to learn a round from intake (Kafka), in 0.5 s steps
ROUND_WAITS = 20

Call = Callable[..., Awaitable[Any]]


def filled(text: str) -> str:
    """A draft with its blanks filled."""
    for blank, value in BLANKS.items():
        text = text.replace(blank, value)
    return text


async def load_publications(
    call: Call, endpoints: Any, tokens: dict[str, str], writer: Callable[[str], str], today: date
) -> int:
    """Publish what the demo's rounds reached; returns how many publications were made."""
    if "city_admin" not in tokens:
        return 0
    made = 0
    units = {
        u["id"]: u["name"]
        for u in (await call("GET", f"{endpoints.intake}/api/v1/units", "city_admin")).json()
    }
    for code, term_no, round_no in ROUNDS:
        round_id = round_id_for(code, term_no, round_no)
        resp = await call(
            "GET", f"{endpoints.intake}/api/v1/rounds/{round_id}", "city_admin", ok=(200, 404)
        )
        if resp.status_code == 404:
            continue
        round_doc = resp.json()
        # the stationing on the round's first day; the feedback and the rectification on the
        # load's day, when the demo recorded them (a publication names what the system holds)
        stationed_on, fed_back_on = round_doc["starts_on"], today.isoformat()
        who = writer(code)
        if round_doc["units"] and not await _round_known(
            call, endpoints.rectification, who, round_id, round_doc["units"][0]["unit_id"]
        ):
            continue
        for unit in round_doc["units"]:
            unit_id = UUID(unit["unit_id"])
            name = units.get(str(unit_id))
            if name is None:  # a unit the demo did not register by name: nothing to say of it
                continue
            plan = (
                ("stationing", "public", stationed_on),
                ("feedback", "party_internal", fed_back_on),
                ("feedback", "public", fed_back_on),
                ("rectification", "public", today.isoformat()),
            )
            for stage, scope, day in plan:
                made += await _publish(
                    call, endpoints.rectification, who, round_id, unit_id, name, stage, scope, day
                )
    return made


async def _round_known(
    call: Call, rectification: str, who: str, round_id: UUID, unit_id: str
) -> bool:
    """Whether rectification knows the round (it learns it from intake through Kafka: waited
    for a few seconds)."""
    query = f"round_id={round_id}&unit_id={unit_id}&stage=stationing"
    for _ in range(ROUND_WAITS):
        resp = await call(
            "GET", f"{rectification}/api/v1/publications/draft?{query}", who, ok=(200, 404)
        )
        if resp.status_code == 200:
            return True
        await asyncio.sleep(0.5)
    return False


async def _publish(
    call: Call,
    rectification: str,
    who: str,
    round_id: UUID,
    unit_id: UUID,
    name: str,
    stage: str,
    scope: str,
    day: str,
) -> int:
    """One publication from its draft; 0 when the stage is not reached (409: no issue fed
    back, no formal report)."""
    query = urlencode(
        {"round_id": round_id, "unit_id": unit_id, "stage": stage, "scope": scope, "unit": name}
    )
    resp = await call(
        "GET", f"{rectification}/api/v1/publications/draft?{query}", who, ok=(200, 404, 409)
    )
    if resp.status_code != 200:  # not the round's, or the stage not reached
        return 0
    draft = resp.json()
    body = {
        "round_id": str(round_id),
        "unit_id": str(unit_id),
        "unit": name,
        "stage": stage,
        "scope": scope,
        "title": draft["title"],
        "text": filled(draft["text"]),
        "published_on": day,
    }
    resp = await call("POST", f"{rectification}/api/v1/publications", who, body, ok=(201, 409))
    return 1 if resp.status_code == 201 else 0
