"""Demo data for one task's 对账销号 (挂图作战、对账销号, 000:L30): of the issues whose unit
submitted a plan, the unit reports the task done after its first report (one in two of those it
does not report done in the end); the office closes most of them out, returns some of those not
reported done in the end with a new due date two weeks on, and leaves the rest waiting
(待销号). Everything goes through rectification's public API, the unit with its own token and
the office with its own; the days are the load's day."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

Call = Callable[..., Awaitable[Any]]

#: what the unit and the office write (synthetic, 演示)
COMPLETED_NOTE = "已按整改方案完成该项任务，相关制度已印发（演示）"
CLOSED_NOTE = "经对账，该项任务已整改到位，予以销号（演示）"
RETURNED_NOTE = "佐证材料不足，未见制度执行情况，请补充后重新报告（演示）"
#: a returned task's new due date: two weeks on
RETURN_DAYS = 14


@dataclass
class TasksSummary:
    completed: int = 0
    closed_out: int = 0
    returned: int = 0


async def tick_off(
    call: Call,
    issue_url: str,
    task_id: str,
    unit: str,
    office: str,
    *,
    turn: int,
    done: bool,
    today: date,
    summary: TasksSummary,
) -> None:
    """The unit reports the task done; the office closes it out (four in five of the issues
    reported done in the end, one in three of the others) or returns it (another one in three
    of the others); the rest wait for the office (待销号). Of the issues not reported done, one
    in two has its task left open. ``turn`` is a number of the issue's own (its text's
    checksum), so the choice is the same in every load."""
    if not done and turn % 2:
        return  # left open: the unit has not got to it yet
    url = f"{issue_url}/tasks/{task_id}"
    body = {"completed_on": today.isoformat(), "note": COMPLETED_NOTE, "evidence_ids": []}
    await call("POST", f"{url}/completion", unit, body)
    summary.completed += 1
    if (done and turn % 5) or (not done and turn % 3 == 1):
        await call("POST", f"{url}/close-out", office, {"note": CLOSED_NOTE})
        summary.closed_out += 1
    elif turn % 3 == 2:
        due = (today + timedelta(days=RETURN_DAYS)).isoformat()
        await call("POST", f"{url}/return", office, {"reason": RETURNED_NOTE, "due_on": due})
        summary.returned += 1
