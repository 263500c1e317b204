"""R10's warning thresholds of this process (``XUNCHA_DEADLINE_WARNINGS``), read once: the
board's 临期, the deadline list's yellow by date and the as-of replay's deadlines use the same
ones."""

from __future__ import annotations

from xuncha_shared.clocks.rules import WarningPolicy

WARNINGS = WarningPolicy.from_env()


def yellow_days(jurisdiction: str) -> int:
    """The yellow threshold of ``jurisdiction`` (days before a due date)."""
    return WARNINGS.for_jurisdiction(jurisdiction).yellow_days
