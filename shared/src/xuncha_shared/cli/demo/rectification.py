"""Demo data for rectification's steps 9–11 (through the public HTTP APIs).

From the seeds (domain.md section 5), figures kept as they are:

* the office's own provincial review (000:L46): **11 issues in 5 categories, 32 measures, 10
  done, 1 long-term in progress, 3 lasting mechanisms**. The office (市委巡察办) is the
  inspected unit here, with the demo token ``inspected_unit`` bound to ``DEMO_UNIT_ID``; it
  submits its plan (returned once, then approved), reports with the top leader's report, and the
  city office verifies and closes out the 10 done issues (3 with a mechanism recorded).
* round 5's 289 problems to 9 units (000:L40) are the main demo's feedbacks; here most of those
  the units reported done are verified and closed out, a few verifications rejected, so
  整改完成率 (verified close-outs) sits below the self-declared rate; the city office orders a
  督办 of the rejected issues of three units (重点督办 of a city unit, 跟踪督办 of two counties').

Synthetic and labelled as such (the events carry the demo principals, the dashboard shows
演示数据): the issue and measure wording, the unit id, the round id, the dates, which issues are
rejected. The review's feedback is marked ``during_stationing`` (边巡边改): the demo has no
hearing to record through the clues API in this version, so R16 is satisfied the way the
service allows without one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from xuncha_shared.auth.demo import DEMO_UNIT_ID
from xuncha_shared.cli.demo.client import DemoClient, Endpoints

#: the demo's inspected unit (synthetic id): 市委巡察办 itself, under the provincial review
DEMO_UNIT_NAME = "市委巡察办（省委巡视反馈整改，演示）"
#: the provincial review's round, which intake does not plan: named by the feedback
DEMO_ROUND_NAME = "省委巡视反馈（演示）"
DEMO_ROUND_ID = uuid.uuid5(uuid.NAMESPACE_URL, "https://xuncha.example/demo/round/provincial")
CITY = "361000"

#: 5 categories, 11 issues (seeds' figure); the 11th is the long-term one
CATEGORIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("政治监督", ("巡察政治监督定位把握不够精准", "对“两个维护”落实情况监督不够具体")),
    ("巡察全覆盖", ("村（社区）巡察覆盖进度不均衡", "联动巡察统筹不够有力")),
    ("整改监督", ("整改日常监督存在薄弱环节", "对账销号把关不严", "整改成果运用不充分")),
    ("队伍建设", ("巡察人才库管理使用不够规范", "巡察干部业务培训针对性不强")),
    ("制度机制", ("巡察工作制度执行不够到位", "巡察整改长效机制不健全")),
)
#: the 32 measures over the 11 issues (3 each, the last two issues 2 and 3 … summing to 32)
MEASURES_PER_ISSUE: tuple[int, ...] = (3, 3, 3, 3, 3, 3, 3, 3, 3, 2, 3)
MECHANISMS = (
    "制定《巡察整改日常监督办法》",
    "建立整改对账销号双签字制度",
    "建立巡察人才库动态管理办法",
)


async def _review(client: DemoClient, endpoints: Endpoints) -> int:
    rect = endpoints.rectification
    issues = [
        {"description": f"【{cat}】{text}", "rect_type": "time_bound"}
        for cat, texts in CATEGORIES
        for text in texts
    ]
    issues[-1]["rect_type"] = "long_term"
    fed = await client.call(
        "POST",
        f"{rect}/api/v1/feedbacks",
        "city_admin",
        {
            "jurisdiction": CITY,
            "unit": DEMO_UNIT_NAME,
            "round_id": str(DEMO_ROUND_ID),
            "round_name": DEMO_ROUND_NAME,
            "unit_id": str(DEMO_UNIT_ID),
            "during_stationing": True,
            "issues": issues,
        },
    )
    ids: list[str] = fed.json()["issue_ids"]
    today = date.today()
    tasks: list[dict[str, Any]] = []
    for n, (issue_id, count) in enumerate(zip(ids, MEASURES_PER_ISSUE, strict=True)):
        long_term = n == len(ids) - 1
        for m in range(count):
            tasks.append(
                {
                    "issue_id": issue_id,
                    "measure": f"整改措施{n + 1}-{m + 1}（演示）",
                    "owner": ("综合科", "监督检查科", "组织人事科")[m % 3],
                    "type": "long_term" if long_term else ("immediate", "time_bound")[m % 2],
                    "due_on": (today + timedelta(days=300 if long_term else 30 + m)).isoformat(),
                }
            )
    plan_body = {
        "round_id": str(DEMO_ROUND_ID),
        "unit_id": str(DEMO_UNIT_ID),
        "responsible_leader": "市委巡察办主任（演示）",
        "tasks": tasks,
    }
    plan = await client.call(
        "POST", f"{rect}/api/v1/rectification-plans", "inspected_unit", plan_body
    )
    pid = plan.json()["id"]
    await client.call(
        "POST",
        f"{rect}/api/v1/rectification-plans/{pid}/return",
        "city_admin",
        {"reason": "部分整改措施不够具体，请细化责任分工（演示）"},
    )
    await client.call("POST", f"{rect}/api/v1/rectification-plans", "inspected_unit", plan_body)
    await client.call("POST", f"{rect}/api/v1/rectification-plans/{pid}/approve", "city_admin")
    for n, issue_id in enumerate(ids):
        url = f"{rect}/api/v1/rectifications/{issue_id}"
        await client.call(
            "POST",
            f"{url}/reports",
            "inspected_unit",
            {"kind": "progress", "progress_percent": 60, "note": "整改推进中（演示）"},
        )
        if n == len(ids) - 1:
            continue  # the long-term issue: in progress, watched
        await client.call(
            "POST",
            f"{url}/reports",
            "inspected_unit",
            {
                "kind": "formal",
                "progress_percent": 100,
                "completed": True,
                "note": "整改措施已全部落实（演示）",
                "leader_report": "主要负责人亲自部署、逐项督促落实（演示）",
            },
        )
        await client.call(
            "POST",
            f"{url}/verification",
            "city_admin",
            {"outcome": "accepted", "note": "经核实，整改到位（演示）"},
        )
        body = {"note": "对账销号（演示）"}
        if n < len(MECHANISMS):
            body["mechanism"] = MECHANISMS[n]
        await client.call("POST", f"{url}/close-out", "city_admin", body)
    return len(ids)


async def _close_out_done(
    client: DemoClient, endpoints: Endpoints, done: Sequence[tuple[uuid.UUID, str]]
) -> int:
    """Verify the issues the main demo's units reported done: most accepted and closed out,
    every seventh rejected back to in progress (synthetic choice)."""
    closed = 0
    office = "city_admin"  # the city office sees every county of the city
    rejected: list[str] = []
    for n, (issue_id, _who) in enumerate(done):
        url = f"{endpoints.rectification}/api/v1/rectifications/{issue_id}"
        if n % 7 == 6:
            resp = await client.call(
                "POST",
                f"{url}/verification",
                office,
                {"outcome": "rejected", "note": "佐证材料不足，退回继续整改（演示）"},
                ok=(200, 403, 404),
            )
            if resp.status_code == 200:
                rejected.append(str(issue_id))
            continue
        resp = await client.call(
            "POST",
            f"{url}/verification",
            office,
            {"outcome": "accepted", "note": "经核实，整改到位（演示）"},
            ok=(200, 403, 404, 409),
        )
        if resp.status_code != 200:
            continue
        out = await client.call(
            "POST", f"{url}/close-out", office, {"note": "对账销号（演示）"}, ok=(200, 409, 422)
        )
        closed += out.status_code == 200  # a long-term issue without its mechanism: 422
    await _supervise_rejected(client, endpoints, rejected)
    return closed


async def _supervise_rejected(
    client: DemoClient, endpoints: Endpoints, rejected: Sequence[str]
) -> int:
    """督办 of the issues sent back by a rejected verification (synthetic choice): the city
    office orders a 重点督办 of the city unit with the most of them and a 跟踪督办 of each of two
    counties' units, due in 30 days; returns the supervisions ordered."""
    if not rejected:
        return 0
    wanted = set(rejected)
    units: dict[tuple[str, str], list[str]] = {}  # (jurisdiction, unit id) -> issue ids
    offset = 0
    while True:
        page = (
            await client.call(
                "GET",
                f"{endpoints.rectification}/api/v1/rectifications"
                f"?status=in_progress&limit=200&offset={offset}",
                "city_admin",
            )
        ).json()
        for item in page["items"]:
            if item["id"] in wanted and item.get("unit_id"):
                units.setdefault((item["jurisdiction"], item["unit_id"]), []).append(item["id"])
        offset += len(page["items"])
        if not page["items"] or offset >= page["total"]:
            break
    ranked = sorted(units.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    city = [kv for kv in ranked if kv[0][0] == CITY][:1]
    counties = [kv for kv in ranked if kv[0][0] != CITY][:2]
    due_on = (date.today() + timedelta(days=30)).isoformat()
    for (jurisdiction, unit_id), issue_ids in (*city, *counties):
        await client.call(
            "POST",
            f"{endpoints.rectification}/api/v1/supervisions",
            "city_admin",
            {
                "unit_id": unit_id,
                "issue_ids": issue_ids,
                "kind": "key" if jurisdiction == CITY else "tracking",
                "note": "核实未通过，请按期补充整改并报送佐证材料（演示）",
                "due_on": due_on,
            },
            ok=(201,),
        )
    return len(city) + len(counties)


async def load_rectification(
    client: DemoClient, endpoints: Endpoints, done: Sequence[tuple[uuid.UUID, str]]
) -> tuple[int, int]:
    """The review (11 issues, all but the long-term one closed out) and the close-outs of the
    main demo's done issues: (issues reviewed, issues closed out in all)."""
    review = await _review(client, endpoints)
    closed = await _close_out_done(client, endpoints, done)
    return review, (review - 1) + closed
