"""Views of steps 1–4, computed from the lifecycle documents (pure): coverage of a term (全覆盖)
and a round's statistics with the sentence an office writes in its round summary.

A planned unit counts as inspected when a stationing at it ended in a group of a round of the
same term and jurisdiction. Rates are percentages rounded half up to two decimals
(31 of 42 → 73.81).

R6 (全覆盖 within the term) is watched, not enforced: a jurisdiction whose term ends within
``COVERAGE_WARNING_DAYS`` with units not yet inspected is warned yellow (临近届末), one whose
term has ended so is red (届末未全覆盖); a plan adopted before its dates were kept (projection
version 12 and older, rebuilt since) has none and is never warned.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.domain import jurisdictions

Docs = dict[str, dict[str, dict[str, Any]]]

#: the document kinds each view reads
COVERAGE_KINDS = ("unit", "term_plan", "round", "group", "stationing", "stationing_end")
ROUND_KINDS = (
    "unit",
    "round",
    "round_unit",
    "group",
    "stationing",
    "stationing_end",
    "record",
    "petition_round",
    "clue_round",
    "clue_class",
    "clue_transfer",
)

TALENT_POOL_KINDS = ("pool_member", "pool_retired", "evaluation", "group", "round")

#: R6: the last year of a term, in which units left uninspected are warned (临近届末)
COVERAGE_WARNING_DAYS = 365

CATEGORIES_ZH = {
    "further_inquiry": "进一步了解关注类",
    "inquiry": "了解关注类",
    "reference": "参考类",
}
LEVELS_ZH = {"division": "处级干部", "section": "科级干部", "staff": "科员及以下"}
SURVEYS = ("democratic_assessment", "democratic_appraisal", "questionnaire")


def rate(part: int, whole: int) -> float | None:
    """``part`` of ``whole`` in percent, two decimals, half up; ``None`` when nothing is
    planned."""
    if whole == 0:
        return None
    value = (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)
    return float(value)


def inspected_units(docs: Docs) -> dict[tuple[str, int], set[str]]:
    """Per jurisdiction and term, the units whose stationing ended in a round of the term."""
    out: dict[tuple[str, int], set[str]] = {}
    ended = docs.get("stationing_end", {})
    for stationing_id, stationing in docs.get("stationing", {}).items():
        if stationing_id not in ended:
            continue
        group = docs.get("group", {}).get(stationing["group_id"])
        rnd = docs.get("round", {}).get(group["round_id"]) if group else None
        if rnd is None:
            continue
        key = (rnd["jurisdiction"], int(rnd["term_no"]))
        out.setdefault(key, set()).add(stationing["unit_id"])
    return out


def coverage_warning(ends_on: str | None, left: int, today: date) -> tuple[int | None, str | None]:
    """R6: the days left of a term ending ``ends_on`` (ISO date; None when not known) on
    ``today``, and its warning with ``left`` units not yet inspected: None, "yellow" in the
    term's last ``COVERAGE_WARNING_DAYS`` days, "red" once it has ended."""
    if ends_on is None:
        return None, None
    days_left = (date.fromisoformat(ends_on) - today).days
    if left == 0:
        return days_left, None
    if days_left < 0:
        return days_left, "red"
    return days_left, "yellow" if days_left <= COVERAGE_WARNING_DAYS else None


def term_plans(docs: Docs) -> list[dict[str, Any]]:
    """The term plans in ``docs`` (届次, jurisdiction, dates; not their units), by term, the
    city's first."""
    plans = [
        {
            "term_no": plan["term_no"],
            "jurisdiction": plan["jurisdiction"],
            "starts_on": plan.get("starts_on"),
            "ends_on": plan.get("ends_on"),
        }
        for plan in docs.get("term_plan", {}).values()
    ]
    plans.sort(
        key=lambda p: (
            p["term_no"],
            not jurisdictions.is_city(p["jurisdiction"]),
            p["jurisdiction"],
        )
    )
    return plans


def current_term(plans: list[dict[str, Any]], scope: str, today: date) -> int | None:
    """The term a reader of ``scope`` is in on ``today``, from its own plans (those of
    ``scope``) or, having none, from every plan in view: the term whose plan runs over
    ``today``; else the latest whose plan has begun (a term ended and the next not yet
    adopted: a county's next plan does not move the city's term); else the earliest planned;
    None when no term is planned."""
    day = today.isoformat()
    own = [p for p in plans if p["jurisdiction"] == scope] or plans
    running = [
        int(p["term_no"])
        for p in own
        if p["starts_on"] and p["ends_on"] and p["starts_on"] <= day <= p["ends_on"]
    ]
    if running:
        return max(running)
    begun = [int(p["term_no"]) for p in own if p["starts_on"] is None or p["starts_on"] <= day]
    if begun:
        return max(begun)
    return min((int(p["term_no"]) for p in own), default=None)


