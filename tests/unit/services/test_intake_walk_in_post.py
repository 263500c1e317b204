"""R13: a walk-in is recorded as taken up by a post (巡察组组长), never by a person
(``walk_ins.post_problem``), and the workbench's form refuses the same (web/src/validation.ts
``postError``, from the same two lists, checked here)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from xuncha_intake.domain.walk_ins import BODY_CHARACTERS, POST_TITLES, post_problem

POSTS = ("组长", "副组长", "巡察组组长", "第一巡察组副组长", "市委巡察办主任", "巡察办副主任",
         "县纪委书记", "纪委副书记", "巡察组联络员", "区委巡察工作领导小组办公室主任")  # fmt: skip
PEOPLE = ("张三", "王组长", "李副主任", "张三丰主任", "欧阳书记", "组员", "接待人")


@pytest.mark.parametrize("post", POSTS)
def test_a_post_is_taken(post: str) -> None:
    assert post_problem(post) is None
    assert post_problem(f"  {post} ") is None


@pytest.mark.parametrize("person", PEOPLE)
def test_a_person_is_refused(person: str) -> None:
    problem = post_problem(person)
    assert problem is not None and "不填姓名或姓氏" in problem and "never a name" in problem


def test_the_workbench_checks_with_the_same_lists() -> None:
    source = (Path(__file__).parents[3] / "web" / "src" / "validation.ts").read_text("utf-8")
    titles = re.search(r"export const POST_TITLES = (\[[^\]]*\]);", source)
    body = re.search(r'export const BODY_CHARACTERS = ("[^"]*");', source)
    assert titles and body, "validation.ts no longer names POST_TITLES and BODY_CHARACTERS"
    assert tuple(json.loads(titles.group(1))) == POST_TITLES
    assert frozenset(json.loads(body.group(1))) == BODY_CHARACTERS
