"""R2 routing (巡视工作条例第28条, versioned): which department a clue's topics send it to.
Pure: no I/O.

Discipline breaches and 作风 → 纪委监委; 民主集中制 and 选人用人 → 组织部; others → the relevant
department. ``allowed_departments`` derives the acceptable recipients from a clue's topics."""

from __future__ import annotations

from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department

ROUTE_TABLE_VERSION = "xunshi_2015_art28"

DISCIPLINE_TOPICS: frozenset[str] = frozenset(
    {"四风", "微腐败", "作风", "违纪", "违法", "腐败", "廉洁", "一岗双责", "两个责任"}
)
ORGANISATION_TOPICS: frozenset[str] = frozenset(
    {"民主集中制", "选人用人", "干部选拔任用", "组织建设", "班子建设"}
)
OTHER_TOPIC_ROUTES: dict[str, Department] = {
    "惠民资金": Department.FINANCE,
    "财务": Department.FINANCE,
    "审计": Department.AUDIT,
    "资金使用": Department.AUDIT,
    "信访": Department.PETITIONS,
}


def route_of(topic: str) -> Department | None:
    """The R2 recipient of one topic, ``None`` when the route table does not fix one."""
    if topic in DISCIPLINE_TOPICS:
        return Department.DISCIPLINE
    if topic in ORGANISATION_TOPICS:
        return Department.ORGANISATION
    return OTHER_TOPIC_ROUTES.get(topic)


def is_fixed_route(topic: str) -> bool:
    """Whether Art. 28 itself fixes the recipient (纪委 or 组织部), not the office."""
    return topic in DISCIPLINE_TOPICS or topic in ORGANISATION_TOPICS


def suggested_departments(topics: list[str], leading_cadre: bool = False) -> list[Department]:
    """Recipients the route table suggests for ``topics``, in R2 order (纪委, 组织部, others).

    A clue on a leading cadre (``leading_cadre``: 处级 or 市管) is suggested to 纪委监委 as
    well where its topics leave the recipient open: Art. 28 sends leading cadres' suspected
    breaches there, and a 惠民资金 or 财务 topic of such a clue is one (the other recipients stay
    suggested). Where Art. 28 fixes the route (民主集中制 → 组织部) nothing is added: the
    suggestion never names a department the transfer would be refused to."""
    found = {d for t in topics if (d := route_of(t)) is not None}
    if leading_cadre and topics and allowed_departments(topics) is None:
        found.add(Department.DISCIPLINE)
    return [d for d in Department if d in found]


def is_leading_cadre(cadre_level: str | None, city_managed: bool) -> bool:
    """处级 or 市管: the 领导干部 whose clues R2 sends to 纪委监委."""
    return city_managed or cadre_level == "division"


def allowed_departments(topics: list[str]) -> list[Department] | None:
    """The departments a transfer may go to, or ``None`` when any department is acceptable
    (no topics, or some topic without a fixed Art. 28 route)."""
    if not topics or not all(is_fixed_route(t) for t in topics):
        return None
    return suggested_departments(topics)


def department_labels(departments: list[Department]) -> str:
    """The departments as the refusals name them: 纪委监委 (discipline_commission)、…"""
    return "、".join(f"{DEPARTMENT_LABELS_ZH[d]} ({d.value})" for d in departments)
