"""The demo's plan measures name each problem by a whole clause of it, never a phrase cut in
the middle (整改方案 reads as an office would write it)."""

from __future__ import annotations

import re

import pytest
from xuncha_shared.cli.demo.loader import plan_measure
from xuncha_shared.cli.demo.plan import build_plan

pytestmark = pytest.mark.unit


def test_every_measure_quotes_a_whole_first_clause_of_its_problem() -> None:
    descriptions = {i.description for f in build_plan().feedbacks for i in f.issues}
    assert len(descriptions) > 20
    for description in descriptions:
        measure = plan_measure(description)
        quoted = re.fullmatch(r"针对“(.+)”建立整改台账，逐项整改并完善制度（演示）", measure)
        assert quoted, measure
        head = quoted.group(1)
        assert "“" not in head and "”" not in head, measure  # nested quotes are single ones
        head = head.replace("‘", "“").replace("’", "”")
        rest = description[len(head) :]
        assert description.startswith(head) and (rest == "" or rest[0] in "，；。：,;"), measure


def test_a_problem_of_one_clause_is_quoted_whole() -> None:
    assert (
        plan_measure("公务接待超标准")
        == "针对“公务接待超标准”建立整改台账，逐项整改并完善制度（演示）"
    )


def test_quotes_inside_the_clause_become_single_ones() -> None:
    assert (
        plan_measure("未按“三重一大”制度集体决策，约30万元")
        == "针对“未按‘三重一大’制度集体决策”建立整改台账，逐项整改并完善制度（演示）"
    )
