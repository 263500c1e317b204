"""Demo data for R29, shaped after 000:L39: 3 counties made pilot points for bringing county
inspection work up to standard (县级巡察规范化推进联系点) and 10 townships and 100 villages pilot
points for rectification (巡察整改联系点), each in the charge of a member of the city's inspection
work leading group (包联); in March the city office's four check groups checked every county's
inspection work and sorted out 19 common problems in five aspects; in June it put the inspection
work of 4 counties with slow coverage and weak village inspection under key supervision (重点督办;
the seed lifts none). The problems' wording, the places and the leaders are synthetic (演示, ××);
the days are fixed (in the past of any load from 2026 on). Everything goes through intake's
public API, with the city office's token."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from xuncha_shared.domain import jurisdictions

#: the check campaign's days (March) and the key supervisions' day (June)
CHECKED_ON = ("2026-03-16", "2026-03-17", "2026-03-18", "2026-03-19")
ORDERED_ON = "2026-06-12"
#: the five aspects and their problems (19 in all, 000:L39)
FINDINGS: dict[str, tuple[str, ...]] = {
    "组织建设": (
        "巡察机构人员到位率低，专职巡察干部不足",
        "巡察工作领导小组会议研究巡察工作不经常",
        "巡察人才库动态更新不及时",
        "巡察组长库储备不足",
    ),
    "巡察质量": (
        "巡察报告问题定性不够准确",
        "发现问题线索数量少、质量不高",
        "村级巡察方式单一，下沉不够",
        "巡察底稿不完整",
    ),
    "整改督促": (
        "整改方案报送不及时",
        "整改台账对账销号不严格",
        "整改情况公开不规范",
        "回头看开展不充分",
    ),
    "制度执行": (
        "巡察工作规则细化不够",
        "线索移交时限执行不严",
        "巡察档案管理不规范",
    ),
    "队伍建设": (
        "巡察干部业务培训不足",
        "巡察干部评价结果运用不够",
        "巡察干部回避制度执行不严",
        "抽调干部管理松散",
    ),
}
#: the counties under key supervision (slow coverage, village inspection pushed weakly)
KEY_COUNTIES = ("361022", "361025", "361028", "361030")
KEY_REASON = "巡察全覆盖进度慢、村级巡察推动不力，纳入重点督办（演示）"

#: the pilot points' day, the counties made 规范化推进 points, and the leading group members in
#: charge (包联), by post
DESIGNATED_ON = "2026-04-08"
NORMALISATION_COUNTIES = ("361021", "361023", "361027")
LIAISONS = (
    "市委副书记、市委巡察工作领导小组组长 ×××（演示）",
    "市委常委、市纪委书记、市监委主任 ×××（演示）",
    "市委常委、组织部部长 ×××（演示）",
    "市委秘书长 ×××（演示）",
    "市委巡察办主任 ×××（演示）",
)
#: 10 townships (one in each county but the last), 10 villages (communities) in each
TOWNSHIPS, VILLAGES_EACH = 10, 10

Call = Callable[..., Awaitable[Any]]


def checks() -> list[dict[str, Any]]:
    """One check per county; the 19 problems spread over the counties checked, in order."""
    counties = [c.code for c in jurisdictions.COUNTIES]
    problems = [(a, d) for a, items in FINDINGS.items() for d in items]
    out: list[dict[str, Any]] = []
    for i, county in enumerate(counties):
        found = problems[i :: len(counties)]
        out.append(
            {
                "county": county,
                "checked_on": CHECKED_ON[i % len(CHECKED_ON)],
                "findings": [{"aspect": a, "description": f"{d}（演示）"} for a, d in found],
                "note": f"市委巡察办第{i % 4 + 1}检查组全面检查（演示）",
            }
        )
    return out


def pilot_points() -> list[dict[str, Any]]:
    """3 counties' pilot points, then 10 townships' and their 100 villages' (000:L39)."""
    common = {"designated_on": DESIGNATED_ON}
    out = [
        {"county": county, "kind": "normalisation", "liaison": LIAISONS[i], **common}
        for i, county in enumerate(NORMALISATION_COUNTIES)
    ]
    for t, county in enumerate(c.code for c in jurisdictions.COUNTIES[:TOWNSHIPS]):
        township = f"××镇{t + 1:02d}（演示）"
        rectification = {"county": county, "kind": "rectification", **common}
        liaison = LIAISONS[t % len(LIAISONS)]
        out.append({**rectification, "level": "township", "place": township, "liaison": liaison})
        for v in range(VILLAGES_EACH):
            village = f"××镇{t + 1:02d}××村{v + 1:02d}（演示）"
            level = "village_or_community"
            out.append({**rectification, "level": level, "place": village, "liaison": liaison})
    return out


async def load_county_oversight(call: Call, intake_url: str, tokens: dict[str, str]) -> int:
    """Record the pilot points, the checks and the key supervisions with the city office's
    token; returns how many records were made (none without a city token)."""
    if "city_admin" not in tokens:
        return 0
    made = 0
    for body in pilot_points():
        await call("POST", f"{intake_url}/api/v1/county-pilot-points", "city_admin", body)
        made += 1
    for body in checks():
        await call("POST", f"{intake_url}/api/v1/county-checks", "city_admin", body)
        made += 1
    for county in KEY_COUNTIES:
        body = {"county": county, "ordered_on": ORDERED_ON, "reason": KEY_REASON}
        await call("POST", f"{intake_url}/api/v1/county-key-supervisions", "city_admin", body)
        made += 1
    return made
