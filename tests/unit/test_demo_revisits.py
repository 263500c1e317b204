"""The demo's revisits (回头看) and common-problem list (未巡先改), ``cli/demo/revisits.py``: the
revisited units are the main demo's city feedbacks that round 7 revisits and carry intake's unit
id; the findings check and reopen only closed-out issues; the list has the seeds' 19 problems in
5 aspects, every text labelled 演示."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from xuncha_shared.cli.demo import findings, revisits
from xuncha_shared.cli.demo.client import Endpoints
from xuncha_shared.cli.demo.plan import build_plan
from xuncha_shared.cli.demo.rounds_data import (
    FEEDBACK_ROUND_NO,
    NOT_INSPECTED,
    ROUND7_REVISITS,
    TERM_NO,
    demo_round_id,
    demo_unit_id,
)

pytestmark = pytest.mark.unit

TODAY = date(2026, 3, 2)


def test_the_revisited_units_are_older_city_feedbacks_of_round_7_with_unit_ids() -> None:
    plan = build_plan()
    by_unit = {f.unit: f for f in plan.feedbacks}
    for name in revisits.REVISITED:
        assert name in ROUND7_REVISITS
        feedback = by_unit[name]
        assert feedback.older  # ≈ 90 % done, so the close-out step closes most of them
        assert feedback.unit_id == demo_unit_id(name)
    # each county's unit is one its linked round inspected: named by intake's id too
    counties = [f for f in plan.feedbacks if f.jurisdiction != "361000"]
    assert len(counties) == 11
    for f in counties:
        assert f.unit_id == demo_unit_id(f.unit, f.jurisdiction)


def test_a_feedback_naming_its_unit_names_the_round_whose_hearing_the_demo_records() -> None:
    """R16: the feedback of a round and unit needs that unit's report heard; ``findings``
    hears the reports of the city's round 5 for the fed-back units under intake's ids."""
    feedbacks = build_plan().feedbacks
    named = [f for f in feedbacks if f.unit_id is not None and f.jurisdiction == "361000"]
    # round 5's 9 units with its 289 problems (000:L40)
    assert [f.unit for f in named] == [
        "市财政局", "市住建局", "市交通运输局", "市自然资源局",
        *findings.MORE_CITY_UNITS,
    ]  # fmt: skip
    assert sum(len(f.issues) for f in named) == 289
    for f in named:
        assert f.round_id == findings.round_id_for(
            "361000", findings.CITY_TERM, findings.CITY_ROUND
        )
        assert f.unit_id == findings.unit_id_for("361000", f.unit)
    # a county's unit: its linked round, whose report of the unit ``findings`` hears
    for f in feedbacks:
        if f.jurisdiction != "361000":
            assert f.round_id == findings.round_id_for(
                f.jurisdiction, findings.COUNTY_TERM, findings.COUNTY_ROUND
            )
            assert f.unit_id == findings.unit_id_for(f.jurisdiction, f.unit)


def test_three_revisits_held_today_one_left_to_record() -> None:
    plans = revisits.revisit_plans(TODAY)
    assert [p.unit for p in plans] == list(revisits.REVISITED)
    # held today: never in the past, and the findings of each may be recorded (not before)
    assert [p.scheduled_on for p in plans] == [TODAY, TODAY, TODAY]
    assert [p.findings for p in plans] == [True, True, False]
    assert sum(p.reopen for p in plans) == 1
    assert all("演示" in t for p in plans for t in p.new_problems)


def test_findings_reopen_one_closed_out_issue_and_check_others() -> None:
    first, second, pending = revisits.revisit_plans(TODAY)
    closed = [f"id-{n:02d}" for n in (9, 3, 7, 1, 5, 8, 2)]
    body = revisits.findings_body(first, closed)
    assert body is not None
    assert body["reopened_issue_ids"] == ["id-01"]
    assert body["checked_issue_ids"] == ["id-02", "id-03", "id-05", "id-07", "id-08"]
    assert set(body["checked_issue_ids"]) <= set(closed)
    assert body["new_problems"] == []
    other = revisits.findings_body(second, closed)
    assert other is not None and other["reopened_issue_ids"] == []
    assert other["new_problems"] == [revisits.NEW_PROBLEM]
    assert revisits.findings_body(pending, closed) is None
    # nothing closed out: a revisit with a new problem still records it, one without does not
    assert revisits.findings_body(first, []) is None
    empty = revisits.findings_body(second, [])
    assert empty is not None and empty["checked_issue_ids"] == []


def test_the_common_list_has_19_problems_in_5_aspects_to_the_units_not_inspected() -> None:
    body = revisits.common_list_body()
    assert body["jurisdiction"] == "361000" and body["term_no"] == TERM_NO
    assert len(body["items"]) == 19
    assert len({i["aspect"] for i in body["items"]}) == 5
    assert all(i["description"].endswith("（演示）") and i["topics"] for i in body["items"])
    assert body["unit_ids"] == [str(demo_unit_id(n)) for n in NOT_INSPECTED]
    checks = revisits.self_check_bodies()
    assert len(checks) == revisits.SELF_CHECKED < len(NOT_INSPECTED)
    assert {c["unit_id"] for c in checks} <= set(body["unit_ids"])
    assert all("演示" in c["findings"] and "演示" in c["measures"] for c in checks)


class _FakeClient:
    """Answers the calls ``load_revisits`` makes, recording them."""

    def __init__(self, closed: dict[str, list[str]]) -> None:
        self.closed = closed
        self.calls: list[tuple[str, str, str, Any]] = []

    async def call(self, method: str, url: str, who: str, body: Any = None, ok: Any = None) -> Any:
        self.calls.append((method, url, who, body))
        path = url.split("/api/v1", 1)[1]
        if method == "GET":
            unit = path.split("unit_id=", 1)[1].split("&", 1)[0]
            return _Resp({"items": [{"id": i} for i in self.closed.get(unit, [])]})
        if path == "/revisits":
            return _Resp({"id": f"rv-{body['unit_id']}"})
        if path == "/common-problem-lists":
            return _Resp({"id": "list-1"})
        if path.endswith("/urges"):  # the seven yet to answer, chased once
            return _Resp({"units": [{"urged": int(n >= 4)} for n in range(11)]})
        return _Resp({})


class _Resp:
    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc

    def json(self) -> dict[str, Any]:
        return self.doc


async def test_load_revisits_makes_a_handful_of_calls_as_the_office() -> None:
    units = [str(demo_unit_id(n)) for n in revisits.REVISITED]
    fake = _FakeClient({units[0]: ["b", "a", "c"], units[1]: ["x", "y"], units[2]: ["z"]})
    endpoints = Endpoints("http://i", "http://c", "http://r", "http://rep")
    summary = await revisits.load_revisits(fake, endpoints, TODAY)  # type: ignore[arg-type]
    assert all(who == "city_admin" for _m, _u, who, _b in fake.calls)
    assert len(fake.calls) == 3 + 2 + 2 + 1 + revisits.SELF_CHECKED + 1  # a handful, no waiting
    scheduled = [b for m, u, _w, b in fake.calls if u.endswith("/revisits")]
    assert [s["unit_id"] for s in scheduled] == units
    # each goes back to round 5's feedback and is held by round 7 (巡察“回头看”)
    assert {s["round_id"] for s in scheduled} == {str(demo_round_id(FEEDBACK_ROUND_NO))}
    assert {s["in_round_id"] for s in scheduled} == {str(demo_round_id(7))}
    findings = {u: b for m, u, _w, b in fake.calls if u.endswith("/findings")}
    assert set(findings) == {f"http://r/api/v1/revisits/rv-{u}/findings" for u in units[:2]}
    assert summary.reopened == ["a"]
    assert summary.revisits == 3 and summary.with_findings == 2
    assert summary.checked == 3 + 2 and summary.new_problems == 1
    assert summary.common_lists == 1 and summary.common_items == 19
    assert summary.self_checks == revisits.SELF_CHECKED
    checks = [u for m, u, _w, b in fake.calls if u.endswith("/self-checks")]
    assert set(checks) == {"http://r/api/v1/common-problem-lists/list-1/self-checks"}
    # then 催报 of every unit yet to answer (none named), the answer asked within a week
    [(_m, url, _w, urge)] = [c for c in fake.calls if c[1].endswith("/urges")]
    assert url == "http://r/api/v1/common-problem-lists/list-1/urges"
    assert urge["unit_ids"] == [] and urge["reply_by"] == "2026-03-09" and "演示" in urge["note"]
    assert summary.urged == 7


async def test_a_feedback_waits_for_its_hearing_but_not_for_other_conflicts() -> None:
    """The hearing reaches rectification through Kafka a moment after clues recorded it: the
    client asks again on R16's 409; any other 409 fails the load at once."""
    import httpx
    from xuncha_shared.cli.demo.client import DemoClient, DemoError

    answers = [
        httpx.Response(409, json={"detail": "该单位本轮巡察情况汇报尚未听取，不能反馈（R16）"}),
        httpx.Response(201, json={"issue_ids": []}),
        httpx.Response(409, json={"detail": "问题当前状态为“整改中”"}),
    ]
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answers.pop(0)

    client = DemoClient(Endpoints("http://i", "http://c", "http://r", "http://rep"), {"x": "t"})
    client.http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    try:
        resp = await client.call("POST", "http://r/api/v1/feedbacks", "x", {})
        assert resp.status_code == 201 and len(seen) == 2
        with pytest.raises(DemoError, match="409"):
            await client.call("POST", "http://r/api/v1/rectifications/1/close-out", "x", {})
        assert len(seen) == 3
    finally:
        await client.aclose()


