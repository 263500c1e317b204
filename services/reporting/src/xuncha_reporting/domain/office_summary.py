"""The office summary (巡察办年度工作总结的数字, 000:L34–40) and the organisation department's
share of step 7 (pure).

``summary_docs`` turns events into lifecycle documents (``Doc``), ``office_summary`` computes the
view from them when read:

* reports heard, by meeting kind (书记专题会 / 常委会 / 巡察工作领导小组会), from
  ``clues.InspectionReportHeard`` (the year of ``held_on``); reports drafted by kind;
* problems recorded (by topic) and the pointed problems (点人点事) named at hearings of the year,
  with how many of them are under supervision: rectification's 督办 (``SUPERVISION_EVENT_TYPES``,
  e.g. ``rectification.SupervisionOrdered``) names a unit's issues, so a pointed problem counts
  as supervised when a supervision names an issue fed back from it (``IssueFedBack.problem_id``,
  schema 5); a pointed problem no issue names (fed back before issues named their problem, or
  typed without picking it) counts when a supervision was ordered for its unit (``unit_id``);
* clues transferred by department (the year of the transfer) and, per department, by
  disposition (谈话函询, 初步核实, 暂存待查, 予以了结, 立案审查调查, 组织处理) from
  ``DISPOSITION_EVENT_TYPES`` (the clue results reported back; the clues not yet concluded count
  as ``pending``);
* problems fed back per unit (``rectification.IssueFedBack`` of the year); those of a round
  intake does not plan (``round_name``: a review of the office itself, 省委巡视) are the office's
  own rectification, counted apart (``feedback.received``);
* immediate consultations (即时会商) held;
* a city's oversight of its counties' inspection work (R29, ``summary_oversight``): its checks
  (督导检查) of the year with the problems found by aspect, the counties put under 重点督办 (and
  lifted), its pilot points (联系点);
* the units whose stationing, feedback and rectification it made known (两公开, R5,
  ``summary_publications``); the opinions on cadres it gave (R4, ``summary_cadre_opinions``);

and ``rendering_zh``, the sentence an office writes in its annual summary. (The 组织部 feed is
``organisation_feed``'s.)
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

from xuncha_shared.contracts.clues import (
    ClueTransferred,
    ConsultationHeld,
    InspectionReportDrafted,
    InspectionReportHeard,
    ProblemRecorded,
)
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department
from xuncha_shared.contracts.rectification import IssueFedBack
from xuncha_shared.domain import jurisdictions
from xuncha_shared.envelope import EventPayload

from xuncha_reporting.domain import summary_cadre_opinions as opinions
from xuncha_reporting.domain.model import Doc
from xuncha_reporting.domain.projected import ProjectedEnvelope
from xuncha_reporting.domain.summary_oversight import (
    CHECK,
    KEY,
    LIFT,
    OVERSIGHT_EVENT_TYPES,
    OVERSIGHT_KINDS,
    POINT,
    oversight_docs,
    oversight_section,
    oversight_sentences,
)
from xuncha_reporting.domain.summary_publications import (
    PUBLICATION,
    PUBLICATION_EVENT_TYPES,
    publication_docs,
    publication_section,
    publication_sentences,
)

_CST = timezone(timedelta(hours=8))

#: the events that report a transferred clue's disposition (the clue lifecycle's results): any
#: of them with ``clue_id`` and ``disposition`` counts, the latest per clue
DISPOSITION_EVENT_TYPES: frozenset[str] = frozenset(
    {"clues.TransferResultReported", "clues.ClueDisposed"}
)
#: the events that put a unit's issues under supervision (督办), with ``unit_id`` and
#: ``issue_ids``
SUPERVISION_EVENT_TYPES: frozenset[str] = frozenset({"rectification.SupervisionOrdered"})

#: the events ``summary_docs`` projects (``projection.STEPS`` calls it for these only)
SUMMARY_EVENT_TYPES: frozenset[str] = frozenset(
    {
        ProblemRecorded.event_type,
        InspectionReportDrafted.event_type,
        InspectionReportHeard.event_type,
        ConsultationHeld.event_type,
        ClueTransferred.event_type,
        IssueFedBack.event_type,
    }
    | OVERSIGHT_EVENT_TYPES
    | PUBLICATION_EVENT_TYPES
    | opinions.OPINION_EVENT_TYPES
    | DISPOSITION_EVENT_TYPES
    | SUPERVISION_EVENT_TYPES
)

#: the document kinds the view reads
SUMMARY_KINDS: tuple[str, ...] = (
    "os_problem",
    "os_report",
    "os_hearing",
    "os_consultation",
    "os_transfer",
    "os_disposition",
    "os_supervision",
    "os_issue",
    *OVERSIGHT_KINDS,
    PUBLICATION,
    *opinions.OPINION_KINDS,
)

MEETINGS: tuple[str, ...] = ("standing_committee", "secretary_meeting", "leading_group")
MEETING_ZH = {
    "secretary_meeting": "书记专题会",
    "standing_committee": "常委会",
    "leading_group": "巡察工作领导小组会",
}
REPORT_KINDS: tuple[str, ...] = ("unit", "overall", "thematic")
REPORT_KIND_ZH = {"unit": "分报告", "overall": "综合报告", "thematic": "专项报告"}
DISPOSITIONS: tuple[str, ...] = (
    "talk_or_letter",
    "preliminary_check",
    "shelved",
    "closed",
    "case_opened",
    "organisational_handling",
)
DISPOSITION_ZH = {
    "talk_or_letter": "谈话函询",
    "preliminary_check": "初步核实",
    "shelved": "暂存待查",
    "closed": "予以了结",
    "case_opened": "立案审查调查",
    "organisational_handling": "组织处理",
}


def _day(at: datetime) -> str:
    return at.astimezone(_CST).date().isoformat()


def summary_docs(envelope: ProjectedEnvelope, payload: EventPayload) -> list[Doc]:
    """The office summary's documents of one event."""

    def doc(kind: str, key: object, body: dict[str, Any], jurisdiction: str | None = None) -> Doc:
        code = jurisdiction or envelope.jurisdiction
        return Doc(kind, str(key), code, body, envelope.occurred_at)

    on = _day(envelope.occurred_at)
    match payload:
        case ProblemRecorded():
            body = {
                "round_id": str(payload.round_id),
                "unit_id": str(payload.unit_id),
                "topics": list(payload.topics),
                "pointed": payload.pointed,
                "on": on,
            }
            return [doc("os_problem", payload.problem_id, body, payload.jurisdiction)]
        case InspectionReportDrafted():
            body = {
                "round_id": str(payload.round_id),
                "kind": payload.kind.value,
                "unit_ids": [str(u) for u in payload.unit_ids],
                "problem_ids": [str(p) for p in payload.problem_ids],
                "on": on,
            }
            return [doc("os_report", payload.report_id, body, payload.jurisdiction)]
        case InspectionReportHeard():
            body = {
                "report_id": str(payload.report_id),
                "kind": payload.kind.value,
                "meeting": payload.meeting.value,
                "held_on": payload.held_on.isoformat(),
                "unit_ids": [str(u) for u in payload.unit_ids],
                "pointed_problem_ids": [str(p) for p in payload.pointed_problem_ids],
            }
            return [doc("os_hearing", payload.hearing_id, body, payload.jurisdiction)]
        case ConsultationHeld():
            body = {"held_on": payload.held_on.isoformat(), "clues": len(payload.clue_ids)}
            return [doc("os_consultation", payload.consultation_id, body, payload.jurisdiction)]
        case ClueTransferred():  # a transfer made on paper: its letter's year (R26)
            letter = payload.transferred_on
            body = {
                "department": payload.department.value,
                "on": letter.isoformat() if letter else on,
            }
            return [doc("os_transfer", payload.clue_id, body, payload.jurisdiction)]
        case IssueFedBack():
            body = {"unit": payload.unit, "feedback_id": str(payload.feedback_id), "on": on}
            if payload.round_name is not None:  # a review of the office itself (省委巡视)
                body["review"] = payload.round_name
            if payload.problem_id is not None:  # picked from 问题与报告
                body["problem_id"] = str(payload.problem_id)
            return [doc("os_issue", payload.issue_id, body, payload.jurisdiction)]
    if payload.event_type in OVERSIGHT_EVENT_TYPES:  # R29
        return oversight_docs(payload, doc)
    if payload.event_type in PUBLICATION_EVENT_TYPES:  # 两公开, R5
        return publication_docs(payload, doc)
    if payload.event_type in opinions.OPINION_EVENT_TYPES:  # R4
        return opinions.opinion_docs(payload, doc)
    if payload.event_type in DISPOSITION_EVENT_TYPES:
        clue_id, disposition = (
            getattr(payload, "clue_id", None),
            getattr(payload, "disposition", None),
        )
        if clue_id is not None and disposition is not None:
            value = getattr(disposition, "value", disposition)
            return [doc("os_disposition", clue_id, {"disposition": str(value), "on": on})]
    if payload.event_type in SUPERVISION_EVENT_TYPES:
        unit_id = getattr(payload, "unit_id", None)
        if unit_id is not None:
            issue_ids = [str(i) for i in getattr(payload, "issue_ids", None) or []]
            body = {"unit_id": str(unit_id), "issues": len(issue_ids), "on": on}
            body["issue_ids"] = issue_ids
            return [doc("os_supervision", envelope.event_id, body)]
    return []


