"""The demo plan: every petition, feedback and report decided up front from a seed (the same
seed, the same data); nothing here talks to a service."""

from __future__ import annotations

import random
from dataclasses import dataclass
from uuid import UUID

from xuncha_shared.cli.demo.data import (
    CITY_UNITS,
    COUNTY_DEPARTMENTS,
    DEFAULT_SEED,
    FUNDS,
    GIVEN,
    ISSUE_SLOTS,
    ISSUE_TEMPLATES,
    MATTERS,
    PETITION_TOPICS,
    PETITION_WEIGHTS,
    PROJECTS,
    RECT_TYPES,
    SERVICES,
    SURNAMES,
    TOWNSHIP_KINDS,
    TRANSFER_ROUTE,
    TRANSFERS,
)
from xuncha_shared.cli.demo.rounds_data import (
    COUNTY_ROUND_NO,
    FEEDBACK_ROUND_NO,
    PLANNED,
    county_unit_names,
    demo_round_id,
    demo_unit_id,
)
from xuncha_shared.contracts.common import Department
from xuncha_shared.domain import jurisdictions


@dataclass(frozen=True)
class PetitionPlan:
    index: int
    jurisdiction: str
    unit: str
    channel: str
    summary: str
    topic: str
    informant: dict[str, str] | None
    category: str
    cadre_level: str | None
    city_managed: bool
    counties: tuple[str, ...]
    transfer_to: Department | None = None

    @property
    def needs_escalation(self) -> bool:
        """R12 for a clue the office acts on: a 参考类 clue is kept (留存), never escalated."""
        if self.category == "reference":
            return False
        county = not jurisdictions.is_city(self.jurisdiction)
        spans = len({*self.counties, self.jurisdiction} - {jurisdictions.CITY.code}) > 1
        return county and (self.city_managed or spans)


@dataclass(frozen=True)
class IssuePlan:
    description: str
    rect_type: str
    concerns: tuple[Department, ...]
    #: "done" (formal report, completed), "progress" (a progress report) or "none"
    report: str
    progress_percent: int
    older: bool = False


# the city's feedbacks are round 5's (四届市委第五轮: 289 problems to 9 units, 000:L40;
# ``rounds_data.FEEDBACK_ROUND_NO``, planned by ``demo.rounds``)


@dataclass(frozen=True)
class FeedbackPlan:
    jurisdiction: str
    unit: str
    issues: tuple[IssuePlan, ...]
    older: bool

    @property
    def unit_id(self) -> UUID | None:
        """Intake's id of the unit when the demo's rounds know it (``rounds_data``): a city unit
        of the term, or a county unit its county's linked round inspected; so the unit's
        revisit (回头看, ``revisits`` and the offices' own) can name it."""
        if self.jurisdiction == jurisdictions.CITY.code:
            return demo_unit_id(self.unit) if self.unit in PLANNED else None
        index = next(n for n, c in enumerate(jurisdictions.COUNTIES) if c.code == self.jurisdiction)
        linked, revisited, _ = county_unit_names(index, self.jurisdiction)
        if self.unit not in (*linked, *revisited):
            return None
        return demo_unit_id(self.unit, self.jurisdiction)

    @property
    def round_id(self) -> UUID | None:
        """The round of a feedback naming its unit (given together), whose reports ``findings``
        has heard (R16): the city's round 5 (000:L40), a county's linked round."""
        if self.unit_id is None:
            return None
        if self.jurisdiction == jurisdictions.CITY.code:
            return demo_round_id(FEEDBACK_ROUND_NO)
        return demo_round_id(COUNTY_ROUND_NO, self.jurisdiction)


@dataclass
class DemoPlan:
    petitions: list[PetitionPlan]
    feedbacks: list[FeedbackPlan]
    acknowledge: int  # how many 纪委监委 items its demo token acknowledges

    @property
    def transfers(self) -> list[PetitionPlan]:
        return [p for p in self.petitions if p.transfer_to is not None]


def _fill(template: str, rng: random.Random, unit: str, place: str) -> str:
    return template.format(
        unit=unit,
        place=place,
        year=rng.choice((2022, 2023, 2024)),
        fund=rng.choice(FUNDS),
        amount=rng.choice((3.6, 5.2, 8, 12, 15.8, 23, 36, 48.5, 60, 120)),
        project=rng.choice(PROJECTS),
        service=rng.choice(SERVICES),
        matter=rng.choice(MATTERS),
    )


def _units_of(code: str, rng: random.Random) -> tuple[str, str]:
    """(an inspected unit, a township) of jurisdiction ``code``."""
    if jurisdictions.is_city(code):
        county = rng.choice(jurisdictions.COUNTIES).name
        return rng.choice(CITY_UNITS), f"{county}{rng.choice(TOWNSHIP_KINDS)}"
    name = jurisdictions.name_of(code)
    township = f"{name}{rng.choice(TOWNSHIP_KINDS)}"
    if rng.random() < 0.7:
        return f"{name}{rng.choice(COUNTY_DEPARTMENTS)}", township
    return township, township


def _petition_text(code: str, topic: str, rng: random.Random) -> tuple[str, str]:
    """(unit, summary): village matters name the township as the unit; city-level petitions
    concern city units only."""
    templates = PETITION_TOPICS[topic][1]
    if jurisdictions.is_city(code):
        templates = tuple(t for t in templates if "{place}" not in t) or templates
    template = rng.choice(templates)
    unit, township = _units_of(code, rng)
    if "{place}" in template:
        unit = township
    return unit, _fill(template, rng, unit, township)


