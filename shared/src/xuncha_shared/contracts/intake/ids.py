"""The ids intake derives from natural keys (uniqueness by stream id)."""

from __future__ import annotations

import re
import unicodedata
from uuid import NAMESPACE_URL, UUID, uuid5

#: namespace of the ids intake derives from natural keys: a unit (jurisdiction + name), a term
#: plan (jurisdiction + term), a round (jurisdiction + term + round number), a group (round +
#: group number), a pilot point (county, kind, level and place). Two requests for one natural
#: key meet on one stream id (uniqueness).
INTAKE_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://xuncha.example/intake/")


#: a blank between two Chinese characters (or full-width forms): 南丰县 数据局 is 南丰县数据局
_CHINESE_GAP = re.compile(
    r"(?<=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]) (?=[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef])"
)


def normalize_unit_name(name: str) -> str:
    """A unit name as compared for uniqueness: stripped, inner runs of blanks made one space,
    and none left between two Chinese characters (a blank means nothing there)."""
    return _CHINESE_GAP.sub("", " ".join(name.split()))


def unit_id_for(jurisdiction: str, name: str) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"unit/{jurisdiction}/{normalize_unit_name(name)}")


def term_plan_id_for(jurisdiction: str, term_no: int) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"term-plan/{jurisdiction}/{term_no}")


def round_id_for(jurisdiction: str, term_no: int, round_no: int) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"round/{jurisdiction}/{term_no}/{round_no}")


def group_id_for(round_id: UUID, group_no: int) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"group/{round_id}/{group_no}")


def pilot_point_id_for(
    county: str, kind: str, place: str | None = None, level: str | None = None
) -> UUID:
    """A pilot point (联系点): a county's (``place`` none) or a township's or a village's of it
    (``level``); its name compared half-width (NFKC) and with its blanks collapsed (only
    collapsed: the ids of the points designated before stay as they were)."""
    where = " ".join(unicodedata.normalize("NFKC", place).split()) if place else ""
    return uuid5(INTAKE_ID_NAMESPACE, f"pilot-point/{county}/{kind}/{level or ''}/{where}")