# --- the view ---------------------------------------------------------------------------------

Docs = dict[str, dict[str, dict[str, Any]]]


def _year_of(value: str | None) -> int | None:
    return date.fromisoformat(value).year if value else None


def _own(docs: Docs, kind: str, jurisdiction: str, year: int, field: str) -> dict[str, Any]:
    return {
        key: d
        for key, d in docs.get(kind, {}).items()
        if d["jurisdiction"] == jurisdiction and _year_of(d.get(field)) == year
    }


def _supervised_problems(docs: Docs) -> Callable[[str], bool]:
    """Whether a pointed problem is under supervision: a 督办 names an issue fed back from it;
    when no issue names it, a 督办 was ordered for its unit (see the module docstring)."""
    supervisions = docs.get("os_supervision", {}).values()
    supervised_issues = {i for s in supervisions for i in s.get("issue_ids", ())}
    supervised_units = {s["unit_id"] for s in supervisions}
    fed_from: dict[str, set[str]] = {}
    for issue_id, issue in docs.get("os_issue", {}).items():
        if issue.get("problem_id"):
            fed_from.setdefault(issue["problem_id"], set()).add(issue_id)
    problems = docs.get("os_problem", {})

    def supervised(problem_id: str) -> bool:
        if problem_id in fed_from:
            return bool(fed_from[problem_id] & supervised_issues)
        return problems.get(problem_id, {}).get("unit_id") in supervised_units

    return supervised


