"""Rates shown in percent to one decimal, rounded half up (四舍五入), as every page, workbook
and draft text of the system shows them. Pure.

A float's own formatting rounds half to even, and a binary fraction lies either side of the
half: ``f"{56.25:.1f}"`` is 56.2 while the workbench (``toFixed``) shows 56.3. These round from
the decimal digits instead."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_TENTH = Decimal("0.1")


def percent_text(rate: float) -> str:
    """A rate (a fraction, as the views answer it) in percent: 0.5625 is 56.3%, 0.848485 84.8%."""
    return f"{(Decimal(repr(rate)) * 100).quantize(_TENTH, ROUND_HALF_UP)}%"


def percent_of(part: int, whole: int) -> str:
    """``part`` of ``whole`` in percent, exactly: 18 of 32 is 56.3%, 28 of 33 84.8%."""
    if whole <= 0:
        raise ValueError(f"a percentage of {whole}")
    return f"{(Decimal(part) * 100 / Decimal(whole)).quantize(_TENTH, ROUND_HALF_UP)}%"
