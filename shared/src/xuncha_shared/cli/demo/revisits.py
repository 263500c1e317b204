"""Demo data for revisits (回头看, R18), the recurrence a revisit finds (改了再犯, R19) and a
common-problem list with self-checks (未巡先改), through rectification's public HTTP API, after
the close-outs of ``rectification``:

* three of the city units the main demo fed back in round 5 and round 7 revisits
  (``rounds_data.ROUND7_REVISITS``: 市财政局, 市住建局, 市交通运输局) get a revisit of round 5's
  feedback held by round 7 (``in_round_id``: 巡察“回头看”). The first two are held today: each
  checks some of its unit's closed-out issues; the first reopens one (the service records
  ``rectification.IssueReopened`` and ``RecurrenceDetected``, cause ``reopened``), the second
  records a new problem. The third is held today too, its findings
  not yet recorded (the workbench's 回头看 page can record them: findings come on or after a
  revisit's day).
* one common-problem list (共性问题清单) of term 4 to the city's 11 units of the term plan not yet
  inspected (``rounds_data.NOT_INSPECTED``), of **19 problems in 5 aspects** (the seeds' figure
  of the city's check of the counties' inspection work, 000:L39: 五个方面共性问题19项; the
  aspects and wording here are synthetic, after 004:L3's 共性问题); four of those units have
  reported their self-check (recorded by the city office on their behalf); the office then
  chases (催报) the seven others once, asking for theirs within a week.

Which issues are checked and reopened follows what the service says is closed out (the
verification step rejects some), sorted by id. Synthetic and labelled as such (演示): every text,
the dates, the choice of units and issues.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

from xuncha_shared.cli.demo.client import DemoClient, Endpoints
from xuncha_shared.cli.demo.rounds_data import (
    CITY,
    FEEDBACK_ROUND_NO,
    NOT_INSPECTED,
    TERM_NO,
    demo_round_id,
    demo_unit_id,
)

OFFICE = "city_admin"
#: round 7 revisits these units (``ROUND7_REVISITS``), fed back and closed out by the main demo
REVISITED: tuple[str, ...] = ("市财政局", "市住建局", "市交通运输局")
REVISIT_ROUND_NO = 7
#: issues checked per revisit with findings (besides the one reopened)
CHECKED = 5
NEW_PROBLEM = "专项资金拨付台账仍未建立，整改存在“一阵风”现象（回头看新发现，演示）"

#: 5 aspects, 19 problems (000:L39's figure; wording synthetic, after 004:L3)
COMMON_PROBLEMS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    (
        "党的领导和政治建设",
        (
            ("政治站位", "政治站位不高，管党治党意识不强"),
            ("第一议题", "学习贯彻党的创新理论不够深入，“第一议题”制度落实不到位"),
            ("决策部署", "贯彻落实上级重大决策部署有“打折扣、搞变通”现象"),
            ("意识形态", "意识形态工作责任制落实不到位"),
        ),
    ),
    (
        "全面从严治党和廉洁纪律",
        (
            ("主体责任", "主体责任落实不到位，“一岗双责”履行不力"),
            ("八项规定", "落实中央八项规定精神不严，违规发放津补贴"),
            ("财务管理", "财务管理不规范，票据报销把关不严"),
            ("廉政风险", "重点领域廉政风险防控不到位"),
        ),
    ),
    (
        "组织建设和干部队伍",
        (
            ("组织生活", "“三会一课”等组织生活制度执行不规范"),
            ("选人用人", "干部选拔任用程序不够严格"),
            ("党员管理", "党员发展和党费收缴管理不规范"),
            ("担当作为", "部分干部担当精神不够，存在“多一事不如少一事”心态"),
        ),
    ),
    (
        "作风建设",
        (
            ("形式主义", "形式主义、官僚主义问题仍有发生，文山会海未根本改观"),
            ("服务群众", "服务群众“最后一公里”不畅，办事效率不高"),
            ("调查研究", "调查研究不深入，群众急难愁盼问题解决不及时"),
            ("本领能力", "本领能力不足，习惯用“老办法”解决“新问题”"),
        ),
    ),
    (
        "巡视巡察和审计整改",
        (
            ("整改落实", "以往巡视巡察、审计反馈问题整改不彻底"),
            ("长效机制", "整改长效机制建设滞后，制度执行不严"),
            ("举一反三", "整改成果运用不充分，举一反三不够"),
        ),
    ),
)
#: the units of NOT_INSPECTED that have reported their self-check
SELF_CHECKED = 4

_CST = timezone(timedelta(hours=8))


@dataclass(frozen=True)
class RevisitPlan:
    unit: str
    scheduled_on: date
    findings: bool  # recorded today, or left for the workbench
    reopen: bool
    new_problems: tuple[str, ...] = ()


@dataclass
class RevisitsSummary:
    revisits: int = 0
    with_findings: int = 0
    checked: int = 0
    reopened: list[str] = field(default_factory=list)  # issue ids
    new_problems: int = 0
    common_lists: int = 0
    common_items: int = 0
    self_checks: int = 0
    urged: int = 0  # the units chased (催报) for their self-check


def china_today() -> date:
    return datetime.now(_CST).date()


def revisit_plans(today: date) -> list[RevisitPlan]:
    """The three revisits, held today: one reopening an issue, one with a new problem, one whose
    findings are left to record in the workbench."""
    first, second, third = REVISITED
    return [
        RevisitPlan(first, today, findings=True, reopen=True),
        RevisitPlan(second, today, findings=True, reopen=False, new_problems=(NEW_PROBLEM,)),
        RevisitPlan(third, today, findings=False, reopen=False),
    ]


def findings_body(plan: RevisitPlan, closed_out: Sequence[str]) -> dict[str, Any] | None:
    """The findings of ``plan`` over its unit's closed-out issues (ids), or None when none are
    recorded (not held yet, or nothing to name)."""
    ids = sorted(closed_out)
    if not plan.findings or not (ids or plan.new_problems):
        return None
    reopened = ids[:1] if plan.reopen else []
    checked = ids[len(reopened) : len(reopened) + CHECKED]
    return {
        "checked_issue_ids": checked,
        "reopened_issue_ids": reopened,
        "new_problems": list(plan.new_problems),
    }


def common_list_body() -> dict[str, Any]:
    """The term's common-problem list to the city's units not yet inspected."""
    return {
        "jurisdiction": CITY,
        "term_no": TERM_NO,
        "items": [
            {"aspect": aspect, "description": f"{text}（演示）", "topics": [topic]}
            for aspect, problems in COMMON_PROBLEMS
            for topic, text in problems
        ],
        "unit_ids": [str(demo_unit_id(n)) for n in NOT_INSPECTED],
    }


def urge_body(today: date) -> dict[str, Any]:
    """催报 of every unit yet to send its self-check in (none named), answer asked in a week."""
    return {
        "unit_ids": [],
        "note": "请对照共性问题清单抓紧开展自查自纠，如实报送自查情况和整改措施（演示）",
        "reply_by": (today + timedelta(days=7)).isoformat(),
    }


def self_check_bodies() -> list[dict[str, Any]]:
    """The self-checks of the first ``SELF_CHECKED`` units the list went to."""
    return [
        {
            "unit_id": str(demo_unit_id(name)),
            "findings": f"对照共性问题清单逐项自查，查摆问题{n + 3}个（演示）",
            "measures": "建立自查问题清单，明确责任人和完成时限，未巡先改（演示）",
        }
        for n, name in enumerate(NOT_INSPECTED[:SELF_CHECKED])
    ]


async def load_revisits(
    client: DemoClient, endpoints: Endpoints, today: date | None = None
) -> RevisitsSummary:
    """The revisits and their findings, then the common-problem list and its self-checks."""
    api = f"{endpoints.rectification}/api/v1"
    summary = RevisitsSummary()
    fed_back_in = str(demo_round_id(FEEDBACK_ROUND_NO))
    held_by = str(demo_round_id(REVISIT_ROUND_NO))
    today = today or china_today()
    for plan in revisit_plans(today):
        unit_id = str(demo_unit_id(plan.unit))
        revisit = await client.call(
            "POST",
            f"{api}/revisits",
            OFFICE,
            {
                "unit_id": unit_id,
                "round_id": fed_back_in,
                "scheduled_on": plan.scheduled_on.isoformat(),
                "in_round_id": held_by,
            },
        )
        summary.revisits += 1
        if not plan.findings:
            continue
        listed = await client.call(
            "GET",
            f"{api}/rectifications?unit_id={unit_id}&status=closed_out&limit=500",
            OFFICE,
        )
        body = findings_body(plan, [str(i["id"]) for i in listed.json()["items"]])
        if body is None:
            continue
        await client.call("POST", f"{api}/revisits/{revisit.json()['id']}/findings", OFFICE, body)
        summary.with_findings += 1
        summary.checked += len(body["checked_issue_ids"]) + len(body["reopened_issue_ids"])
        summary.reopened += body["reopened_issue_ids"]
        summary.new_problems += len(body["new_problems"])
    common = common_list_body()
    issued = await client.call("POST", f"{api}/common-problem-lists", OFFICE, common)
    summary.common_lists += 1
    summary.common_items = len(common["items"])
    list_id = issued.json()["id"]
    for check in self_check_bodies():
        await client.call(
            "POST", f"{api}/common-problem-lists/{list_id}/self-checks", OFFICE, check
        )
        summary.self_checks += 1
    chased = await client.call(
        "POST", f"{api}/common-problem-lists/{list_id}/urges", OFFICE, urge_body(today)
    )
    summary.urged = sum(1 for u in chased.json().get("units", []) if u.get("urged"))
    return summary
