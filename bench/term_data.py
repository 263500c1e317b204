"""A city's five-year term, synthetic: the events of the four services' stores (``bench.term``).

The deployment's city (抚州市) and its 11 counties (``xuncha_shared.domain.jurisdictions``)
work through one term (2021-01-01 … 2025-12-31) in ``rounds`` rounds (two a year at full
size). In every round each jurisdiction inspects ``units`` units of its own, each unit once in
the term (so coverage reaches 100 %). Per unit and round:

- intake: the unit's stationing on its group's stream (进驻, weekly dispatches, fortnightly
  progress reports, the end), three intake records (个别谈话, 民主测评, 座谈会), and petitions
  (信访举报; about 40 % real-name, with the acceptance notice — 10 % of them late, the
  deadline fired — and, once the clue is disposed of, the disposal learned and the result
  notice);
- clues: one clue per petition (``clue_id_for_petition``), classified, then escalated to the
  city office (a county's, 4 %), archived (参考类, 14 %), verified and disposed of (41 %), or
  transferred to a department (41 %: acknowledged directly or through reporting's sharing feed,
  a yellow warning for one in five, overdue for one in twenty, the department's result, the
  disposal); the unit's problems (发现问题) and its report, drafted and heard;
- rectification: the unit's issues fed back (反馈), its plan submitted and approved, each issue
  planned, a progress report, the formal report (a warning for one in five, overdue for one in
  twenty), verification (one in ten rejected first, reported again), the final report and the
  close-out (对账销号);
- reporting: the feed acknowledgements (``reporting.ShareItemAcknowledged``).

Each round also has its round stream (planned, units assigned, authorised, closed) and group
streams; each jurisdiction its units, term plan and talent-pool members.

Payloads are the current schema versions of the contracts in ``xuncha_shared.contracts``,
built as their JSON form directly (fast); ``tests/unit/test_bench_term_data.py`` parses a
generated term with the contract models. Hash chains are ``chain_hash(hashed_document(...))``,
the envelope's own computation (the store's ``seal_batch`` is byte-for-byte the same).

The work is cut into tasks, one per jurisdiction and round (the jurisdiction's setup in its
first round's task): no stream spans two tasks, so every task chains its own streams and loads
its rows by itself (``load_task``: COPY, one transaction per service), and the tasks run in a
process pool.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
from xuncha_shared.cli.demo.data import (
    COUNTY_DEPARTMENTS,
    FUNDS,
    MATTERS,
    PETITION_TOPICS,
    PETITION_WEIGHTS,
    PROJECTS,
    SERVICES,
)
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.intake import group_id_for, round_id_for, term_plan_id_for, unit_id_for
from xuncha_shared.domain import jurisdictions
from xuncha_shared.envelope import GENESIS_HASH, chain_hash, hashed_document

from bench.common import INSERT_COLUMNS

CITY = jurisdictions.CITY.code
JURISDICTIONS: tuple[str, ...] = (CITY, *(c.code for c in jurisdictions.COUNTIES))
TERM_NO = 5
TERM_START = date(2021, 1, 1)
TERM_END = date(2025, 12, 31)
SERVICE_NAMES = ("intake", "clues", "rectification", "reporting")
#: events per petition (petition and clue streams) and per issue (with its problem), measured
#: on generated terms; they size a term for a target event count
_PER_PETITION = 7.0
_PER_ISSUE = 9.0
_PER_UNIT = 15.0  # stationing, dispatches, reports, records, plan, inspection report
_ISSUES_PER_UNIT = 32  # 289 problems fed back to 9 units ≈ 32 per unit (000:L40)
_MEAN_WEIGHT = sum(PETITION_WEIGHTS.values()) / len(PETITION_WEIGHTS)
_DEPARTMENTS = ("discipline_commission", "organisation", "petitions", "audit", "finance")
_DISPOSITIONS = ("talk_or_letter", "preliminary_check", "shelved", "closed", "case_opened")
#: R9: 初步核实 and 立案审查调查 are the discipline commission's (``DISPOSITION_OWNER``); another
#: department reports one of its own instead (组织处理 the organisation department's)
_NOT_OWN: dict[str | None, dict[str, str]] = {
    "organisation": {
        "preliminary_check": "talk_or_letter",
        "case_opened": "organisational_handling",
    },
    None: {"preliminary_check": "talk_or_letter", "case_opened": "closed"},
}
_TOPICS = tuple(PETITION_TOPICS)
_TOWNSHIPS = ("镇", "乡", "街道")
_ISSUE_TEXT = (
    "落实全面从严治党主体责任不到位，{topic}方面问题整改不彻底，部分制度执行流于形式；"
    "{fund}管理使用不规范，审核把关不严，存在虚报冒领风险。"
)


@dataclass(frozen=True)
class Shape:
    """How big each part of the term is (``shape_for`` derives it from a target)."""

    rounds: int  # rounds in the term (two a year at full size)
    units: int  # units each jurisdiction inspects per round
    petitions: int  # petitions per unit and round, for a jurisdiction of mean weight
    issues: int  # issues fed back per unit and round
    pool: int = 30  # talent-pool members per jurisdiction

    def petitions_of(self, jurisdiction: str) -> int:
        return max(1, round(self.petitions * PETITION_WEIGHTS[jurisdiction] / _MEAN_WEIGHT))


def _own_disposition(department: str, disposition: str) -> str:
    """``disposition`` as ``department`` may report it (R9)."""
    if department == "discipline_commission":
        return disposition
    return _NOT_OWN.get(department, _NOT_OWN[None]).get(disposition, disposition)


def shape_for(events: int) -> Shape:
    """A term of about ``events`` events (a little more, never much less)."""
    if events >= 500_000:
        rounds, units = 10, 10
    elif events >= 100_000:
        rounds, units = 10, 3
    elif events >= 20_000:
        rounds, units = 2, 2
    else:
        rounds, units = 1, 1
    per_unit = events / (len(JURISDICTIONS) * rounds * units)
    issues = max(1, min(_ISSUES_PER_UNIT, int(per_unit * 0.17 / _PER_ISSUE)))
    # a little over the target (3 %): the estimates above are averages of random routes
    petitions = max(
        1, math.ceil((per_unit * 1.03 - _PER_UNIT - issues * _PER_ISSUE) / _PER_PETITION)
    )
    return Shape(rounds=rounds, units=units, petitions=petitions, issues=issues)


@dataclass(frozen=True)
class Task:
    jurisdiction: str
    round_no: int  # 1-based
    shape: Shape
    seed: int


def tasks_of(shape: Shape, seed: int = 20241014) -> list[Task]:
    """One task per jurisdiction and round, largest first (a process pool then ends evenly)."""
    tasks = [
        Task(j, r, shape, seed * 1000 + i * 100 + r)
        for i, j in enumerate(JURISDICTIONS)
        for r in range(1, shape.rounds + 1)
    ]
    return sorted(tasks, key=lambda t: -PETITION_WEIGHTS[t.jurisdiction])


def unit_name(jurisdiction: str, index: int) -> str:
    """The ``index``-th unit (from 0) of a jurisdiction's term plan."""
    if jurisdiction == CITY:
        from xuncha_shared.cli.demo.data import CITY_UNITS

        base = CITY_UNITS[index % len(CITY_UNITS)]
        return base if index < len(CITY_UNITS) else f"{base}第{index // len(CITY_UNITS) + 1}分局"
    county = jurisdictions.name_of(jurisdiction)
    if index < len(COUNTY_DEPARTMENTS):
        return f"{county}{COUNTY_DEPARTMENTS[index]}"
    n = index - len(COUNTY_DEPARTMENTS)
    return f"{county}第{n // 3 + 1}{_TOWNSHIPS[n % 3]}"


