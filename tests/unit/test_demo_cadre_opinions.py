"""The demo's 干部任用征求巡察意见 (cli/demo/cadre_opinions.py): 组织部 asks with its own token
about cadres of the units the inspections know (and one never inspected), within the last year;
each office answers its own area's from the service's draft with the blank filled, three days
after the asking; two wait; nothing is asked twice, nor without the organisation's token."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from xuncha_shared.cli.demo import cadre_opinions

pytestmark = pytest.mark.unit

TODAY = date(2026, 12, 5)
UNITS = [
    {"jurisdiction": "361000", "unit_id": f"00000000-0000-0000-0000-00000000000{i}", "unit": n}
    for i, n in enumerate(("市交通运输局", "市住建局", "市农业农村局", "市卫生健康委"))
] + [
    {
        "jurisdiction": "361002",
        "unit_id": "00000000-0000-0000-0000-000000000009",
        "unit": "临川区住建局",
    }
]


def fake(asked_already: bool = False) -> tuple[Any, list[tuple[str, str, Any]]]:
    calls: list[tuple[str, str, Any]] = []

    async def call(method: str, url: str, who: str, body: Any = None, ok: Any = ()) -> Any:
        calls.append((who, url, body))

        def answer(doc: Any) -> Any:
            return SimpleNamespace(status_code=200, json=lambda: doc)

        if url.endswith("/api/v1/cadre-opinions") and method == "GET":
            return answer({"items": [{"id": "x"}] if asked_already else []})
        if url.endswith("/cadre-opinion-units"):
            return answer(UNITS)
        if method == "POST" and url.endswith("/api/v1/cadre-opinions"):
            return answer({"id": f"r{len(calls)}"})
        if "/draft" in url:
            return answer({"text": "经查……巡察中发现某某同志存在以下问题：____。"})
        return answer({})

    return call, calls


async def test_asked_by_the_organisation_and_answered_by_each_area() -> None:
    call, calls = fake()
    tokens = {cadre_opinions.ORGANISATION: "t"}
    made = await cadre_opinions.load_cadre_opinions(
        call, "http://r", tokens, lambda code: f"office:{code}", TODAY
    )
    asks = [b for who, url, b in calls if url == "http://r/api/v1/cadre-opinions" and b]
    answers = [(who, b) for who, url, b in calls if url.endswith("/opinion")]
    assert made == len(asks) == 7 and len(answers) == 5
    assert all(
        TODAY.replace(year=2025) < date.fromisoformat(a["requested_on"]) <= TODAY for a in asks
    )
    assert {a["unit"] for a in asks if "unit_id" not in a} == {cadre_opinions.NOT_INSPECTED_UNIT}
    assert {who for who, _ in answers} == {"office:361000", "office:361002"}
    assert all("____" not in b["text"] for _, b in answers)
    # the blank filled with what fits the conclusion: a finding, or what was checked
    for _, b in answers:
        filled = cadre_opinions.FINDING if b["conclusion"] == "adverse" else cadre_opinions.CHECKED
        assert filled in b["text"], b
    assert all(date.fromisoformat(b["given_on"]) <= TODAY for _, b in answers)


async def test_nothing_twice_nor_without_the_organisations_token() -> None:
    call, calls = fake(asked_already=True)
    tokens = {cadre_opinions.ORGANISATION: "t"}
    assert await cadre_opinions.load_cadre_opinions(call, "r", tokens, str, TODAY) == 0
    assert [url for _, url, _ in calls] == ["r/api/v1/cadre-opinions"]
    call, calls = fake()
    assert await cadre_opinions.load_cadre_opinions(call, "r", {"city_admin": "t"}, str, TODAY) == 0
    assert calls == []


def test_a_cadres_post_is_one_the_unit_has() -> None:
    """A company has no 局长 and a township no 主任; the demo's posts follow the unit."""
    assert cadre_opinions.post_at("市交通投资集团", "副局长") == "副总经理"
    assert cadre_opinions.post_at("市交通投资集团", "党组书记、局长") == "党委书记、董事长"
    assert cadre_opinions.post_at("某某镇", "副主任") == "党委副书记"
    assert cadre_opinions.post_at("市人社局", "副局长") == "副局长"
    # the finding reported does not lean on feedback the unit's figures may not have
    assert "反馈" not in cadre_opinions.FINDING