def _informant(rng: random.Random, code: str) -> dict[str, str]:
    return {
        "name": rng.choice(SURNAMES) + rng.choice(GIVEN),
        "phone": f"139{rng.randrange(10**8):08d}",
        "address": f"{jurisdictions.name_of(code)}××小区{rng.randint(1, 30)}栋",
    }


def build_plan(seed: int = DEFAULT_SEED) -> DemoPlan:
    """The whole demo, decided up front from ``seed`` (the same seed, the same data)."""
    rng = random.Random(seed)
    topics = list(PETITION_TOPICS)
    weights = [PETITION_TOPICS[t][0] for t in topics]
    petitions: list[PetitionPlan] = []
    codes = [code for code, n in PETITION_WEIGHTS.items() for _ in range(n)]
    rng.shuffle(codes)
    for index, code in enumerate(codes):
        topic = rng.choices(topics, weights)[0]
        unit, summary = _petition_text(code, topic, rng)
        is_county = not jurisdictions.is_city(code)
        city_managed = is_county and rng.random() < 0.08
        spans: tuple[str, ...] = ()
        if is_county and not city_managed and rng.random() < 0.03:
            other = rng.choice([c.code for c in jurisdictions.COUNTIES if c.code != code])
            spans = tuple(sorted((code, other)))
        category = rng.choices(("further_inquiry", "inquiry", "reference"), (3, 5, 2))[0]
        petitions.append(
            PetitionPlan(
                index=index,
                jurisdiction=code,
                unit=unit,
                channel=rng.choices(("letter", "call", "visit", "online"), (3, 2, 2, 3))[0],
                summary=summary,
                topic=topic,
                informant=_informant(rng, code) if rng.random() < 0.35 else None,
                category=category,
                cadre_level="division" if city_managed else rng.choice(("section", "staff")),
                city_managed=city_managed,
                counties=spans,
            )
        )
    # 52 transfers (000:L40): escalated clues first (the city office transfers them), then
    # clues of the categories that call for action, in a seeded order
    candidates = [p for p in petitions if p.category != "reference"]
    rng.shuffle(candidates)
    candidates.sort(key=lambda p: not p.needs_escalation)
    chosen = {p.index for p in candidates[:TRANSFERS]}
    petitions = [
        PetitionPlan(**{**p.__dict__, "transfer_to": TRANSFER_ROUTE[p.topic]})
        if p.index in chosen
        else p
        for p in petitions
    ]
    return DemoPlan(petitions=petitions, feedbacks=_feedbacks(rng), acknowledge=9)


def _issue_texts(rng: random.Random, count: int) -> list[tuple[str, tuple[Department, ...]]]:
    out: list[tuple[str, tuple[Department, ...]]] = []
    seen: set[str] = set()
    while len(out) < count:
        template, concerns = rng.choice(ISSUE_TEMPLATES)
        slots = {k: rng.choice(v) for k, v in ISSUE_SLOTS.items()}
        text = template.format(
            n=rng.randint(2, 9),
            fund=rng.choice(FUNDS),
            project=rng.choice(PROJECTS),
            matter=rng.choice(MATTERS),
            **slots,
        )
        if text not in seen:
            seen.add(text)
            out.append((text, concerns))
    return out


def _feedbacks(rng: random.Random) -> list[FeedbackPlan]:
    """Round 5's 9 city units with its 289 problems (000:L40; the split per unit is synthetic)
    and one unit per county."""
    plans: list[FeedbackPlan] = []
    city_units = (
        ("市财政局", 32, True),
        ("市住建局", 33, True),
        ("市交通运输局", 31, True),
        ("市自然资源局", 30, False),
        ("市教育局", 33, True),
        ("市卫生健康委", 32, True),
        ("市水利局", 33, True),
        ("市农业农村局", 32, True),
        ("市国资委", 33, False),
    )
    units: list[tuple[str, str, int, bool]] = [
        (jurisdictions.CITY.code, unit, n, older) for unit, n, older in city_units
    ]
    for county in jurisdictions.COUNTIES:
        unit = f"{county.name}{rng.choice(COUNTY_DEPARTMENTS)}"
        units.append((county.code, unit, rng.randint(4, 9), rng.random() < 0.7))
    for code, unit, count, older in units:
        issues: list[IssuePlan] = []
        for text, concerns in _issue_texts(rng, count):
            if older:  # fed back in an earlier round: ≈ 90 % rectified (000:L46: 10 / 11)
                done = rng.random() < 0.9
                report, pct = ("done", 100) if done else ("progress", rng.choice((60, 70, 80)))
            else:
                report = rng.choices(("none", "progress", "done"), (4, 5, 1))[0]
                pct = {"none": 0, "progress": rng.choice((20, 30, 50)), "done": 100}[report]
            issues.append(IssuePlan(text, rng.choice(RECT_TYPES), concerns, report, pct, older))
        plans.append(FeedbackPlan(code, unit, tuple(issues), older))
    return plans


def report_steps(issue: IssuePlan) -> list[tuple[str, int, bool]]:
    """(kind, percent, completed) of the reports on one issue: a progress report, the formal
    2-month report (R1) for the older feedbacks, a final report when the issue is done (only a
    final report may declare completion; progress never goes back)."""
    if issue.report == "none":
        return []
    if issue.report == "progress":
        steps = [("progress", max(10, issue.progress_percent - 20), False)]
        if issue.older:
            steps.append(("formal", issue.progress_percent, False))
        else:
            steps[0] = ("progress", issue.progress_percent, False)
        return steps
    steps = [("progress", 50, False)]
    if issue.older:
        steps.append(("formal", 90, False))
    steps.append(("final", 100, True))
    return steps
