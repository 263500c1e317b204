"""整改台账's 汇总 ends with 合计, the area's figures as the board gives them, and colours are
named in the board's words (正常 / 临期 / 逾期), not 绿 / 黄 / 红."""

from __future__ import annotations

from typing import Any

from xuncha_reporting.domain.board import COLOUR_ZH, summary_rows


def unit(name: str, fed: int, closed: int, declared: int) -> dict[str, Any]:
    return {
        "unit": name,
        "issues_fed_back": fed,
        "closed_out": closed,
        "completion_rate": closed / fed if fed else None,
        "self_declared": declared,
        "self_declared_rate": declared / fed if fed else None,
        "overdue_tasks": 1,
        "supervisions": 2,
        "red_lines": 0,
    }


def test_the_summary_ends_with_the_areas_total() -> None:
    rows = summary_rows([unit("市交通局", 10, 6, 8), unit("市国资委", 13, 0, 1)])
    assert rows[-1] == ["合计", 23, 6, "26.1%", 9, "39.1%", 2, 4, 0]
    assert [r[0] for r in rows] == ["市交通局", "市国资委", "合计"]
    # one unit: its row is the total already
    assert [r[0] for r in summary_rows([unit("市交通局", 10, 6, 8)])] == ["市交通局"]


def test_colours_in_the_boards_words() -> None:
    assert (COLOUR_ZH["green"], COLOUR_ZH["yellow"], COLOUR_ZH["red"]) == ("正常", "临期", "逾期")