def round_window(shape: Shape, round_no: int) -> date:
    """The first day of a round: the term cut into ``rounds`` equal parts."""
    span = (TERM_END - TERM_START).days
    return TERM_START + timedelta(days=span * (round_no - 1) // shape.rounds)


@dataclass
class Generated:
    """What a task (or a whole term) generated: events per service, and per jurisdiction the
    counts the linked view must show (``expected``)."""

    events: Counter[str] = field(default_factory=Counter)  # service -> events
    expected: dict[str, Counter[str]] = field(default_factory=dict)  # jurisdiction -> metric
    types: Counter[str] = field(default_factory=Counter)  # event type -> events
    ledger_units: dict[str, int] = field(default_factory=dict)  # "j/unit" -> issues
    seconds: float = 0.0

    def add(self, other: Generated) -> None:
        self.events.update(other.events)
        self.types.update(other.types)
        for j, c in other.expected.items():
            self.expected.setdefault(j, Counter()).update(c)
        for k, n in other.ledger_units.items():
            self.ledger_units[k] = self.ledger_units.get(k, 0) + n
        self.seconds += other.seconds

    @property
    def total(self) -> int:
        return sum(self.events.values())


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class _Builder:
    """Streams of one task: events appended with their hash chains, rows per service."""

    def __init__(self, task: Task) -> None:
        self.task = task
        self.rng = random.Random(task.seed)
        self.rows: dict[str, list[tuple[Any, ...]]] = {s: [] for s in SERVICE_NAMES}
        self.out = Generated()
        self.j = task.jurisdiction
        self.count = self.out.expected.setdefault(self.j, Counter())
        self._actors: dict[str, tuple[dict[str, str], str]] = {}

    def uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def fact(self, metric: str, jurisdiction: str | None = None) -> None:
        self.out.expected.setdefault(jurisdiction or self.j, Counter())[metric] += 1

    def actor(self, role: str) -> tuple[dict[str, str], str]:
        """The actor of ``role`` in this jurisdiction, and its JSON text (built once)."""
        found = self._actors.get(role)
        if found is None:
            doc = {"principal_id": f"term-{role.replace('_', '-')}-{self.j}", "role": role}
            found = self._actors[role] = (doc, _dumps(doc))
        return found

    def stream(
        self, stream_type: str, stream_id: object, jurisdiction: str | None = None
    ) -> _Stream:
        return _Stream(self, stream_type, str(stream_id), jurisdiction or self.j)


class _Stream:
    def __init__(self, b: _Builder, stream_type: str, stream_id: str, jurisdiction: str) -> None:
        self.b, self.stream_type, self.stream_id = b, stream_type, stream_id
        self.jurisdiction = jurisdiction
        self.version = 0
        self.prev = GENESIS_HASH
        self.correlation: uuid.UUID | None = None
        self.last: uuid.UUID | None = None
        self.at: datetime | None = None

    def add(
        self,
        event_type: str,
        schema_version: int,
        payload: dict[str, Any],
        at: datetime,
        role: str = "county_admin",
    ) -> uuid.UUID:
        b = self.b
        if self.at is not None and at <= self.at:  # a stream's events in recorded order
            at = self.at + timedelta(seconds=1)
        self.at = at
        service = event_type.split(".", 1)[0]
        event_id = b.uuid()
        self.version += 1
        correlation = self.correlation or event_id
        self.correlation = correlation
        actor, actor_text = b.actor(role)
        digest = chain_hash(
            hashed_document(
                event_id=event_id,
                event_type=event_type,
                schema_version=schema_version,
                stream_type=self.stream_type,
                stream_id=self.stream_id,
                stream_version=self.version,
                occurred_at=at,
                recorded_at=at,
                jurisdiction=self.jurisdiction,
                actor=actor,
                correlation_id=correlation,
                causation_id=self.last,
                payload=payload,
                prev_hash=self.prev,
            )
        )
        b.rows[service].append(
            (
                event_id, event_type, schema_version, self.stream_type, self.stream_id,
                self.version, at, at, self.jurisdiction, actor_text, correlation,
                self.last, None, _dumps(payload), self.prev, digest,
            )
        )  # fmt: skip
        b.out.events[service] += 1
        b.out.types[event_type] += 1
        self.prev, self.last = digest, event_id
        return event_id


def _at(day: date, minutes: int) -> datetime:
    """A moment of ``day`` (China office hours, stored in UTC): 08:30 CST + ``minutes``."""
    return datetime(day.year, day.month, day.day, 0, 30, tzinfo=UTC) + timedelta(
        minutes=minutes % 480
    )


def _iso(d: date) -> str:
    return d.isoformat()


def generate(task: Task) -> tuple[dict[str, list[tuple[Any, ...]]], Generated]:
    """The rows (per service, in ``INSERT_COLUMNS`` order) and figures of one task."""
    b = _Builder(task)
    shape = task.shape
    start = round_window(shape, task.round_no)
    if task.round_no == 1:
        _setup(b, shape, start - timedelta(days=20))
    _round(b, shape, task.round_no, start)
    return b.rows, b.out


def _setup(b: _Builder, shape: Shape, day: date) -> None:
    """The jurisdiction's units (all of the term's), term plan and talent pool."""
    j = b.j
    kind = "city_department" if j == CITY else "county_department"
    unit_ids = []
    for i in range(shape.units * shape.rounds):
        name = unit_name(j, i)
        uid = unit_id_for(j, name)
        unit_ids.append(str(uid))
        b.stream("unit", uid).add(
            "intake.UnitRegistered", 1,
            {"unit_id": str(uid), "jurisdiction": j, "name": name, "kind": kind},
            _at(day, i),
        )  # fmt: skip
    plan_id = term_plan_id_for(j, TERM_NO)
    b.stream("term_plan", plan_id).add(
        "intake.TermPlanAdopted", 1,
        {
            "term_plan_id": str(plan_id), "jurisdiction": j, "term_no": TERM_NO,
            "starts_on": _iso(TERM_START), "ends_on": _iso(TERM_END), "unit_ids": unit_ids,
        },
        _at(day + timedelta(days=1), 0),
    )  # fmt: skip
    for i in range(shape.pool):
        mid = b.uuid()
        b.stream("pool_member", mid).add(
            "intake.TalentPoolMemberEnrolled", 1,
            {
                "member_id": str(mid), "jurisdiction": j, "name": f"巡察干部{i + 1:03d}",
                "home_unit_id": unit_ids[i % len(unit_ids)],
                "source": ("discipline_commission", "organisation", "inspection_office")[i % 3],
                "specialities": [("discipline", "personnel", "finance_audit", "law")[i % 4]],
                "rank": ("正科级", "副科级", "副处级")[i % 3], "birth_year": 1970 + i % 25,
            },
            _at(day + timedelta(days=2), i),
        )  # fmt: skip


def _round(b: _Builder, shape: Shape, round_no: int, start: date) -> None:
    j, rng = b.j, b.rng
    round_id = round_id_for(j, TERM_NO, round_no)
    first = (round_no - 1) * shape.units
    units = [
        (unit_id_for(j, unit_name(j, i)), unit_name(j, i))
        for i in range(first, first + shape.units)
    ]
    ends = start + timedelta(days=60)
    rs = b.stream("round", round_id)
    rs.add(
        "intake.RoundPlanned", 1,
        {
            "round_id": str(round_id), "jurisdiction": j, "term_no": TERM_NO,
            "round_no": round_no, "kind": "regular", "starts_on": _iso(start),
            "ends_on": _iso(ends), "linkage_plan_id": None,
        },
        _at(start - timedelta(days=10), 0),
    )  # fmt: skip
    rs.add(
        "intake.RoundUnitsAssigned", 1,
        {
            "round_id": str(round_id),
            "units": [{"unit_id": str(u), "mode": "regular"} for u, _ in units],
        },
        _at(start - timedelta(days=9), 0),
    )  # fmt: skip
    rs.add(
        "intake.RoundAuthorised", 1,
        {"round_id": str(round_id), "authorising_jurisdiction": j},
        _at(start - timedelta(days=8), 0),
    )  # fmt: skip
    # groups of up to three units
    for g in range(0, len(units), 3):
        group_no = g // 3 + 1
        gid = group_id_for(round_id, group_no)
        gs = b.stream("group", gid)
        gs.add(
            "intake.GroupFormed", 1,
            {
                "group_id": str(gid), "round_id": str(round_id), "jurisdiction": j,
                "group_no": group_no, "leader_id": str(b.uuid()),
                "member_ids": [str(b.uuid()) for _ in range(4)],
                "unit_ids": [str(u) for u, _ in units[g : g + 3]],
                "starts_on": _iso(start), "ends_on": _iso(ends),
            },
            _at(start - timedelta(days=5), 0),
        )  # fmt: skip
        for k, (uid, name) in enumerate(units[g : g + 3]):
            _unit(b, shape, round_id, gid, gs, uid, name, start + timedelta(days=7 * k))
    rs.add("intake.RoundClosed", 1, {"round_id": str(round_id)}, _at(ends + timedelta(days=200), 0))
    del rng


def _unit(
    b: _Builder,
    shape: Shape,
    round_id: uuid.UUID,
    gid: uuid.UUID,
    gs: _Stream,
    uid: uuid.UUID,
    name: str,
    day: date,
) -> None:
    """One unit's stationing, records, petitions and clues, report, issues and plan."""
    j, rng = b.j, b.rng
    sid = b.uuid()
    ends = day + timedelta(days=20)  # 15 working days
    gs.add(
        "intake.GroupStationed", 1,
        {
            "group_id": str(gid), "stationing_id": str(sid), "unit_id": str(uid),
            "starts_on": _iso(day), "ends_on": _iso(ends), "rule_id": "stationing",
            "rule_version": 1, "provisional": False,
        },
        _at(day, 0),
    )  # fmt: skip
    for seq in (1, 2, 3):
        gs.add(
            "intake.DispatchHeld", 1,
            {"group_id": str(gid), "stationing_id": str(sid), "seq": seq,
             "held_on": _iso(day + timedelta(days=7 * seq - 2)), "summary": "一周一调度"},
            _at(day + timedelta(days=7 * seq - 2), 1),
        )  # fmt: skip
        if seq < 3:
            gs.add(
                "intake.ProgressReported", 1,
                {"group_id": str(gid), "stationing_id": str(sid), "seq": seq,
                 "reported_on": _iso(day + timedelta(days=14 * seq - 1)), "summary": "两周一报告"},
                _at(day + timedelta(days=14 * seq - 1), 2),
            )  # fmt: skip
    common: dict[str, Any] = {
        "jurisdiction": j, "round_id": str(round_id), "group_id": str(gid),
        "unit_id": str(uid), "unit": name, "summary": None, "clues": [],
    }  # fmt: skip
    records: tuple[tuple[str, dict[str, Any]], ...] = (
        ("intake.IndividualTalkRecorded",
         {"talks": [{"interviewee": "leadership", "persons": rng.randint(5, 12)},
                    {"interviewee": "staff", "persons": rng.randint(20, 60)}]}),
        ("intake.SurveyConducted",
         {"survey": "democratic_assessment", "copies_issued": 120,
          "copies_returned": rng.randint(90, 120)}),
        ("intake.SymposiumHeld", {"meetings": 2, "participants": rng.randint(15, 40)}),
    )  # fmt: skip
    for offset, (event_type, figures) in enumerate(records):
        rid = b.uuid()
        occurred = day + timedelta(days=2 + offset)
        b.stream("intake_record", rid).add(
            event_type, 1,
            {"record_id": str(rid), **common, "occurred_on": _iso(occurred), **figures},
            _at(occurred, 3), role="group_member",
        )  # fmt: skip

    clue_ids = [
        _petition(b, round_id, gid, uid, name, day, n) for n in range(shape.petitions_of(j))
    ]
    gs.add(
        "intake.StationingEnded", 1,
        {"group_id": str(gid), "stationing_id": str(sid), "ended_on": _iso(ends)},
        _at(ends, 5),
    )  # fmt: skip

    # the inspection: problems, the unit's report drafted and heard
    heard_on = ends + timedelta(days=25)
    fed_on = heard_on + timedelta(days=10)
    issues: list[tuple[uuid.UUID, str, str]] = []
    problem_ids: list[str] = []
    for n in range(shape.issues):
        topic = _TOPICS[n % len(_TOPICS)]
        text = _ISSUE_TEXT.format(topic=topic, fund=FUNDS[n % len(FUNDS)]) + f"（第{n + 1}项）"
        pid = b.uuid()
        problem_ids.append(str(pid))
        b.stream("problem", pid).add(
            "clues.ProblemRecorded", 1,
            {
                "problem_id": str(pid), "round_id": str(round_id), "jurisdiction": j,
                "unit_id": str(uid), "group_id": str(gid), "title": text, "topics": [topic],
                "clue_ids": [str(c) for c in clue_ids[n : n + 1]], "pointed": n % 7 == 0,
            },
            _at(ends + timedelta(days=3), n), role="group_member",
        )  # fmt: skip
        issues.append((b.uuid(), text, topic))
    report_id = b.uuid()
    rep = b.stream("inspection_report", report_id)
    rep.add(
        "clues.InspectionReportDrafted", 1,
        {
            "report_id": str(report_id), "round_id": str(round_id), "jurisdiction": j,
            "kind": "unit", "unit_id": str(uid), "unit_ids": [str(uid)],
            "problem_ids": problem_ids,
        },
        _at(ends + timedelta(days=10), 0), role="group_member",
    )  # fmt: skip
    rep.add(
        "clues.InspectionReportHeard", 1,
        {
            "report_id": str(report_id), "hearing_id": str(b.uuid()), "round_id": str(round_id),
            "jurisdiction": j, "kind": "unit", "unit_id": str(uid), "unit_ids": [str(uid)],
            "meeting": "secretary_meeting", "held_on": _iso(heard_on),
            "pointed_problem_ids": problem_ids[:1], "decisions": "同意反馈，督促整改。",
        },
        _at(heard_on, 0),
    )  # fmt: skip

    # rectification: feedback, the plan, each issue through to its close-out
    feedback_id = b.uuid()
    due = fed_on + timedelta(days=61)
    streams: list[_Stream] = []
    for n, (iid, text, topic) in enumerate(issues):
        s = b.stream("issue", iid)
        streams.append(s)
        s.add(
            "rectification.IssueFedBack", 5,
            {
                "issue_id": str(iid), "feedback_id": str(feedback_id), "jurisdiction": j,
                "unit": name, "description": text,
                "rect_type": ("time_bound", "immediate", "long_term")[n % 3],
                "clue_ids": [], "concerns": [_DEPARTMENTS[n % 5]] if n % 4 == 0 else [],
                "due_date": _iso(due), "round_id": str(round_id), "unit_id": str(uid),
                "during_stationing": False, "topics": [topic], "round_name": None,
                "problem_id": None,
            },
            _at(fed_on, n),
        )  # fmt: skip
        b.fact("issues_fed_back")
    b.out.ledger_units[f"{j}/{name}"] = len(issues)
    plan_id = b.uuid()
    tasks = [
        {
            "task_id": str(b.uuid()), "issue_id": str(iid),
            "measure": f"制定整改措施：{topic}专项治理",
            "owner": f"{name}主要负责人", "type": ("time_bound", "immediate", "long_term")[n % 3],
            "due_on": _iso(due),
        }
        for n, (iid, _, topic) in enumerate(issues)
    ]  # fmt: skip
    plan = b.stream("rectification_plan", plan_id)
    plan.add(
        "rectification.PlanSubmitted", 1,
        {
            "plan_id": str(plan_id), "round_id": str(round_id), "unit_id": str(uid),
            "jurisdiction": j, "unit": name, "responsible_leader": f"{name}党组书记",
            "revision": 1, "issue_ids": [str(i) for i, _, _ in issues], "tasks": tasks,
        },
        _at(fed_on + timedelta(days=14), 0), role="inspected_unit",
    )  # fmt: skip
    plan.add(
        "rectification.PlanApproved", 1, {"plan_id": str(plan_id), "revision": 1},
        _at(fed_on + timedelta(days=18), 0),
    )  # fmt: skip
    for n, (iid, _, _) in enumerate(issues):
        _issue(b, streams[n], iid, plan_id, tasks[n], name, fed_on, due, n)


def _issue(
    b: _Builder,
    s: _Stream,
    iid: uuid.UUID,
    plan_id: uuid.UUID,
    task: dict[str, Any],
    name: str,
    fed_on: date,
    due: date,
    n: int,
) -> None:
    rng = b.rng
    s.add(
        "rectification.IssuePlanned", 1,
        {"issue_id": str(iid), "plan_id": str(plan_id), "tasks": [task]},
        _at(fed_on + timedelta(days=18), n),
    )  # fmt: skip

    def report(kind: str, percent: int, completed: bool, day: date, attempt: int = 1) -> None:
        s.add(
            "rectification.RectificationReported", 3,
            {
                "issue_id": str(iid), "kind": kind, "progress_percent": percent,
                "completed": completed, "note": f"整改进展：已完成{percent}%。",
                "evidence": [], "leader_report": "主要负责人组织落实情况报告"
                if kind == "formal" else None, "attempt": attempt,
            },
            _at(day, n), role="inspected_unit",
        )  # fmt: skip
        b.fact("rectification_reports")

    report("progress", 50, False, fed_on + timedelta(days=30))
    roll = rng.random()
    if roll < 0.2:
        s.add(
            "rectification.DeadlineWarningRaised", 1,
            {
                "deadline_id": str(b.uuid()), "rule_id": "xunshi_2015_art27", "rule_version": 1,
                "due_date": _iso(due), "issue_id": str(iid), "unit": name, "colour": "yellow",
            },
            _at(due - timedelta(days=5), n), role="system",
        )  # fmt: skip
    late = roll < 0.05
    if late:
        s.add(
            "rectification.RectificationOverdue", 1,
            {
                "deadline_id": str(b.uuid()), "rule_id": "xunshi_2015_art27", "rule_version": 1,
                "due_date": _iso(due), "issue_id": str(iid), "unit": name,
            },
            _at(due + timedelta(days=1), n), role="system",
        )  # fmt: skip
    formal_on = due + timedelta(days=3) if late else due - timedelta(days=2)
    report("formal", 90, False, formal_on)
    verify_on = formal_on + timedelta(days=20)
    attempt = 1
    if rng.random() < 0.1:  # declared complete, the verification rejects it: a second attempt
        report("final", 100, True, verify_on - timedelta(days=5))
        attempt = 2
        s.add(
            "rectification.RectificationVerified", 1,
            {"issue_id": str(iid), "outcome": "rejected", "note": "整改不到位，退回重新整改。",
             "evidence": []},
            _at(verify_on, n),
        )  # fmt: skip
        verify_on += timedelta(days=30)
    report("final", 100, True, verify_on - timedelta(days=5), attempt)
    b.fact("issues_completed")  # declared complete now, once (a rejection withdrew the first)
    s.add(
        "rectification.RectificationVerified", 1,
        {"issue_id": str(iid), "outcome": "accepted", "note": "经核实，整改到位。", "evidence": []},
        _at(verify_on, n),
    )  # fmt: skip
    s.add(
        "rectification.IssueClosedOut", 1,
        {
            "issue_id": str(iid), "note": "对账销号。",
            "mechanism": "建立健全长效机制" if task["type"] == "long_term" else None,
            "watched": task["type"] == "long_term",
        },
        _at(verify_on + timedelta(days=7), n),
    )  # fmt: skip
    b.fact("issues_closed_out")


def _petition_summary(rng: random.Random, name: str, j: str) -> tuple[str, str]:
    topic = _TOPICS[rng.randrange(len(_TOPICS))]
    template = rng.choice(PETITION_TOPICS[topic][1])
    place = f"{jurisdictions.name_of(j)}某"
    text = template.format(
        unit=name, year=rng.randint(2019, 2025), fund=rng.choice(FUNDS),
        amount=rng.randint(3, 300), place=place, project=rng.choice(PROJECTS),
        service=rng.choice(SERVICES), matter=rng.choice(MATTERS),
    )  # fmt: skip
    return topic, text + "请求巡察组核实处理。"


def _petition(
    b: _Builder,
    round_id: uuid.UUID,
    gid: uuid.UUID,
    uid: uuid.UUID,
    name: str,
    day: date,
    n: int,
) -> uuid.UUID:
    """A petition received during the stationing, and its clue through its route."""
    j, rng = b.j, b.rng
    received = day + timedelta(days=n % 18)
    pid = b.uuid()
    ps = b.stream("petition", pid)
    topic, summary = _petition_summary(rng, name, j)
    real_name = rng.random() < 0.4
    sealed = (
        {"person_id": str(b.uuid()), "alg": "AES-256-GCM", "nonce": "AAECAwQFBgcICQoL",
         "ciphertext": "Q0lQSEVSVEVYVA==" * 6}
        if real_name else None
    )  # fmt: skip
    channel = ("letter", "call", "visit", "online")[n % 4]
    petition_event = ps.add(
        "intake.PetitionReceived", 4,
        {
            "petition_id": str(pid), "jurisdiction": j, "unit": name, "channel": channel,
            "summary": summary, "informant": sealed,
            "receipt_code_hash": f"{rng.getrandbits(256):064x}",
            "round_id": str(round_id), "group_id": str(gid), "unit_id": str(uid),
            "summary_numbers": None,
        },
        _at(received, n), role="group_member",
    )  # fmt: skip
    b.fact("petitions_received")
    if channel == "visit":  # R13: a leader takes a walk-in up the same day
        ps.add(
            "intake.WalkInHandled", 1,
            {"petition_id": str(pid), "handled_by": "巡察组组长", "summary": None},
            _at(received, n + 30), role="group_member",
        )  # fmt: skip
    if real_name:
        if rng.random() < 0.1:
            ps.add(
                "intake.AcceptanceNoticeOverdue", 1,
                {
                    "deadline_id": str(b.uuid()), "rule_id": "jianju_2020_acceptance",
                    "rule_version": 1, "due_date": _iso(received + timedelta(days=21)),
                    "petition_id": str(pid),
                },
                _at(received + timedelta(days=22), n), role="system",
            )  # fmt: skip
            told = received + timedelta(days=24)
        else:
            told = received + timedelta(days=5)
        ps.add(
            "intake.InformantNotified", 1,
            {"petition_id": str(pid), "notice": "acceptance", "notice_channel": "phone",
             "sent_on": _iso(told)},
            _at(told, n), role="informant_custodian",
        )  # fmt: skip

    # the clue of the petition (the clues service registers it from intake's event)
    cid = clue_id_for_petition(pid)
    cs = b.stream("clue", cid)
    t = received + timedelta(days=1)
    cs.add(
        "clues.ClueRegistered", 4,
        {
            "clue_id": str(cid), "jurisdiction": j, "unit": name, "summary": summary,
            "source_event_id": str(petition_event), "source_petition_id": str(pid),
            "round_id": str(round_id), "source_record_id": None, "source_channel": channel,
            "group_id": str(gid), "unit_id": str(uid), "persons": [], "registered_on": None,
        },
        _at(t, n), role="system",
    )  # fmt: skip
    b.fact("clues_registered")
    route = rng.random()
    category = "reference" if route < 0.18 else ("further_inquiry" if route > 0.6 else "inquiry")
    level = ("division", "section", "staff")[n % 3]
    escalate = j != CITY and route < 0.04
    cs.add(
        "clues.ClueClassified", 1,
        {
            "clue_id": str(cid), "category": category, "cadre_level": level,
            "city_managed": escalate, "counties": [], "topics": [topic],
        },
        _at(t + timedelta(days=2), n), role="group_member",
    )  # fmt: skip
    if escalate:
        cs.add(
            "clues.ClueEscalated", 1,
            {"clue_id": str(cid), "from_jurisdiction": j, "to_jurisdiction": CITY,
             "reason": "涉及市管干部，按规定报市委巡察办。"},
            _at(t + timedelta(days=4), n),
        )  # fmt: skip
        b.fact("clues_escalated")
        return cid
    if route < 0.18:
        cs.add(
            "clues.ClueArchived", 1, {"clue_id": str(cid), "reason": "参考类线索，存档备查。"},
            _at(t + timedelta(days=5), n),
        )  # fmt: skip
        return cid
    disposition = rng.choice(_DISPOSITIONS)
    if route < 0.59:
        done = t + timedelta(days=12)
        cs.add(
            "clues.ClueVerified", 1,
            {"clue_id": str(cid), "method": ("quick_check", "verification")[n % 2],
             "verification_outcome": "反映问题部分属实", "notes": None},
            _at(done - timedelta(days=4), n), role="group_member",
        )  # fmt: skip
        b.fact("clues_verified")
    else:
        department = _DEPARTMENTS[n % len(_DEPARTMENTS)]
        disposition = _own_disposition(department, disposition)
        sent = t + timedelta(days=6)
        transfer = cs.add(
            "clues.ClueTransferred", 2,
            {
                "clue_id": str(cid), "department": department,
                "reason": "按照巡察工作条例第二十八条移交。", "jurisdiction": j, "unit": name,
                "summary": summary, "transferred_on": None,
            },
            _at(sent, n),
        )  # fmt: skip
        b.fact("clues_transferred")
        feed = rng.random() < 0.5
        feed_ack: str | None = None
        if feed:
            item_id = f"{transfer}:{department}"
            feed_ack = str(
                b.stream("share", item_id).add(
                    "reporting.ShareItemAcknowledged", 1,
                    {"item_id": item_id, "department": department,
                     "source_event_id": str(transfer), "note": "已签收"},
                    _at(sent + timedelta(days=2), n), role="department",
                )
            )  # fmt: skip
        cs.add(
            "clues.ClueAcknowledged", 2,
            {
                "clue_id": str(cid), "department": department, "via": "feed" if feed else "direct",
                "transfer_event_id": str(transfer), "feed_ack_event_id": feed_ack,
                "note": "已签收" if feed else None,
            },
            _at(sent + timedelta(days=2), n + 1), role="department",
        )  # fmt: skip
        b.fact("clues_acknowledged")
        due = sent + timedelta(days=91)
        late = rng.random()
        if late < 0.2:
            cs.add(
                "clues.DeadlineWarningRaised", 1,
                {
                    "deadline_id": str(b.uuid()), "rule_id": "xunshi_2015_art29", "rule_version": 1,
                    "due_date": _iso(due), "clue_id": str(cid), "department": department,
                    "colour": "yellow",
                },
                _at(due - timedelta(days=5), n), role="system",
            )  # fmt: skip
        if late < 0.05:
            cs.add(
                "clues.TransferResultOverdue", 1,
                {
                    "deadline_id": str(b.uuid()), "rule_id": "xunshi_2015_art29", "rule_version": 1,
                    "due_date": _iso(due), "clue_id": str(cid), "department": department,
                },
                _at(due + timedelta(days=1), n), role="system",
            )  # fmt: skip
            b.fact("clues_overdue")
        concluded = due + timedelta(days=10) if late < 0.05 else sent + timedelta(days=60)
        cs.add(
            "clues.TransferResultReported", 1,
            {
                "clue_id": str(cid), "department": department, "disposition": disposition,
                "concluded_on": _iso(concluded), "summary": "经初步核实，已按规定处置。",
            },
            _at(concluded, n), role="department",
        )  # fmt: skip
        b.fact("clue_results")
        done = concluded + timedelta(days=3)
    cs.add(
        "clues.ClueDisposed", 1,
        {
            "clue_id": str(cid), "disposition": disposition, "disposed_on": _iso(done),
            "source_petition_id": str(pid), "note": None,
        },
        _at(done, n),
    )  # fmt: skip
    b.fact("clues_disposed")
    if real_name:
        ps.add(
            "intake.ClueDisposalLearned", 1,
            {"petition_id": str(pid), "clue_id": str(cid), "disposition": disposition,
             "disposed_on": _iso(done)},
            _at(done, n + 1), role="system",
        )  # fmt: skip
        ps.add(
            "intake.InformantNotified", 1,
            {"petition_id": str(pid), "notice": "result", "notice_channel": "letter",
             "sent_on": _iso(done + timedelta(days=7))},
            _at(done + timedelta(days=7), n), role="informant_custodian",
        )  # fmt: skip
    return cid


def iter_events(task: Task) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(service, row) of every event of ``task`` (for tests)."""
    rows, _ = generate(task)
    for service, service_rows in rows.items():
        for row in service_rows:
            yield service, row


async def _copy(urls: dict[str, str], rows: dict[str, list[tuple[Any, ...]]]) -> None:
    for service, service_rows in rows.items():
        if not service_rows:
            continue
        conn = await asyncpg.connect(urls[service])
        try:
            await conn.copy_records_to_table("events", records=service_rows, columns=INSERT_COLUMNS)
        finally:
            await conn.close()


def load_task(task: Task, urls: dict[str, str]) -> Generated:
    """Generate ``task`` and COPY its rows into the services' databases (one transaction per
    service); runs in a worker process."""
    import time

    t0 = time.perf_counter()
    rows, out = generate(task)
    asyncio.run(_copy(urls, rows))
    out.seconds = time.perf_counter() - t0
    return out
