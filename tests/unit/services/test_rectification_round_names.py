"""The names rectification gives the rounds it learns from intake (``domain/rounds.py``, with
``xuncha_shared.domain.round_names``, which reporting's revisits use too), as the workbench names
them elsewhere: jurisdiction, term, round and the round's kind."""

from __future__ import annotations

import pytest
from xuncha_rectification.domain.rounds import KnownRound
from xuncha_shared.contracts.intake import RoundKind
from xuncha_shared.domain.round_names import ROUND_KIND_ZH

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("jurisdiction", "term", "number", "kind", "name"),
    [
        ("361002", 4, 5, RoundKind.REGULAR, "临川区第4届第5轮巡察"),
        ("361000", 4, 3, RoundKind.THEMATIC, "抚州市第4届第3轮专项巡察"),
        ("361025", 2, 1, RoundKind.CROSS_REGIONAL, "乐安县第2届第1轮异地交流巡察"),
    ],
)
def test_a_round_is_named_by_its_jurisdiction_term_number_and_kind(
    jurisdiction: str, term: int, number: int, kind: RoundKind, name: str
) -> None:
    assert KnownRound(jurisdiction, term, number, kind).name == name


def test_every_round_kind_has_a_name() -> None:
    assert set(ROUND_KIND_ZH) == set(RoundKind)