def coverage(docs: Docs, term_no: int | None, scope: str, today: date) -> dict[str, Any]:
    """全覆盖 of term ``term_no``: per jurisdiction with a plan of that term, the units planned,
    inspected and not yet inspected (the drill-down), the term's dates, the days left on
    ``today`` and its R6 warning (``coverage_warning``), and under ``city`` the total over all
    of them, named for ``scope``: the city for a city-wide reader, the county a county office
    sees (whose ``docs`` hold only its own county: its total is not the city's). Without
    ``term_no``, each jurisdiction's row is of ITS term of today (``current_term`` of its own
    plans): a city that has adopted its next term does not hide the counties still in theirs,
    nor their 届满 warning; each row names its ``term_no``. ``term_plans`` lists every term
    planned in view, ``current_term_no`` the reader's term of today: what a page shows first,
    and proposes to plan next (``term_no`` of the answer: the term asked for, else that)."""
    plans = term_plans(docs)
    current = current_term(plans, scope, today)
    # without a term asked for, each jurisdiction's own term of today
    terms = {
        code: current_term([p for p in plans if p["jurisdiction"] == code], code, today)
        for code in {p["jurisdiction"] for p in plans}
        if term_no is None
    }
    units = docs.get("unit", {})
    inspected = inspected_units(docs)
    rows = []
    for plan in docs.get("term_plan", {}).values():
        code = plan["jurisdiction"]
        wanted = term_no if term_no is not None else terms.get(code)
        if plan["term_no"] != wanted:
            continue
        planned = list(dict.fromkeys(plan["unit_ids"]))
        done_set = inspected.get((code, int(plan["term_no"])), set())
        done = [u for u in planned if u in done_set]
        days_left, warning = coverage_warning(plan.get("ends_on"), len(planned) - len(done), today)
        rows.append(
            {
                "jurisdiction": code,
                "name": jurisdictions.name_of(code),
                "level": "city" if jurisdictions.is_city(code) else "county",
                "term_no": plan["term_no"],
                "planned": len(planned),
                "inspected": len(done),
                "rate": rate(len(done), len(planned)),
                "starts_on": plan.get("starts_on"),
                "ends_on": plan.get("ends_on"),
                "days_left": days_left,
                "warning": warning,
                # 巡察规划调整: how many times, the latest day (none: as adopted)
                "amendments": plan.get("amendment_no", 0),
                "amended_on": plan.get("amended_on"),
                "not_inspected": [
                    {"unit_id": u, "name": units.get(u, {}).get("name", u)}
                    for u in planned
                    if u not in done
                ],
            }
        )
    rows.sort(key=lambda r: (r["level"] != "city", r["jurisdiction"]))
    planned_total = sum(r["planned"] for r in rows)
    inspected_total = sum(r["inspected"] for r in rows)
    return {
        "term_no": term_no if term_no is not None else current,
        "current_term_no": current,
        "term_plans": plans,
        "city": {
            "jurisdiction": scope,
            "name": jurisdictions.name_of(scope),
            "planned": planned_total,
            "inspected": inspected_total,
            "rate": rate(inspected_total, planned_total),
        },
        "jurisdictions": rows,
    }


