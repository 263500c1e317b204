"""Jurisdictions: six-digit GB/T 2260 codes, and the deployment's table of them.

A city's code ends in ``00`` and its counties share its first four digits; province codes
(``xx0000``) are neither. A deployment serves one city office and the offices of its counties:
the table below is the default deployment (抚州市 and its 11 county-level divisions); codes
are checked against it so that an unknown jurisdiction is refused at the door. Codes change
over time; a production deployment loads its own table with effective dates.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "ALL",
    "CITY",
    "COUNTIES",
    "Jurisdiction",
    "city_of",
    "get",
    "is_city",
    "is_county",
    "is_known",
    "is_valid_jurisdiction",
    "name_of",
]

_CODE_RE = re.compile(r"^\d{6}$")


# --- codes ------------------------------------------------------------------------------------


def is_valid_jurisdiction(code: str) -> bool:
    """A six-digit GB/T 2260 code at city or county level (province codes ``xx0000`` are not)."""
    return bool(_CODE_RE.match(code)) and code[2:] != "0000"


def is_city(code: str) -> bool:
    """Whether ``code`` is a city (prefecture-level) code: ``xxxx00`` but not ``xx0000``."""
    return is_valid_jurisdiction(code) and code.endswith("00")


def is_county(code: str) -> bool:
    """Whether ``code`` is a county-level code (a valid code that is not a city's)."""
    return is_valid_jurisdiction(code) and not code.endswith("00")


def city_of(code: str) -> str:
    """The city a code belongs to: its first four digits, then ``00`` (a city is its own)."""
    if not is_valid_jurisdiction(code):
        raise ValueError(f"not a city or county GB/T 2260 code: {code!r}")
    return code[:4] + "00"


# --- the deployment's table -------------------------------------------------------------------


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    parent: str | None = None

    @property
    def is_city(self) -> bool:
        return self.parent is None


CITY = Jurisdiction("361000", "抚州市")

COUNTIES: tuple[Jurisdiction, ...] = tuple(
    Jurisdiction(code, name, CITY.code)
    for code, name in (
        ("361002", "临川区"),
        ("361003", "东乡区"),
        ("361021", "南城县"),
        ("361022", "黎川县"),
        ("361023", "南丰县"),
        ("361024", "崇仁县"),
        ("361025", "乐安县"),
        ("361026", "宜黄县"),
        ("361027", "金溪县"),
        ("361028", "资溪县"),
        ("361030", "广昌县"),
    )
)

ALL: dict[str, Jurisdiction] = {j.code: j for j in (CITY, *COUNTIES)}


def get(code: str) -> Jurisdiction | None:
    return ALL.get(code)


def is_known(code: str) -> bool:
    """Whether ``code`` is one of the deployment's jurisdictions."""
    return code in ALL


def name_of(code: str) -> str:
    j = ALL.get(code)
    return j.name if j else code


def area_name(code: str) -> str:
    """An area as a per-area breakdown names it: 市本级 for the city's own work, else the
    county's name (临川区)."""
    return "市本级" if is_city(code) else name_of(code)


def office_name(code: str) -> str:
    """The inspection office of a jurisdiction: 市委巡察办 of the city, 临川区委巡察办 of a
    district, 南城县委巡察办 of a county."""
    if is_city(code):
        return "市委巡察办"
    return f"{name_of(code)}委巡察办"
