"""The rounds rectification learns from intake (``intake.RoundPlanned``), for people to read:
rectification keeps only their ids in its events, and names them for the workbench as the
workbench names them elsewhere (巡察轮次: 临川区第4届第5轮巡察, 抚州市第4届第3轮专项巡察).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from xuncha_shared.contracts.intake import RoundKind
from xuncha_shared.domain.round_names import round_name


@dataclass(frozen=True)
class KnownRound:
    """A round as intake planned it."""

    jurisdiction: str
    term_no: int
    round_no: int
    kind: RoundKind

    @property
    def name(self) -> str:
        """``临川区第4届第5轮巡察``: the jurisdiction's name, term, round and kind."""
        return round_name(self.jurisdiction, self.term_no, self.round_no, self.kind)


@dataclass(frozen=True)
class HoldingRound:
    """A round of the revisit's jurisdiction named as the one holding a 回头看 of a unit: its
    days, and the mode it assigned the unit in (``revisit`` for 巡察"回头看"; None when it does
    not name the unit)."""

    round_id: UUID
    round: KnownRound
    starts_on: date
    ends_on: date
    unit_mode: str | None