def office_summary(
    docs: Docs, jurisdiction: str, year: int, this_year: int | None = None
) -> dict[str, Any]:
    """The figures of ``jurisdiction``'s office for ``year`` (its own work: a city's summary
    counts the city office's reports, transfers and feedback, not its counties'); a ``year``
    before ``this_year`` is over, and its summary says what was not done, not what is not
    done yet."""
    hearings = _own(docs, "os_hearing", jurisdiction, year, "held_on")
    reports = _own(docs, "os_report", jurisdiction, year, "on")
    problems = _own(docs, "os_problem", jurisdiction, year, "on")
    consultations = _own(docs, "os_consultation", jurisdiction, year, "held_on")
    transfers = _own(docs, "os_transfer", jurisdiction, year, "on")
    issues = _own(docs, "os_issue", jurisdiction, year, "on")
    dispositions = docs.get("os_disposition", {})
    all_problems = docs.get("os_problem", {})

    by_meeting = Counter(h["meeting"] for h in hearings.values())
    pointed_ids = list(
        dict.fromkeys(p for h in hearings.values() for p in h["pointed_problem_ids"])
    )
    supervised_ids = list(filter(_supervised_problems(docs), pointed_ids))
    supervisions = _own(docs, "os_supervision", jurisdiction, year, "on")
    pointed_topics = Counter(
        t for p in pointed_ids for t in all_problems.get(p, {}).get("topics", [])
    )

    departments: dict[str, dict[str, Any]] = {}
    for clue_id, t in transfers.items():
        row = departments.setdefault(
            t["department"],
            {"transferred": 0, "by_disposition": dict.fromkeys(DISPOSITIONS, 0), "pending": 0},
        )
        row["transferred"] += 1
        disposition = dispositions.get(clue_id, {}).get("disposition")
        if disposition is None:
            row["pending"] += 1
        else:
            row["by_disposition"][disposition] = row["by_disposition"].get(disposition, 0) + 1
    by_department = [
        {
            "department": d.value,
            "department_zh": DEPARTMENT_LABELS_ZH[d],
            **departments[d.value],
        }
        for d in Department
        if d.value in departments
    ]
    by_disposition = Counter[str]()
    for row in by_department:
        by_disposition.update({k: v for k, v in row["by_disposition"].items() if v})

    # fed back by the office; an issue of a round intake does not plan is a review of the
    # office itself (省委巡视反馈): received, not fed back (its rectification is supervised on
    # the board as any other)
    given = [i for i in issues.values() if not i.get("review")]
    received = [i for i in issues.values() if i.get("review")]
    units = Counter(i["unit"] for i in given)
    fed_back = [{"unit": unit, "problems": n} for unit, n in sorted(units.items())]

    view: dict[str, Any] = {
        "jurisdiction": jurisdiction,
        "jurisdiction_name": jurisdictions.name_of(jurisdiction),
        "year": year,
        "year_over": this_year is not None and year < this_year,
        "hearings": {
            "total": len(hearings),
            "by_meeting": {m: by_meeting.get(m, 0) for m in MEETINGS},
            "reports_heard": len({h["report_id"] for h in hearings.values()}),
        },
        "reports": {
            "drafted": len(reports),
            "by_kind": {
                k: sum(1 for r in reports.values() if r["kind"] == k) for k in REPORT_KINDS
            },
        },
        "problems": {
            "recorded": len(problems),
            "marked_pointed": sum(1 for p in problems.values() if p["pointed"]),
            "by_topic": dict(Counter(t for p in problems.values() for t in p["topics"])),
            # recorded without a 问题主题: a row of their own, so that no problem is left out
            "untyped": sum(1 for p in problems.values() if not p["topics"]),
        },
        "pointed": {
            "problems": len(pointed_ids),
            "supervised": len(supervised_ids),
            "supervisions": len(supervisions),
            "issues_supervised": sum(s["issues"] for s in supervisions.values()),
            "by_topic": dict(pointed_topics),
            "untyped": sum(1 for p in pointed_ids if not all_problems.get(p, {}).get("topics")),
            "problem_ids": pointed_ids,
        },
        "consultations": {
            "held": len(consultations),
            "clues": sum(c["clues"] for c in consultations.values()),
        },
        "transfers": {
            "total": len(transfers),
            "by_department": by_department,
            "by_disposition": {d: by_disposition.get(d, 0) for d in DISPOSITIONS},
            "pending": sum(r["pending"] for r in by_department),
        },
        "feedback": {
            "problems": len(given),
            "units": len(units),
            "feedbacks": len({i["feedback_id"] for i in given}),
            "by_unit": fed_back,
            "received": {
                "problems": len(received),
                "reviews": sorted({i["review"] for i in received}),
            },
        },
    }
    checks, keys, points = (
        _own(docs, kind, jurisdiction, year, "on") for kind in (CHECK, KEY, POINT)
    )
    view["county_oversight"] = oversight_section(checks, keys, docs.get(LIFT, {}), points)
    view["publications"] = publication_section(_own(docs, PUBLICATION, jurisdiction, year, "on"))
    asked = _own(docs, opinions.ASKED, jurisdiction, year, "on")
    answered = _own(docs, opinions.GIVEN, jurisdiction, year, "on")
    withdrawn = docs.get(opinions.WITHDRAWN, {})
    view["cadre_opinions"] = opinions.opinion_section(asked, answered, withdrawn)
    view["rendering_zh"] = render_zh(view)
    return view


