"""Demo data for the clue's way to its result (issue 14): verifications during stationing, the
discipline commission's acknowledgements and results, and the offices closing (办结) the clues.

Decided from the petition's index (the same plan, the same choices), so a reload does the same:

* about half of the clues that are transferred get a 速查 or 核查 before the transfer;
* of the clues transferred to the discipline commission (纪委监委, the only department with a
  demo token, and the one most clues go to), all but the last ``WITHOUT_RESULT`` are signed
  for and given a result (谈话函询 most often, then 初步核实, 予以了结, 暂存待查, 立案审查调查);
  two thirds of those are closed by the office. The last few stay without a result: their
  3-month clock (R3) runs from the load and fires as overdue three months later.

The overdue results the demo shows at once are ``paper_transfers``'s: clues transferred on paper
about four months before the load, entered with the transfer letter's day (补录, R26), so R3
counts from that day and fires on the deadline worker's first ticks.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from xuncha_shared.cli.demo.plan import PetitionPlan
from xuncha_shared.contracts.common import Department

#: how many of the discipline commission's clues stay without a result (R3 runs on)
WITHOUT_RESULT = 4
DISPOSITIONS = (
    ("talk_or_letter", 45),
    ("preliminary_check", 20),
    ("closed", 15),
    ("shelved", 10),
    ("case_opened", 10),
)
RESULT_SUMMARIES = {
    "talk_or_letter": "经谈话函询，本人已作出说明并深刻检讨，予以批评教育",
    "preliminary_check": "已成立初核组，调取相关账目和会议记录，初步核实工作正在推进",
    "closed": "经核实，反映问题缺乏事实依据，予以了结",
    "shelved": "反映问题线索较笼统，暂存待查，待条件成熟时核查",
    "case_opened": "经初步核实，涉嫌严重违反廉洁纪律，已立案审查调查",
}
OUTCOMES = ("基本属实", "部分属实", "有待进一步核实")
CST = timezone(timedelta(hours=8))

Call = Callable[..., Awaitable[Any]]


def verification_for(p: PetitionPlan) -> dict[str, Any] | None:
    """The 速查/核查 a group records on this clue before it is transferred, if any."""
    if p.transfer_to is None:
        return None
    rng = random.Random(f"verify:{p.index}")
    if rng.random() >= 0.55:
        return None
    method = rng.choice(("quick_check", "verification"))
    return {
        "method": method,
        "outcome": rng.choice(OUTCOMES),
        "notes": "调阅相关台账和会议记录，与知情人谈话" if method == "verification" else None,
    }


def discipline_clues(petitions: list[PetitionPlan]) -> list[PetitionPlan]:
    return [p for p in petitions if p.transfer_to is Department.DISCIPLINE]


def _disposition(index: int) -> str:
    rng = random.Random(f"result:{index}")
    names = [d for d, _ in DISPOSITIONS]
    return rng.choices(names, [w for _, w in DISPOSITIONS])[0]


async def results(
    call: Call,
    clues_url: str,
    plan: list[tuple[PetitionPlan, str]],
    writer: Callable[[str], str],
) -> tuple[int, int, int]:
    """For the discipline commission's clues ``plan`` ((plan, clue id) in order): sign for
    each (directly; a feed 签收 may have been first: 409 is fine), report the result of all but
    the last ``WITHOUT_RESULT``, close two thirds of those — each by the office that handles
    the clue: the city's when it was escalated, else ``writer(jurisdiction)`` (its county's
    office, ``DemoClient.writer``). Returns (acknowledged, results, disposed)."""
    today = datetime.now(UTC).astimezone(CST).date().isoformat()
    acked = reported = disposed = 0
    for n, (p, clue_id) in enumerate(plan):
        url = f"{clues_url}/api/v1/clues/{clue_id}"
        await call("POST", f"{url}/acknowledge", "department", None, ok=(200, 409))
        acked += 1
        if n >= len(plan) - WITHOUT_RESULT:
            continue
        disposition = _disposition(p.index)
        body = {
            "disposition": disposition,
            "concluded_on": today,
            "summary": RESULT_SUMMARIES[disposition],
        }
        await call("POST", f"{url}/result", "department", body, ok=(200, 409))
        reported += 1
        if n % 3 != 2:
            note = {"note": "办理结果符合规定，予以办结"}
            office = "city_admin" if p.needs_escalation else writer(p.jurisdiction)
            await call("POST", f"{url}/dispose", office, note, ok=(200, 409))
            disposed += 1
    return acked, reported, disposed
