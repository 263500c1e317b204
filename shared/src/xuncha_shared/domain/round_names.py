"""How people name a round (巡察轮次): ``临川区第4届第5轮巡察``, ``抚州市第4届第3轮专项巡察``.
The services keep a round's id in their events and name it, from intake's ``RoundPlanned``, the
same way everywhere (rectification's issues and plans, reporting's revisits). Pure."""

from __future__ import annotations

from xuncha_shared.domain import jurisdictions

#: the round kinds' Chinese names (as ``web/src/rounds.ts`` shows them); a regular round is
#: simply a 巡察 (keys: ``intake.RoundKind`` values)
ROUND_KIND_ZH: dict[str, str] = {
    "regular": "巡察",
    "thematic": "专项巡察",
    "mobile": "机动式巡察",
    "targeted": "点穴式巡察",
    "return_visit": "回访式巡察",
    "cross_regional": "异地交流巡察",
}


def round_name(jurisdiction: str, term_no: int, round_no: int, kind: str) -> str:
    """``临川区第4届第5轮巡察``: the jurisdiction's name, term, round and kind."""
    return (
        f"{jurisdictions.name_of(jurisdiction)}第{term_no}届第{round_no}轮"
        f"{ROUND_KIND_ZH.get(str(kind), '巡察')}"
    )
