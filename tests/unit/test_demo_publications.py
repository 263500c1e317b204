"""The demo's 两公开 (cli/demo/publications.py): each round unit's stages are published from the
service's own drafts with their blanks filled (演示), by the round's office; a stage the service
refuses (not reached) is left out; nothing without a city token."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace
from typing import Any

import pytest
from xuncha_shared.cli.demo import publications
from xuncha_shared.contracts.intake import round_id_for

pytestmark = pytest.mark.unit


def test_the_drafts_blanks_are_filled() -> None:
    text = publications.filled("值班电话：____；邮政信箱：____。……请反映至：____。")
    assert "____" not in text and text.count("（演示）") == 3


async def test_each_unit_of_each_round_from_its_draft() -> None:
    endpoints = SimpleNamespace(intake="http://i", rectification="http://r")
    city_round = str(round_id_for("361000", 4, 5))
    posted: list[tuple[str, dict[str, Any]]] = []

    async def call(method: str, url: str, who: str, body: Any = None, ok: Any = ()) -> Any:
        def answer(status: int, doc: Any = None) -> Any:
            return SimpleNamespace(status_code=status, json=lambda: doc)

        if url.endswith("/api/v1/units"):
            return answer(200, [{"id": UNIT, "name": "市财政局"}])
        if "/api/v1/rounds/" in url:
            if not url.endswith(city_round):
                return answer(404)
            units = [
                {"unit_id": UNIT},
                {"unit_id": "1b6a3d52-8f4e-5c1a-9d7b-3e2f1a6c4b58"},
            ]  # the second: no name
            doc = {"starts_on": "2026-03-01", "ends_on": "2026-04-30", "units": units}
            return answer(200, doc)
        if "/draft" in url:
            if "stage=rectification" in url:
                return answer(409)  # no formal report yet: no draft either
            return answer(200, {"title": "标题", "text": "值班电话：____；邮政信箱：____。"})
        posted.append((who, body))
        return answer(201)

    made = await publications.load_publications(
        call, endpoints, {"city_admin": "t"}, lambda code: f"office:{code}", date(2026, 12, 5)
    )
    assert made == 3 and len(posted) == 3  # no rectification: not reached
    assert {who for who, _ in posted} == {"office:361000"}
    stationing = posted[0][1]
    assert (stationing["stage"], stationing["scope"], stationing["published_on"]) == (
        "stationing",
        "public",
        "2026-03-01",
    )
    assert posted[1][1]["published_on"] == "2026-12-05"  # the feedback: the day it was recorded
    assert all("____" not in body["text"] for _, body in posted)
    assert await publications.load_publications(call, endpoints, {}, str, date(2026, 12, 5)) == 0


UNIT = "0b6a3d52-8f4e-5c1a-9d7b-3e2f1a6c4b58"
