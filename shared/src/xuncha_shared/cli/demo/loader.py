"""Loading the demo plan through the public HTTP APIs, step by step: petitions (intake), then
clues classified, escalated and transferred (clues), feedbacks and rectification reports
(rectification), and last, once the projection has caught up, 纪委监委 signing for its items
(reporting)."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from rich.progress import Progress

from xuncha_shared.cli.demo import results
from xuncha_shared.cli.demo.cadre_opinions import load_cadre_opinions
from xuncha_shared.cli.demo.client import DemoClient, DemoError, Endpoints
from xuncha_shared.cli.demo.county_oversight import load_county_oversight
from xuncha_shared.cli.demo.data import (
    DEFAULT_SEED,
    ESCALATION_REASONS,
    LEADER_REPORT,
    REPORT_NOTES,
    TRANSFER_REASONS,
)
from xuncha_shared.cli.demo.findings import FindingsLoader, FindingsSummary
from xuncha_shared.cli.demo.paper_transfers import load_paper_transfers
from xuncha_shared.cli.demo.plan import (
    DemoPlan,
    FeedbackPlan,
    IssuePlan,
    PetitionPlan,
    build_plan,
    report_steps,
)
from xuncha_shared.cli.demo.publications import load_publications
from xuncha_shared.cli.demo.rectification import load_rectification
from xuncha_shared.cli.demo.revisits import RevisitsSummary, china_today, load_revisits
from xuncha_shared.cli.demo.rounds import RoundsLoader, RoundsSummary
from xuncha_shared.cli.demo.rounds_data import petition_round_id
from xuncha_shared.cli.demo.tasks import TasksSummary, tick_off
from xuncha_shared.contracts.clues import clue_id_for_petition
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department

CONCURRENCY = 8
#: 整改方案 tasks: days from today to each type's due date (an immediate one by the formal
#: report, R1), and who owns them in turn (synthetic)
PLAN_TASK_DAYS = {"immediate": 30, "time_bound": 50, "long_term": 300}
PLAN_OWNERS = ("办公室", "财务科", "组织人事科", "业务科")
CLUE_WAIT_S = 120.0
VIEW_WAIT_S = 180.0


@dataclass
class LoadSummary:
    skipped: bool = False
    petitions: int = 0
    with_informant: int = 0
    classified: int = 0
    escalated: int = 0
    transferred: int = 0
    feedbacks: int = 0
    issues: int = 0
    plans: int = 0
    reports: int = 0
    acknowledged: int = 0
    verified: int = 0
    closed_out: int = 0
    acknowledged_clues: int = 0
    results: int = 0
    disposed: int = 0
    #: the clues registered and transferred on paper months ago, entered with those days (补录)
    paper_transfers: list[str] = field(default_factory=list)
    #: the city's checks of its counties' work and its key supervisions (R29)
    county_oversight: int = 0
    #: the stationing, feedback and rectification made known (两公开, R5)
    publications: int = 0
    cadre_opinions: int = 0
    #: tasks of plans reported done, closed out or returned one by one (对账销号)
    tasks: TasksSummary = field(default_factory=TasksSummary)
    linked: dict[str, Any] = field(default_factory=dict)
    findings: FindingsSummary = field(default_factory=FindingsSummary)
    rounds: RoundsSummary | None = None
    revisits: RevisitsSummary = field(default_factory=RevisitsSummary)


async def _gather_limited(
    items: Sequence[Any], work: Callable[[Any], Awaitable[None]], advance: Callable[[], None]
) -> None:
    semaphore = asyncio.Semaphore(CONCURRENCY)

    async def one(item: Any) -> None:
        async with semaphore:
            await work(item)
        advance()

    await asyncio.gather(*(one(i) for i in items))


async def _wait_for(
    check: Callable[[], Awaitable[bool]], seconds: float, what: str, interval: float = 0.3
) -> None:
    deadline = time.monotonic() + seconds
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise DemoError(f"timed out after {seconds:.0f}s waiting for {what}")
        await asyncio.sleep(interval)


class _Loader:
    """One run of the demo plan; each step one service's part, in the order the case flows."""

    def __init__(
        self,
        plan: DemoPlan,
        endpoints: Endpoints,
        tokens: dict[str, str],
        progress: Progress | None,
        seed: int = DEFAULT_SEED,
    ) -> None:
        self.seed = seed
        self.plan = plan
        self.seed = seed
        self.endpoints = endpoints
        self.tokens = tokens
        self.progress = progress
        self.client = DemoClient(endpoints, tokens)
        self.summary = LoadSummary()
        self.petitions: dict[int, uuid.UUID] = {}
        self.reports_planned: list[tuple[uuid.UUID, IssuePlan, str]] = []
        #: each planned issue's task and the office that approved it
        self.plan_tasks: dict[uuid.UUID, tuple[str, str]] = {}

    def task(self, label: str, total: int) -> Callable[[], None]:
        progress = self.progress
        if progress is None:
            return lambda: None
        task_id = progress.add_task(label, total=total)
        return lambda: progress.advance(task_id)

    def writer(self, code: str) -> str:
        return self.client.writer(code)

    async def record(self, p: PetitionPlan) -> None:
        body: dict[str, Any] = {
            "jurisdiction": p.jurisdiction,
            "unit": p.unit,
            "channel": p.channel,
            "summary": p.summary,
            "round_id": str(petition_round_id(p.jurisdiction)),
        }
        if p.informant:
            body["informant"] = p.informant
        resp = await self.client.call(
            "POST", f"{self.endpoints.intake}/api/v1/petitions", self.writer(p.jurisdiction), body
        )
        self.petitions[p.index] = uuid.UUID(resp.json()["id"])

    async def classify(self, p: PetitionPlan) -> None:
        clue = clue_id_for_petition(self.petitions[p.index])
        url = f"{self.endpoints.clues}/api/v1/clues/{clue}"
        writer = self.writer(p.jurisdiction)

        async def registered() -> bool:
            resp = await self.client.call("GET", url, "city_admin", ok=(200, 404))
            return resp.status_code == 200

        await _wait_for(registered, CLUE_WAIT_S, f"clue {clue} to be registered")
        await self.client.call(
            "POST",
            f"{url}/classify",
            writer,
            {
                "category": p.category,
                "cadre_level": p.cadre_level,
                "city_managed": p.city_managed,
                "counties": list(p.counties),
                "topics": [p.topic],
            },
        )
        self.summary.classified += 1
        if (verification := results.verification_for(p)) is not None:
            await self.client.call("POST", f"{url}/verify", writer, verification)
            self.summary.verified += 1
        if p.needs_escalation:
            reason = ESCALATION_REASONS[p.city_managed]
            await self.client.call("POST", f"{url}/escalate", writer, {"reason": reason})
            self.summary.escalated += 1
        if p.transfer_to is not None:
            who = "city_admin" if p.needs_escalation else writer
            body = {"department": p.transfer_to.value, "reason": TRANSFER_REASONS[p.transfer_to]}
            await self.client.call("POST", f"{url}/transfer", who, body)
            self.summary.transferred += 1

    async def feed_back(self, f: FeedbackPlan) -> None:
        who = self.writer(f.jurisdiction)
        issues: list[dict[str, Any]] = [
            {
                "description": i.description,
                "rect_type": i.rect_type,
                "concerns": [d.value for d in i.concerns],
            }
            for i in f.issues
        ]
        # an issue worded as a problem the group recorded for the unit feeds that problem back,
        # with its topics (as 反馈问题 picks it)
        recorded = self.summary.findings.recorded
        for issue in issues:
            key = (f.jurisdiction, str(f.unit_id), issue["description"])
            if f.unit_id is not None and key in recorded:
                issue["problem_id"], issue["topics"] = recorded[key]
        body: dict[str, Any] = {"jurisdiction": f.jurisdiction, "unit": f.unit, "issues": issues}
        if f.unit_id is not None:  # a unit the demo's rounds know: its revisit names it
            body |= {"unit_id": str(f.unit_id), "round_id": str(f.round_id)}
        resp = await self.client.call(
            "POST", f"{self.endpoints.rectification}/api/v1/feedbacks", who, body
        )
        ids = [uuid.UUID(x) for x in resp.json()["issue_ids"]]
        self.summary.feedbacks += 1
        self.summary.issues += len(ids)
        # the unit reports on its own issues when its token is there, else its office for it
        reporter = self.client.reporter(f.unit_id, f.jurisdiction)
        if reporter != who and f.round_id is not None:
            await self.submit_plan(f, ids, reporter, who)
        self.reports_planned.extend(
            (issue_id, issue, reporter) for issue_id, issue in zip(ids, f.issues, strict=True)
        )

    async def submit_plan(
        self, f: FeedbackPlan, ids: Sequence[uuid.UUID], unit: str, office: str
    ) -> None:
        """整改方案: the unit (its own token) submits a task for each issue, its office approves
        it, before anything is reported (as a unit's rectification goes)."""
        today = china_today()
        tasks = [
            {
                "issue_id": str(issue_id),
                "measure": plan_measure(issue.description),
                "owner": PLAN_OWNERS[n % len(PLAN_OWNERS)],
                "type": issue.rect_type,
                "due_on": (today + timedelta(days=PLAN_TASK_DAYS[issue.rect_type])).isoformat(),
            }
            for n, (issue_id, issue) in enumerate(zip(ids, f.issues, strict=True))
        ]
        body = {
            "round_id": str(f.round_id),
            "unit_id": str(f.unit_id),
            "responsible_leader": f"{f.unit}主要负责人（演示）",
            "tasks": tasks,
        }
        url = f"{self.endpoints.rectification}/api/v1/rectification-plans"
        plan = await self.client.call("POST", url, unit, body)
        await self.client.call("POST", f"{url}/{plan.json()['id']}/approve", office)
        self.summary.plans += 1
        for task in plan.json()["tasks"]:
            self.plan_tasks[uuid.UUID(task["issue_id"])] = (task["task_id"], office)

    async def report(self, item: tuple[uuid.UUID, IssuePlan, str]) -> None:
        issue_id, issue, who = item
        issue_url = f"{self.endpoints.rectification}/api/v1/rectifications/{issue_id}"
        url = f"{issue_url}/reports"
        planned = self.plan_tasks.get(issue_id)
        for n, (kind, percent, completed) in enumerate(report_steps(issue)):
            body = {
                "kind": kind,
                "progress_percent": percent,
                "completed": completed,
                "note": REPORT_NOTES[kind],
                **({"leader_report": LEADER_REPORT} if kind != "progress" else {}),
            }
            await self.client.call("POST", url, who, body)
            self.summary.reports += 1
            if planned is not None and n == 0:  # the task, after the first report
                task_id, office = planned
                await tick_off(
                    self.client.call, issue_url, task_id, who, office,
                    turn=zlib.crc32(issue.description.encode()), done=issue.report == "done",
                    today=china_today(), summary=self.summary.tasks,
                )  # fmt: skip

    async def wait_for_projection(self, before: dict[str, Any]) -> None:
        """The projection catches up through Kafka: wait until the linked view counts what was
        loaded."""
        expected_transfers = len(self.plan.transfers)
        base = before["city"]
        summary = self.summary

        async def projected() -> bool:
            city = (await self.client.linked())["city"]
            return bool(
                city["petitions_received"] - base["petitions_received"] >= summary.petitions
                and city["clues_transferred"] - base["clues_transferred"] >= expected_transfers
                and city["rectification_reports"] - base["rectification_reports"] >= summary.reports
                and city["issues_closed_out"] - base["issues_closed_out"]
                >= summary.closed_out - len(summary.revisits.reopened)
            )

        await _wait_for(projected, VIEW_WAIT_S, "the reporting projection to catch up", 1.0)

    async def acknowledge(self) -> None:
        """纪委监委 signs for the oldest of its pending items."""
        dept = Department.DISCIPLINE.value
        feeds = f"{self.endpoints.reporting}/api/v1/feeds/{dept}"
        feed = await self.client.call("GET", feeds, "department")
        pending = [i for i in feed.json()["items"] if not i["acknowledged"]]
        pending.sort(key=lambda i: (i["occurred_at"], i["item_id"]))
        count = self.plan.acknowledge
        ack = self.task(f"签收 ({DEPARTMENT_LABELS_ZH[Department.DISCIPLINE]})", count)
        for item in pending[:count]:
            await self.client.call(
                "POST",
                f"{feeds}/items/{item['item_id']}/ack",
                "department",
                {"note": "已签收，按程序办理"},
                ok=(201, 409),
            )
            self.summary.acknowledged += 1
            ack()

    async def run(self, *, force: bool) -> LoadSummary:
        plan, summary = self.plan, self.summary
        before = await self.client.linked()
        if before["demo"] and before["city"]["petitions_received"] > 0 and not force:
            summary.skipped = True
            summary.linked = before
            return summary
        rounds = RoundsLoader(self.client, self.endpoints, self.seed)
        if not await rounds.present():
            summary.rounds = await rounds.run(
                lambda items, work, label: _gather_limited(
                    items, work, self.task(label, len(items))
                )
            )
        petitions = plan.petitions
        await _gather_limited(
            petitions, self.record, self.task("信访举报受理 (intake)", len(petitions))
        )
        summary.petitions = len(self.petitions)
        summary.with_informant = sum(1 for p in petitions if p.informant)
        await _gather_limited(
            petitions, self.classify, self.task("线索分类、上报、移交 (clues)", len(petitions))
        )
        # problems, reports, hearings (点人点事) and consultations (findings.py): before the
        # feedbacks, which follow the hearing (R16)
        transferred = [
            (p.jurisdiction, clue_id_for_petition(self.petitions[p.index])) for p in plan.transfers
        ]
        findings = FindingsLoader(
            self.client, self.endpoints, plan, transferred, self.writer, self.seed
        )
        summary.findings = await findings.run()
        feedbacks = plan.feedbacks
        await _gather_limited(
            feedbacks, self.feed_back, self.task("反馈问题 (rectification)", len(feedbacks))
        )
        to_report = [r for r in self.reports_planned if r[1].report != "none"]
        await _gather_limited(
            to_report, self.report, self.task("整改报告 (rectification)", len(to_report))
        )
        done = [(i, who) for i, issue, who in self.reports_planned if issue.report == "done"]
        _reviewed, summary.closed_out = await load_rectification(self.client, self.endpoints, done)
        summary.revisits = await load_revisits(self.client, self.endpoints)  # after close-outs
        await self.wait_for_projection(before)
        await self.acknowledge()
        plan_clues = [
            (p, str(clue_id_for_petition(self.petitions[p.index])))
            for p in results.discipline_clues(plan.petitions)
        ]
        summary.acknowledged_clues, summary.results, summary.disposed = await results.results(
            self.client.call, self.endpoints.clues, plan_clues, self.writer
        )
        # R3 overdue on the deadline worker's first ticks (补录: their transfer letters are old)
        summary.paper_transfers = await load_paper_transfers(
            self.client.call, self.endpoints.clues, self.tokens
        )
        summary.county_oversight = await load_county_oversight(
            self.client.call, self.endpoints.intake, self.tokens
        )
        summary.publications = await load_publications(
            self.client.call, self.endpoints, self.tokens, self.writer, china_today()
        )
        summary.cadre_opinions = await load_cadre_opinions(
            self.client.call, self.endpoints.rectification, self.tokens, self.writer, china_today()
        )
        summary.linked = await self.client.linked()
        if summary.rounds is not None:
            summary.rounds.coverage = await rounds.coverage()
        return summary


async def load_demo(
    endpoints: Endpoints,
    tokens: dict[str, str],
    *,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: Progress | None = None,
) -> LoadSummary:
    """Load the plan of ``seed`` (skipped when demo data is present, unless ``force``)."""
    loader = _Loader(build_plan(seed), endpoints, tokens, progress, seed)
    try:
        return await loader.run(force=force)
    finally:
        await loader.client.aclose()


def plan_measure(problem: str) -> str:
    """A task's measure for a problem of the demo (synthetic wording), naming the problem by
    its first clause, never cut inside one."""
    head = re.split(r"[，；。：,;]", problem, maxsplit=1)[0].strip() or problem
    # quotes inside the quoted clause become single ones (“三重一大” → ‘三重一大’), as nested
    # quotes are written in Chinese: never ““三重一大”决策…”
    inner = head.replace("“", "‘").replace("”", "’")
    return f"针对“{inner}”建立整改台账，逐项整改并完善制度（演示）"