def round_statistics(docs: Docs, round_id: str) -> dict[str, Any] | None:
    """A round's figures (``None`` for a round not in ``docs``), each the sum of its records,
    and ``summary_zh``."""
    rnd = docs.get("round", {}).get(round_id)
    if rnd is None:
        return None
    modes = Counter(
        d["mode"] for d in docs.get("round_unit", {}).values() if d["round_id"] == round_id
    )
    groups = {k: g for k, g in docs.get("group", {}).items() if g["round_id"] == round_id}
    members = {m for g in groups.values() for m in g["member_ids"]}
    records = [r for r in docs.get("record", {}).values() if r["round_id"] == round_id]
    talks: Counter[str] = Counter()
    surveys = {kind: {"issued": 0, "returned": 0} for kind in SURVEYS}
    symposia = {"meetings": 0, "participants": 0}
    referrals: Counter[str] = Counter()
    other = Counter[str]()
    for r in records:
        if r["kind"] == "individual_talk":
            for t in r["talks"]:
                talks[t["interviewee"]] += t["persons"]
        elif r["kind"] == "survey":
            surveys[r["survey"]]["issued"] += r["copies_issued"]
            surveys[r["survey"]]["returned"] += r["copies_returned"]
        elif r["kind"] == "symposium":
            symposia["meetings"] += r["meetings"]
            symposia["participants"] += r["participants"]
        elif r["kind"] == "referral":
            referrals[r["source"]] += r["items"]
        elif r["kind"] == "site_check":
            other["site_checks"] += r["checks"]
        elif r["kind"] == "field_visit":
            other["field_visit_sites"] += r["sites"]
            other["field_visit_persons"] += r["persons_heard"]
        elif r["kind"] == "records_review":
            other["records_reviewed"] += r["items"]
        elif r["kind"] == "personal_matters_check":
            other["cadres_checked"] += r["cadres_checked"]
            other["discrepancies"] += r["discrepancies"]
    petitions = sum(1 for p in docs.get("petition_round", {}).values() if p["round_id"] == round_id)
    clue_ids = [k for k, c in docs.get("clue_round", {}).items() if c["round_id"] == round_id]
    classes = docs.get("clue_class", {})
    by_category = Counter(classes[c]["category"] for c in clue_ids if c in classes)
    by_level = Counter(
        classes[c]["cadre_level"] for c in clue_ids if c in classes and classes[c]["cadre_level"]
    )
    by_channel = Counter(
        docs["clue_round"][c].get("source_channel") or "petition" for c in clue_ids
    )
    transfers = sum(1 for c in clue_ids if c in docs.get("clue_transfer", {}))
    ended = docs.get("stationing_end", {})
    stationings = [s for k, s in docs.get("stationing", {}).items() if s["group_id"] in groups]
    stats: dict[str, Any] = {
        "round_id": round_id,
        "jurisdiction": rnd["jurisdiction"],
        "term_no": rnd["term_no"],
        "round_no": rnd["round_no"],
        "kind": rnd["kind"],
        "starts_on": rnd["starts_on"],
        "ends_on": rnd["ends_on"],
        "units": sum(modes.values()),
        "units_by_mode": {m: modes.get(m, 0) for m in ("regular", "linked", "revisit")},
        "groups": len(groups),
        "members": len(members),
        "stationings": len(stationings),
        # the units a group was stationed at (arranged or begun): the round's units not yet
        # reached are said apart in the sentence
        "units_stationed": len({s["unit_id"] for s in stationings if s.get("unit_id")}),
        "stationings_ended": sum(
            1
            for k, s in docs.get("stationing", {}).items()
            if s["group_id"] in groups and k in ended
        ),
        "talks": sum(talks.values()),
        "talks_by_interviewee": dict(sorted(talks.items())),
        "surveys": surveys,
        "surveys_issued": sum(s["issued"] for s in surveys.values()),
        "symposia": symposia,
        "site_checks": other["site_checks"],
        "field_visits": {
            "sites": other["field_visit_sites"],
            "persons_heard": other["field_visit_persons"],
        },
        "records_reviewed": other["records_reviewed"],
        "personal_matters": {
            "cadres_checked": other["cadres_checked"],
            "discrepancies": other["discrepancies"],
        },
        "referrals": sum(referrals.values()),
        "referrals_by_source": dict(sorted(referrals.items())),
        "petitions": petitions,
        "clues": len(clue_ids),
        "clues_by_category": {c: by_category.get(c, 0) for c in CATEGORIES_ZH},
        "clues_unclassified": len(clue_ids) - sum(by_category.values()),
        "clues_by_cadre_level": {lv: by_level.get(lv, 0) for lv in LEVELS_ZH},
        "clues_by_channel": dict(sorted(by_channel.items())),
        "transfers": transfers,
    }
    stats["summary_zh"] = summary_zh(stats)
    return stats


def _field_visits_zh(visits: dict[str, int]) -> str:
    """走访调研 in a round's sentence, when the round recorded any (a round without says nothing
    of them, as its summary did before they were recorded)."""
    if not visits["sites"] and not visits["persons_heard"]:
        return ""
    return f"走访调研{visits['sites']}处（走访群众、服务对象{visits['persons_heard']}人次），"


#: how a round took its units (常规 / 联动 / 回头看) and its surveys, as all readers name them
MODES_ZH = VALUE_LABELS_ZH["mode"]
SURVEYS_ZH = VALUE_LABELS_ZH["survey"]


def _modes_zh(modes: dict[str, int]) -> str:
    """The units by how they were inspected, the modes the round used only: "（联动4个、
    回头看6个）"; nothing when all were inspected the one way."""
    used = [(mode, n) for mode, n in modes.items() if n]
    if len(used) < 2:
        return ""
    return "（" + "、".join(f"{MODES_ZH[mode]}{n}个" for mode, n in used) + "）"


