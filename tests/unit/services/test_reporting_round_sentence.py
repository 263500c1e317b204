"""A round's summary sentence names what the round did: the ways it inspected its units when it
used more than one, and the surveys it issued, never "常规0个" or "各0份"."""

from __future__ import annotations

from typing import Any

from xuncha_reporting.domain.lifecycle import summary_zh


def stats(modes: dict[str, int], issued: dict[str, int]) -> dict[str, Any]:
    kinds = ("democratic_assessment", "democratic_appraisal", "questionnaire")
    return {
        "term_no": 4,
        "round_no": 7,
        "units": sum(modes.values()),
        "units_by_mode": {m: modes.get(m, 0) for m in ("regular", "linked", "revisit")},
        "groups": 2,
        "members": 9,
        "talks": 56,
        "surveys": {k: {"issued": issued.get(k, 0), "returned": 0} for k in kinds},
        "symposia": {"meetings": 3, "participants": 35},
        "field_visits": {"sites": 0, "persons_heard": 0},
        "petitions": 1,
        "referrals": 0,
        "clues": 0,
        "clues_by_category": {},
        "clues_by_cadre_level": {},
        "transfers": 0,
    }


def test_the_modes_the_round_used_only():
    sentence = summary_zh(stats({"linked": 4, "revisit": 6}, {}))
    assert "共巡察10个单位（联动4个、回头看6个），派出2个巡察组9人" in sentence
    assert "常规" not in sentence


def test_one_way_of_inspecting_is_not_spelt_out():
    sentence = summary_zh(stats({"regular": 5}, {}))
    assert "共巡察5个单位，派出2个巡察组9人" in sentence


def test_the_surveys_issued_only_and_none_when_there_were_none():
    sentence = summary_zh(
        stats({"regular": 5}, {"questionnaire": 300, "democratic_assessment": 160})
    )
    assert "个别谈话56人次，发放民主测评160份、问卷调查300份，召开座谈会3场" in sentence
    assert "民主评议" not in sentence and "各" not in sentence
    assert "个别谈话56人次，召开座谈会3场" in summary_zh(stats({"regular": 5}, {}))


def test_no_clues_says_so_without_empty_lists():
    sentence = summary_zh(stats({"regular": 5}, {}))
    assert sentence.endswith("发现问题线索0件，已移交0件。")
    counted = stats({"regular": 5}, {})
    counted |= {
        "clues": 2,
        "clues_by_category": {"further_inquiry": 0, "inquiry": 2, "reference": 0},
        "clues_by_cadre_level": {"division": 0, "section": 2, "staff": 0},
    }
    assert "发现问题线索2件，其中了解关注类2件；涉及科级干部2件；已移交" in summary_zh(counted)


def test_no_symposium_is_left_out():
    quiet = stats({"regular": 5}, {})
    quiet["symposia"] = {"meetings": 0, "participants": 0}
    assert "个别谈话56人次，受理信访举报1件次" in summary_zh(quiet)


def test_units_no_group_reached_are_said_apart():
    """A round whose groups reached only some of its units (closed early, or under way) does
    not say it inspected them all."""
    some = summary_zh(
        {**stats({"regular": 3, "linked": 1, "revisit": 1}, {}), "units_stationed": 1}
    )
    assert "确定被巡察单位5个（常规3个、联动1个、回头看1个），已进驻1个，派出2个巡察组9人" in some
    assert "共巡察" not in some
    every = summary_zh({**stats({"regular": 5}, {}), "units_stationed": 5})
    assert "共巡察5个单位，派出2个巡察组9人" in every
