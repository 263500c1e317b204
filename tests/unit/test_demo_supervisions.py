"""The demo's 督办 (``cli/demo/rectification._supervise_rejected``): the issues a rejected
verification sent back are supervised, a 重点督办 of the city unit with the most of them and a
跟踪督办 of two counties' units, each with only that unit's rejected issues; nothing without a
rejection."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from xuncha_shared.cli.demo.client import Endpoints
from xuncha_shared.cli.demo.rectification import _supervise_rejected

pytestmark = pytest.mark.unit

ENDPOINTS = Endpoints("http://i", "http://c", "http://r", "http://rep")


def issue(n: int, jurisdiction: str, unit: str) -> dict[str, Any]:
    return {"id": f"issue-{n}", "jurisdiction": jurisdiction, "unit_id": unit}


#: in progress: the rejected ones among others, over two pages of 200
ISSUES = [
    issue(1, "361000", "city-a"),
    issue(2, "361000", "city-b"),
    issue(3, "361000", "city-b"),
    issue(4, "361002", "lc-a"),
    issue(5, "361021", "nc-a"),
    issue(6, "361025", "la-a"),
    *(issue(100 + n, "361000", "city-a") for n in range(250)),
]


class FakeClient:
    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    async def call(
        self, method: str, url: str, who: str, body: Any = None, ok: Any = (200, 201)
    ) -> httpx.Response:
        assert who == "city_admin"
        if method == "GET":
            query = parse_qs(urlsplit(url).query)
            assert query["status"] == ["in_progress"]
            offset, limit = int(query["offset"][0]), int(query["limit"][0])
            page = {"items": ISSUES[offset : offset + limit], "total": len(ISSUES)}
            return httpx.Response(200, json=page)
        assert (method, url) == ("POST", "http://r/api/v1/supervisions")
        self.posted.append(body)
        return httpx.Response(201, json={})


async def test_the_rejected_issues_of_three_units_are_supervised() -> None:
    client = FakeClient()
    rejected = ["issue-2", "issue-3", "issue-1", "issue-4", "issue-5", "issue-6", "issue-349"]
    assert await _supervise_rejected(client, ENDPOINTS, rejected) == 3  # type: ignore[arg-type]
    due = (date.today() + timedelta(days=30)).isoformat()
    # the city unit with the most: city-a and city-b have two each (city-a one on the second
    # page), city-a comes first by id
    assert [(b["unit_id"], b["kind"], sorted(b["issue_ids"])) for b in client.posted] == [
        ("city-a", "key", ["issue-1", "issue-349"]),
        ("lc-a", "tracking", ["issue-4"]),
        ("nc-a", "tracking", ["issue-5"]),
    ]
    assert {b["due_on"] for b in client.posted} == {due}
    assert all("演示" in b["note"] for b in client.posted)


async def test_nothing_is_supervised_without_a_rejection() -> None:
    client = FakeClient()
    assert await _supervise_rejected(client, ENDPOINTS, []) == 0  # type: ignore[arg-type]
    assert client.posted == []
