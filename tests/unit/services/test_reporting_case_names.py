"""The names an auditor reads beside the ids a case's events carry (``domain.case_names``), and
the story's fields showing them (``xuncha_shared.audit.history``)."""

from __future__ import annotations

import uuid

import pytest
from xuncha_reporting.domain.case_names import case_names, ids_named, names_beside
from xuncha_shared.audit.payload_text import payload_details

pytestmark = pytest.mark.unit


def test_rounds_groups_and_units_are_named_beside_their_ids() -> None:
    rnd, group, unit, unknown = (str(uuid.uuid4()) for _ in range(4))
    docs = {
        "round": {rnd: {"jurisdiction": "361002", "term_no": 4, "round_no": 1, "kind": "regular"}},
        "group": {group: {"round_id": rnd, "group_no": 2}},
        "unit": {unit: {"name": "临川区民政局"}},
    }
    payload = {"round_id": rnd, "group_id": group, "unit_id": unit, "unit_ids": [unit, unknown]}
    assert ids_named([payload]) == {rnd, group, unit, unknown}
    names = case_names(docs, ids_named([payload]))
    assert names == {
        rnd: "临川区第4届第1轮巡察",
        group: "临川区第4届第1轮巡察第2巡察组",
        unit: "临川区民政局",
    }  # an id no document names stays as it is
    shown = payload_details(payload, names)
    assert f"巡察轮次：临川区第4届第1轮巡察（{rnd}）" in shown
    assert f"被巡察单位：临川区民政局（{unit}）" in shown
    assert f"临川区民政局（{unit}）、{unknown}" in shown
    assert payload_details(payload) == payload_details(payload, {})  # without names: the ids


def test_an_id_intake_does_not_know_is_named_by_its_own_event() -> None:
    """A provincial review's feedback to the city office: its round and unit are no intake
    round or unit, and the feedback itself names them; intake's names win where both exist."""
    round_id, unit_id = str(uuid.uuid4()), str(uuid.uuid4())
    fed_back = {
        "round_id": round_id, "round_name": "省委巡视反馈", "unit_id": unit_id,
        "unit": "市委巡察办（省委巡视反馈整改）", "description": "长效机制不健全",
    }  # fmt: skip
    names = names_beside([fed_back, {"unit_id": unit_id, "unit": "  "}, {"round_id": None}])
    assert names == {round_id: "省委巡视反馈", unit_id: "市委巡察办（省委巡视反馈整改）"}
    told = payload_details(fed_back, names)
    assert f"巡察轮次：省委巡视反馈（{round_id}）" in told, told
    assert f"被巡察单位：市委巡察办（省委巡视反馈整改）（{unit_id}）" in told, told