def _surveys_zh(surveys: dict[str, dict[str, int]]) -> str:
    """The surveys the round issued: "发放民主测评160份、问卷调查300份，"; nothing without."""
    issued = [(kind, surveys[kind]["issued"]) for kind in SURVEYS if surveys[kind]["issued"]]
    if not issued:
        return ""
    return "发放" + "、".join(f"{SURVEYS_ZH[kind]}{n}份" for kind, n in issued) + "，"


def _symposia_zh(symposia: dict[str, int]) -> str:
    """座谈会 in a round's sentence, when the round held any."""
    if not symposia["meetings"]:
        return ""
    return f"召开座谈会{symposia['meetings']}场（{symposia['participants']}人参加），"


def summary_zh(s: dict[str, Any]) -> str:
    """The round's figures as the sentence of an office's round summary (the kinds of survey,
    the ways units were inspected and the classes of clue the round had: no "各0份", no
    "参考类0件")."""
    categories = "、".join(
        f"{CATEGORIES_ZH[c]}{n}件" for c, n in s["clues_by_category"].items() if n
    )
    levels = "、".join(f"{LEVELS_ZH[lv]}{n}件" for lv, n in s["clues_by_cadre_level"].items() if n)
    reached = s.get("units_stationed")
    units = (
        f"共巡察{s['units']}个单位{_modes_zh(s['units_by_mode'])}"
        if reached is None or reached >= s["units"]
        else f"确定被巡察单位{s['units']}个{_modes_zh(s['units_by_mode'])}，已进驻{reached}个"
    )
    return (
        f"第{s['term_no']}届第{s['round_no']}轮巡察{units}，派出{s['groups']}个巡察组"
        f"{s['members']}人。个别谈话{s['talks']}人次，{_surveys_zh(s['surveys'])}"
        f"{_symposia_zh(s['symposia'])}{_field_visits_zh(s['field_visits'])}"
        f"受理信访举报{s['petitions']}件次，"
        f"接收移交材料{s['referrals']}件；发现问题线索{s['clues']}件，"
        + (f"其中{categories}；" if categories else "")
        + (f"涉及{levels}；" if levels else "")
        + f"已移交{s['transfers']}件。"
    )


def talent_pool(docs: Docs) -> dict[str, Any]:
    """巡察人才库: size (members not retired) by source, speciality and rank; per member the rounds
    served in (group and round numbers) and the grades received; grades counted."""
    retired = docs.get("pool_retired", {})
    rounds = docs.get("round", {})
    served: dict[str, list[dict[str, Any]]] = {}
    for group_id, g in docs.get("group", {}).items():
        rnd = rounds.get(g["round_id"], {})
        for member_id in g["member_ids"]:
            served.setdefault(member_id, []).append(
                {
                    "group_id": group_id,
                    "group_no": g["group_no"],
                    "round_id": g["round_id"],
                    "term_no": rnd.get("term_no"),
                    "round_no": rnd.get("round_no"),
                    "leader": g["leader_id"] == member_id,
                }
            )
    grades: dict[str, list[dict[str, str]]] = {}
    for e in docs.get("evaluation", {}).values():
        grades.setdefault(e["member_id"], []).append(
            {"group_id": e["group_id"], "grade": e["grade"]}
        )
    by_source: Counter[str] = Counter()
    by_speciality: Counter[str] = Counter()
    by_rank: Counter[str] = Counter()
    members = []
    for member_id, m in sorted(docs.get("pool_member", {}).items(), key=lambda kv: kv[1]["name"]):
        active = member_id not in retired
        if active:
            by_source[m["source"]] += 1
            by_speciality.update(m["specialities"])
            by_rank[m["rank"]] += 1
        members.append(
            {
                "member_id": member_id,
                "name": m["name"],
                "jurisdiction": m["jurisdiction"],
                "source": m["source"],
                "specialities": m["specialities"],
                "rank": m["rank"],
                "retired": not active,
                "served": sorted(
                    served.get(member_id, []),
                    key=lambda s: (s["term_no"] or 0, s["round_no"] or 0, s["group_no"]),
                ),
                "grades": grades.get(member_id, []),
            }
        )
    grade_counts = Counter(g["grade"] for gs in grades.values() for g in gs)
    return {
        "size": sum(by_source.values()),
        "retired": len(members) - sum(by_source.values()),
        "by_source": dict(sorted(by_source.items())),
        "by_speciality": dict(sorted(by_speciality.items())),
        "by_rank": dict(sorted(by_rank.items())),
        "grades": dict(sorted(grade_counts.items())),
        "members": members,
    }
