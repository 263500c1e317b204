"""The names an auditor reads beside the ids a case's events carry (``domain.case_names``), and
the story's fields showing them (``xuncha_shared.audit.history``)."""

from __future__ import annotations

import uuid

import pytest
from xuncha_reporting.domain.case_names import case_names, ids_named
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