async def test_a_503_with_retry_after_is_tried_again_a_bounded_number_of_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A command rolled back with 503 + Retry-After (a deadlock with the deadline worker's
    batch, the database restarting) is sent again after the wait; a 503 without Retry-After,
    or one that never ends, fails the load."""
    import httpx
    from xuncha_shared.cli.demo import client as demo_client
    from xuncha_shared.cli.demo.client import DemoClient, DemoError

    slept: list[float] = []

    async def no_sleep(seconds: float) -> None:
        slept.append(seconds)

    monkeypatch.setattr(demo_client.asyncio, "sleep", no_sleep)
    unavailable = httpx.Response(503, headers={"Retry-After": "5"}, json={"detail": "deadlock"})
    answers = [unavailable, unavailable, httpx.Response(201, json={}), httpx.Response(503)]
    answers += [unavailable] * (demo_client.MAX_UNAVAILABLE_WAITS + 1)
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        return answers.pop(0)

    client = DemoClient(Endpoints("http://i", "http://c", "http://r", "http://rep"), {"x": "t"})
    client.http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    try:
        resp = await client.call("POST", "http://i/api/v1/stationings/1/end", "x", {})
        assert resp.status_code == 201 and len(seen) == 3 and slept == [5.0, 5.0]
        with pytest.raises(DemoError, match="503"):  # no Retry-After: not a pause
            await client.call("POST", "http://i/api/v1/stationings/2/end", "x", {})
        with pytest.raises(DemoError, match="503"):  # bounded
            await client.call("POST", "http://i/api/v1/stationings/3/end", "x", {})
        assert len(seen) == 4 + demo_client.MAX_UNAVAILABLE_WAITS + 1
    finally:
        await client.aclose()
