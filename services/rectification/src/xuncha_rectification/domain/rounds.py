"""The rounds rectification learns from intake (``intake.RoundPlanned``), for people to read:
rectification keeps only their ids in its events, and names them for the workbench as the
workbench names them elsewhere (巡察轮次: 临川区第4届第5轮巡察, 抚州市第4届第3轮专项巡察).
"""

from __future__ import annotations

from dataclasses import dataclass

from xuncha_shared.contracts.intake import RoundKind
from xuncha_shared.domain import jurisdictions

#: the round kinds' Chinese names (as ``web/src/rounds.ts`` shows them); a regular round is
#: simply a 巡察
ROUND_KIND_ZH: dict[RoundKind, str] = {
    RoundKind.REGULAR: "巡察",
    RoundKind.THEMATIC: "专项巡察",
    RoundKind.MOBILE: "机动式巡察",
    RoundKind.TARGETED: "点穴式巡察",
    RoundKind.RETURN_VISIT: "回访式巡察",
    RoundKind.CROSS_REGIONAL: "异地交流巡察",
}


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
        return (
            f"{jurisdictions.name_of(self.jurisdiction)}第{self.term_no}届第{self.round_no}轮"
            f"{ROUND_KIND_ZH[self.kind]}"
        )
