"""整改台账's 汇总: a row per unit with its area, the 小计 of each area of several units when the
workbook covers the whole city, then 合计, the figures as the board gives them; colours are
named in the board's words (正常 / 临期 / 逾期), not 绿 / 黄 / 红; and a board of the whole city
colours each county's work by that county's own R10 threshold."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from xuncha_reporting.domain.board import board
from xuncha_reporting.domain.board_sheets import COLOUR_ZH, ledger, sheet_names, summary_rows
from xuncha_shared.contracts import rectification as r

from tests.support.board_docs import LINCHUAN, docs_of

CITY, NANCHENG = "361000", "361021"


def unit(name: str, fed: int, closed: int, declared: int, area: str = CITY) -> dict[str, Any]:
    return {
        "unit": name,
        "jurisdiction": area,
        "issues_fed_back": fed,
        "closed_out": closed,
        "completion_rate": closed / fed if fed else None,
        "self_declared": declared,
        "self_declared_rate": declared / fed if fed else None,
        "overdue_tasks": 1,
        "supervisions": 2,
        "red_lines": 0,
    }


def test_the_summary_of_one_area_ends_with_its_total() -> None:
    rows = summary_rows([unit("市交通局", 10, 6, 8), unit("市国资委", 13, 0, 1)])
    assert rows[-1] == ["市本级", "合计", 23, 6, "26.1%", 9, "39.1%", 2, 4, 0]
    assert [r[:2] for r in rows] == [
        ["市本级", "市交通局"],
        ["市本级", "市国资委"],
        ["市本级", "合计"],
    ]
    # one unit: its row is the total already
    assert [r[1] for r in summary_rows([unit("市交通局", 10, 6, 8)])] == ["市交通局"]


def test_the_whole_citys_summary_gives_each_area_its_subtotal() -> None:
    rows = summary_rows(
        [
            unit("市交通局", 10, 6, 8),
            unit("市国资委", 13, 0, 1),
            unit("临川区财政局", 4, 4, 4, LINCHUAN),
            unit("南城县水利局", 2, 0, 0, NANCHENG),
            unit("南城县教育局", 3, 0, 0, NANCHENG),
        ]
    )
    assert [r[:3] for r in rows] == [
        ["市本级", "市交通局", 10],
        ["市本级", "市国资委", 13],
        ["市本级", "小计", 23],
        ["临川区", "临川区财政局", 4],  # one unit: its row is its area's total
        ["南城县", "南城县水利局", 2],
        ["南城县", "南城县教育局", 3],
        ["南城县", "小计", 5],
        ["全市", "合计", 32],
    ]
    assert rows[-1] == [
        "全市",
        "合计",
        32,
        10,
        "31.3%",
        13,
        "40.6%",
        5,
        10,
        0,
    ]  # 10 of 32: 31.25% rounds half up
    assert rows[2][4] == "26.1%" and rows[6][4] == "0.0%"


def test_the_whole_citys_sheets_say_a_countys_unit_by_its_county() -> None:
    units = [
        unit("市财政局", 1, 0, 0),
        unit("财政局", 1, 0, 0, LINCHUAN),
        unit("财政局", 1, 0, 0, NANCHENG),
    ]
    assert sheet_names(units) == ["市财政局", "临川区·财政局", "南城县·财政局"]
    # one county: its units' own names
    assert sheet_names([unit("财政局", 1, 0, 0, LINCHUAN), unit("财政局", 1, 0, 0, LINCHUAN)]) == [
        "财政局",
        "财政局(2)",
    ]


def _fed(area: str, name: str, due: str) -> tuple[str, uuid.UUID, r.IssueFedBack]:
    issue = uuid.uuid4()
    payload = r.IssueFedBack(
        issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=area, unit=name,
        unit_id=uuid.uuid4(), description="问题", due_date=due,
    )  # fmt: skip
    return ("issue", issue, payload)


def test_a_whole_city_board_colours_each_county_by_its_own_threshold() -> None:
    docs = docs_of([_fed(LINCHUAN, "临川区某局", "2026-11-20")], LINCHUAN)
    for kind, found in docs_of([_fed(NANCHENG, "南城县某局", "2026-11-20")], NANCHENG).items():
        docs.setdefault(kind, {}).update(found)
    thresholds = {LINCHUAN: 5, NANCHENG: 30}
    doc = board(docs, date(2026, 11, 1), lambda code: thresholds[code])
    colours = {u["unit"]: u["issues"][0]["colour"] for u in doc["units"]}
    # 19 days before the due date: green under 5 days' warning, 临期 under 30
    assert colours == {"临川区某局": "green", "南城县某局": "yellow"}
    sheets = ledger(doc)
    assert [(u["area"], u["sheet"]) for u in sheets["units"]] == [
        ("临川区", "临川区某局"),
        ("南城县", "南城县某局"),
    ]
    assert [row[:2] for row in sheets["summary"]["rows"]][-1] == ["全市", "合计"]


def test_colours_in_the_boards_words() -> None:
    assert (COLOUR_ZH["green"], COLOUR_ZH["yellow"], COLOUR_ZH["red"]) == ("正常", "临期", "逾期")


def test_two_countys_units_of_one_name_without_ids_stay_two_units() -> None:
    """Issues fed back before units had ids carry a name only: on the whole city's board two
    counties' 财政局 are two units, each in its own area."""

    def fed(area: str) -> tuple[str, uuid.UUID, r.IssueFedBack]:
        issue = uuid.uuid4()
        payload = r.IssueFedBack(
            issue_id=issue, feedback_id=uuid.uuid4(), jurisdiction=area, unit="财政局",
            description="问题", due_date="2026-12-20",
        )  # fmt: skip
        return ("issue", issue, payload)

    docs = docs_of([fed(LINCHUAN)], LINCHUAN)
    for kind, found in docs_of([fed(NANCHENG)], NANCHENG).items():
        docs.setdefault(kind, {}).update(found)
    units = board(docs, date(2026, 11, 1), lambda _: 20)["units"]
    assert [(u["jurisdiction"], u["unit"], u["issues_fed_back"]) for u in units] == [
        (LINCHUAN, "财政局", 1),
        (NANCHENG, "财政局", 1),
    ]
    assert sheet_names(units) == ["临川区·财政局", "南城县·财政局"]