def render_zh(view: dict[str, Any]) -> str:
    """The summary as an office writes it (000:L34, L40)."""
    code = view["jurisdiction"]
    if jurisdictions.is_city(code):
        committee = "市委"
    else:  # 区委 of a district (临川区), 县委 of a county
        committee = "区委" if jurisdictions.name_of(code).endswith("区") else "县委"
    office = f"{committee}巡察办"
    meetings = view["hearings"]["by_meeting"]
    heard = [
        f"{n}次向{committee}{what}"
        for n, what in (
            (meetings["standing_committee"], "常委会汇报巡察工作"),
            (meetings["secretary_meeting"], "书记专题会汇报巡察工作综合情况"),
            (meetings["leading_group"], "巡察工作领导小组汇报工作"),
        )
        if n
    ]  # a meeting never reported to is not "0次"
    not_yet = "未" if view.get("year_over") else "尚未"
    parts = [
        f"{view['year']}年，{office}{'，'.join(heard)}"
        if heard
        else f"{view['year']}年，{office}{not_yet}向{committee}汇报巡察情况"
    ]
    # a figure of nothing is left unsaid ("形成巡察报告0份" reads as a form, not a summary)
    reports = view["reports"]["by_kind"]
    kinds = "、".join(
        f"{name}{reports[key]}份"
        for key, name in (("unit", "分报告"), ("overall", "综合报告"), ("thematic", "专项报告"))
        if reports[key]
    )
    found = view["problems"]["recorded"]
    if view["reports"]["drafted"]:
        sentence = f"形成巡察报告{view['reports']['drafted']}份（{kinds}）"
        parts.append(sentence + (f"，发现问题{found}个" if found else ""))
    elif found:
        parts.append(f"发现问题{found}个")
    else:
        parts.append(f"{not_yet}形成巡察报告")
    if view["consultations"]["held"]:
        parts.append(f"开展即时会商{view['consultations']['held']}次")
    transfers = view["transfers"]
    if transfers["total"]:
        first = transfers["by_department"][0]["department_zh"] if transfers["by_department"] else ""
        dept = "、".join(
            f"{r['department_zh']}{r['transferred']}件" for r in transfers["by_department"]
        )
        done = [f"{DISPOSITION_ZH[d]}{n}件" for d, n in transfers["by_disposition"].items() if n]
        sentence = f"向{first}等有关单位移交问题线索{transfers['total']}件（{dept}）"
        if done:
            sentence += f"，已反馈办理结果：{'、'.join(done)}"
            if transfers["pending"]:
                sentence += f"，尚未反馈{transfers['pending']}件"
        parts.append(sentence)
    else:
        parts.append(f"{not_yet}移交问题线索")
    feedback = view["feedback"]
    parts.append(
        f"向{feedback['units']}家被巡察单位反馈问题{feedback['problems']}个"
        if feedback["problems"]
        else f"{not_yet}向被巡察单位反馈问题"
    )
    if feedback["received"]["problems"]:
        reviews = "、".join(feedback["received"]["reviews"])
        parts.append(f"{office}自身整改问题{feedback['received']['problems']}个（{reviews}）")
    parts.extend(oversight_sentences(view["county_oversight"]))
    parts.extend(publication_sentences(view["publications"]))
    parts.extend(opinions.opinion_sentences(view["cadre_opinions"]))
    pointed = view["pointed"]
    if pointed["problems"]:
        supervised = (
            f"其中已下达督办的{pointed['supervised']}项"
            if pointed["supervised"]
            else f"{not_yet}下达督办"
        )
        parts.append(
            f"{committee}书记专题会等会议点人点事问题{pointed['problems']}项，{supervised}"
        )
    return "；".join(parts) + "。"
