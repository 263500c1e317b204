"""The demo's talent pool reads like people: each member's name a surname and a given name, no
numbers in it, and no two members of the demo's pool with the same name."""

from __future__ import annotations

import re

import pytest
from xuncha_shared.cli.demo.data import SURNAMES
from xuncha_shared.cli.demo.rounds_data import CITY_POOL, POOL_GIVEN, person_name

pytestmark = pytest.mark.unit


def test_every_pool_member_of_the_demo_has_a_name_of_their_own() -> None:
    # the city's members, then up to ten a county (``demo.rounds``: CITY_POOL + 10 * c + k)
    names = [person_name(i) for i in range(CITY_POOL + 10 * 11)]
    assert len(set(names)) == len(names)
    assert len(set(POOL_GIVEN)) == len(POOL_GIVEN)
    for name in names:
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,3}", name), name
        assert name[0] in SURNAMES and name[1:] in POOL_GIVEN
