"""Rates in percent, rounded half up (四舍五入) as every page and workbook shows them."""

from __future__ import annotations

import pytest
from xuncha_reporting.domain.views import completion_rate, rate_text
from xuncha_shared.domain.percent import percent_of, percent_text


@pytest.mark.parametrize(
    ("part", "whole", "shown"),
    [(28, 33, "84.8%"), (18, 32, "56.3%"), (1, 8, "12.5%"), (0, 7, "0.0%"), (7, 7, "100.0%")],
)
def test_a_rate_reads_as_its_fraction_rounds(part: int, whole: int, shown: str) -> None:
    assert percent_of(part, whole) == shown
    assert percent_text(part / whole) == shown
    assert rate_text(completion_rate(part, whole)) == shown


def test_a_views_rate_shows_as_its_exact_fraction_for_every_count_a_county_has() -> None:
    """The rate the views answer (``completion_rate``) loses nothing the one-decimal percent
    shows: 4 decimals made 28/33 0.8485, shown 84.9%; 6 made 501/1001 0.5005, shown 50.1%."""
    wrong = [
        (part, whole)
        for whole in range(1, 1500)
        for part in range(whole + 1)
        if rate_text(completion_rate(part, whole)) != percent_of(part, whole)
    ]
    assert wrong == []


def test_nothing_fed_back_has_no_rate() -> None:
    assert rate_text(completion_rate(0, 0)) == "—"
    with pytest.raises(ValueError, match="percentage of 0"):
        percent_of(0, 0)
