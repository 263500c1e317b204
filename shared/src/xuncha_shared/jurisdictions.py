"""Jurisdictions (GB/T 2260 codes) of the deployment: one city and its county-level divisions.

A deployment serves one city office and the offices of its counties. The table below is the
default deployment (抚州市 and its 11 county-level divisions); codes are checked against it so
that an unknown jurisdiction is refused at the door. Codes change over time; a production
deployment loads its own table with effective dates.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    return code in ALL


def name_of(code: str) -> str:
    j = ALL.get(code)
    return j.name if j else code


def city_of(code: str) -> str:
    """The city a code belongs to (a city code is its own city)."""
    return code[:4] + "00"


def is_city_code(code: str) -> bool:
    return code.endswith("00")
