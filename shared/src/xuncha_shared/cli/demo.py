"""``xuncha demo load``: demo data through the public HTTP APIs only.

Shaped after the figures of the seeds (docs: domain.md section 5), all of it **synthetic** (the
dashboard shows 演示数据): the city 抚州市 and its 11 counties; round 7 of the 4th-term city
committee with 4 city inspection groups; petitions (来信、来电、来访、网络举报) spread over the
city and the counties, some real-name (the informant is encrypted by intake); every petition
becomes a clue automatically (clues service); clues are classified, those on 市管干部 escalated
to the city office, 52 transferred to the departments by the Art. 28 route (000:L40: 移交问题线索
52件); problems fed back to a few city units at ≈ 289 / 9 ≈ 32 per unit (000:L40) and to one
unit per county; rectification reports with ≈ 90 % completion for the older feedbacks (000:L46:
10 / 11). Units are real kinds of bodies; townships and villages are anonymised the way the seeds
do it (××镇). Deterministic (seeded); safe to run twice (skips when demo data is present).

Tokens come from ``<state dir>/demo-tokens.json`` (``make up`` / ``xuncha tokens demo``).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from xuncha_shared.cli.common import console, fail, settings
from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH, Department
from xuncha_shared.domain import jurisdictions
from xuncha_shared.settings import DEFAULT_PORTS

app = typer.Typer(help="Demo data (synthetic, through the public APIs).", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Demo data (synthetic, through the public APIs)."""


DEMO_TOKENS_FILE = "demo-tokens.json"
DEFAULT_SEED = 20241014  # 10月14日: the date of the round-7 linkage plan (000:L38)
ROUND_ID = "四届市委第七轮"
TRANSFERS = 52  # 000:L40

# ---- content ------------------------------------------------------------------------------

CITY_UNITS: tuple[str, ...] = (
    "市财政局",
    "市住建局",
    "市交通运输局",
    "市自然资源局",
    "市农业农村局",
    "市教育局",
    "市卫生健康委",
    "市水利局",
    "市市场监管局",
    "市人社局",
    "市民政局",
    "市城市建设投资集团",
)
COUNTY_DEPARTMENTS: tuple[str, ...] = (
    "农业农村局",
    "住建局",
    "教育体育局",
    "卫生健康委",
    "民政局",
    "自然资源局",
    "财政局",
    "水利局",
)
TOWNSHIP_KINDS: tuple[str, ...] = ("××镇", "××乡", "××街道")

#: Petitions per jurisdiction (city-level work first); sums to 230.
PETITION_WEIGHTS: dict[str, int] = {
    "361000": 38,
    "361002": 34,
    "361003": 20,
    "361021": 16,
    "361022": 13,
    "361023": 14,
    "361024": 15,
    "361025": 16,
    "361026": 13,
    "361027": 15,
    "361028": 11,
    "361030": 25,
}

FUNDS = (
    "城乡低保金",
    "农村危房改造补助",
    "耕地地力保护补贴",
    "高龄老人津贴",
    "残疾人两项补贴",
    "产业发展奖补资金",
    "退耕还林补助",
    "易地搬迁安置补助",
)
PROJECTS = (
    "农村人居环境整治工程",
    "高标准农田建设项目",
    "乡村道路硬化工程",
    "老旧小区改造项目",
    "安置房建设项目",
    "农村饮水安全工程",
    "校舍维修改造项目",
)
SERVICES = ("不动产登记", "社保转移接续", "建房审批", "营业执照变更", "医保报销")
MATTERS = ("征地补偿款拖欠", "小区产权证办理", "农民工工资拖欠", "采砂扰民", "养殖污染")

#: topic -> (weight, petition summary templates). Topics follow domain.md 2.3.
PETITION_TOPICS: dict[str, tuple[int, tuple[str, ...]]] = {
    "惠民资金": (
        5,
        (
            "反映{unit}在{year}年{fund}发放中存在虚报冒领、优亲厚友问题，涉及资金约{amount}万元。",
            "反映{place}村干部将本人亲属违规纳入{fund}发放名单，群众意见较大。",
            "反映{unit}{fund}审核把关不严，已故人员仍在领取补助。",
        ),
    ),
    "微腐败": (
        5,
        (
            "反映{place}村干部在{project}中收受施工方好处费。",
            "反映{place}村委会在土地征收青苗补偿中截留、挪用群众补偿款。",
            "反映{place}村干部在{project}中优亲厚友，将工程交由亲属承包。",
            "反映{unit}工作人员在办理{service}时吃拿卡要。",
        ),
    ),
    "四风": (
        5,
        (
            "反映{unit}个别干部工作日中午饮酒、公车私用。",
            "反映{unit}节假日期间违规收受管理服务对象礼品礼金。",
            "反映{unit}办事拖沓、推诿扯皮，群众办理{service}多次往返未果。",
            "反映{unit}督查检查过多过频、材料报表繁重，基层负担重。",
            "反映{unit}以开会、培训名义组织公款旅游。",
        ),
    ),
    "三重一大": (
        3,
        (
            "反映{unit}{project}未经领导班子集体研究，由主要负责人个人拍板。",
            "反映{unit}大额资金使用未按“三重一大”制度集体决策，约{amount}万元。",
        ),
    ),
    "选人用人": (
        2,
        (
            "反映{unit}在{year}年干部选拔任用中程序不规范，存在“带病提拔”问题。",
            "反映{unit}违规借调下属单位人员、超职数配备中层干部。",
        ),
    ),
    "民主集中制": (
        1,
        ("反映{unit}党组议事规则执行不严，“一把手”搞“一言堂”，班子成员意见得不到尊重。",),
    ),
    "信访": (
        2,
        (
            "反映{place}群众多次信访反映的{matter}问题长期未得到解决。",
            "反映{place}{matter}问题，多次向有关部门反映无果。",
            "反映{unit}对群众反映的{matter}问题推诿扯皮、久拖不决。",
        ),
    ),
    "资金使用": (
        2,
        (
            "反映{unit}违规发放津补贴，以会议费名义列支接待费用。",
            "反映{unit}专项资金长期闲置，部分资金被挤占挪用，约{amount}万元。",
        ),
    ),
}

#: topic -> the department a transfer goes to (R2 / Art. 28; 三重一大 has no fixed route)
TRANSFER_ROUTE: dict[str, Department] = {
    "惠民资金": Department.FINANCE,
    "微腐败": Department.DISCIPLINE,
    "四风": Department.DISCIPLINE,
    "三重一大": Department.DISCIPLINE,
    "选人用人": Department.ORGANISATION,
    "民主集中制": Department.ORGANISATION,
    "信访": Department.PETITIONS,
    "资金使用": Department.AUDIT,
}
TRANSFER_REASONS: dict[Department, str] = {
    Department.DISCIPLINE: "涉嫌违反中央八项规定精神及廉洁纪律，按干部管理权限移交",
    Department.ORGANISATION: "涉及干部选拔任用和民主集中制问题，移交组织部门处理",
    Department.PETITIONS: "属信访事项，移交信访部门依法依规办理",
    Department.AUDIT: "涉及专项资金使用，移交审计部门核查",
    Department.FINANCE: "涉及惠民资金管理，移交财政部门核查",
}

#: problems fed back to units: (template, concerned departments)
ISSUE_TEMPLATES: tuple[tuple[str, tuple[Department, ...]], ...] = (
    ("学习贯彻党的创新理论不够深入，理论学习中心组学习{weak}", ()),
    ("落实全面从严治党主体责任不到位，{weak2}", (Department.DISCIPLINE,)),
    ("落实“一岗双责”不到位，班子成员对分管领域廉政风险{weak3}", (Department.DISCIPLINE,)),
    ("“三重一大”决策制度执行不严格，{n}项重大事项未经集体研究", (Department.AUDIT,)),
    ("违反中央八项规定精神问题时有发生，{eight}", (Department.DISCIPLINE,)),
    ("形式主义、官僚主义问题依然存在，{formal}", (Department.DISCIPLINE,)),
    ("干部选拔任用工作不规范，{cadre}", (Department.ORGANISATION,)),
    ("基层党组织建设薄弱，{party}", (Department.ORGANISATION,)),
    ("财务管理不规范，{fin}", (Department.FINANCE, Department.AUDIT)),
    ("{fund}监管不力，审核把关不严，存在重复发放、违规发放问题", (Department.FINANCE,)),
    ("政府采购管理不规范，{buy}", (Department.AUDIT,)),
    ("国有资产管理混乱，{asset}", (Department.AUDIT, Department.FINANCE)),
    ("上轮巡察反馈问题整改不彻底，{n}项问题整改未完成", ()),
    ("落实意识形态工作责任制不到位，{ideo}", ()),
    ("群众反映强烈的{matter}问题解决不力，信访积案化解缓慢", (Department.PETITIONS,)),
    ("{project}监管缺位，工程变更、签证管理不规范", (Department.AUDIT,)),
)
ISSUE_SLOTS: dict[str, tuple[str, ...]] = {
    "weak": ("流于形式", "以读文件代替研讨", "联系实际不够紧密", "专题研讨次数不足"),
    "weak2": (
        "压力传导层层递减",
        "对下属单位监督管理偏松偏软",
        "年度党风廉政建设任务分解不具体",
    ),
    "weak3": ("排查不深入", "防控措施针对性不强", "提醒谈话开展不经常"),
    "eight": (
        "公务接待超标准、超范围",
        "公务用车管理不严，存在公车私用现象",
        "违规发放福利补贴",
        "节日期间违规收受礼品",
    ),
    "formal": (
        "文山会海问题反弹",
        "督查检查考核过多过频",
        "调查研究走马观花",
        "服务群众“最后一公里”不畅",
    ),
    "cadre": (
        "部分干部档案材料审核把关不严",
        "干部交流轮岗制度落实不到位",
        "违规借调下属单位人员",
        "超职数配备中层干部",
    ),
    "party": (
        "“三会一课”制度落实不到位",
        "党费收缴使用不规范",
        "发展党员程序不规范",
        "支部换届不及时",
    ),
    "fin": (
        "存在白条入账、大额现金支付问题",
        "往来款项长期挂账未清理",
        "以会议费名义列支接待费用",
        "预算执行不严，超预算支出",
    ),
    "buy": (
        "存在化整为零规避公开招标",
        "部分项目未按规定履行采购程序",
        "采购验收流于形式",
    ),
    "asset": ("资产账实不符", "闲置资产未及时处置", "对外出租资产未履行评估程序"),
    "ideo": ("阵地管理存在薄弱环节", "网络舆情研判处置不及时", "意识形态工作研究部署不够"),
}
RECT_TYPES = ("immediate", "time_bound", "time_bound", "time_bound", "long_term")

SURNAMES = "王李张刘陈杨黄吴赵周徐孙胡朱高林何郭罗"
GIVEN = ("秀英", "建华", "国平", "志强", "丽华", "桂兰", "海燕", "文斌", "小红", "春生", "新民")


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


@dataclass(frozen=True)
class FeedbackPlan:
    jurisdiction: str
    unit: str
    issues: tuple[IssuePlan, ...]
    older: bool


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
    """Four city units at ≈32 problems each (289 / 9, 000:L40) and one unit per county."""
    plans: list[FeedbackPlan] = []
    city_units = (
        ("市财政局", 32, True),
        ("市住建局", 33, True),
        ("市交通运输局", 31, True),
        ("市自然资源局", 30, False),
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


# ---- loading through the public APIs --------------------------------------------------------

CONCURRENCY = 8
CLUE_WAIT_S = 120.0
VIEW_WAIT_S = 180.0
ESCALATION_REASONS = {
    True: "涉及市管干部，按干部管理权限报市委巡察办 (R12)",
    False: "涉及多个县区，报市委巡察办统筹办理 (R12)",
}
REPORT_NOTES = {
    "progress": "已制定整改方案，明确责任人和完成时限，正在推进整改。",
    "formal": "按期报送整改情况报告及主要负责人组织落实整改情况报告 (R1)。",
    "final": "整改措施已全部落实，建立健全相关制度，申请对账销号。",
}


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


class DemoError(RuntimeError):
    pass


@dataclass
class Endpoints:
    intake: str
    clues: str
    rectification: str
    reporting: str


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
    reports: int = 0
    acknowledged: int = 0
    linked: dict[str, Any] = field(default_factory=dict)


def state_dir() -> Path:
    configured = settings().state_dir
    if configured:
        return Path(configured)
    repo = Path(__file__).resolve().parents[4]
    return repo / ".xuncha" if (repo / "pyproject.toml").exists() else Path(".xuncha")


def load_tokens(path: Path | None = None) -> dict[str, str]:
    path = path or state_dir() / DEMO_TOKENS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DemoError(f"{path} is missing: run `make up` or `xuncha tokens demo` first") from None
    if not isinstance(data, dict) or not {"city_admin", "department"} <= set(data):
        raise DemoError(f"{path} holds no city_admin and department tokens")
    return {str(k): str(v) for k, v in data.items()}


def clue_id_of(petition_id: uuid.UUID) -> uuid.UUID:
    """The clue the clues service registers for a petition (uuid5 of its id, by contract of
    the clues service: the same id however often the petition arrives)."""
    from xuncha_clues.domain.model import clue_id_for_petition

    return uuid.UUID(str(clue_id_for_petition(petition_id)))


class DemoClient:
    """The four public APIs, with the demo tokens."""

    def __init__(self, endpoints: Endpoints, tokens: dict[str, str]) -> None:
        self.endpoints = endpoints
        self.tokens = tokens
        self.http = httpx.AsyncClient(timeout=30.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    def _auth(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    async def call(
        self, method: str, url: str, who: str, body: Any = None, ok: Sequence[int] = (200, 201)
    ) -> httpx.Response:
        for attempt in range(5):
            try:
                resp = await self.http.request(method, url, json=body, headers=self._auth(who))
            except httpx.TransportError as exc:
                if attempt == 4:
                    raise DemoError(f"{method} {url}: {exc}") from exc
                await asyncio.sleep(0.5 * (attempt + 1))
                continue
            if resp.status_code in ok:
                return resp
            if resp.status_code == 409 and "concurrent" in resp.text and attempt < 4:
                await asyncio.sleep(0.2 * (attempt + 1))
                continue
            raise DemoError(f"{method} {url} -> {resp.status_code}: {resp.text[:500]}")
        raise DemoError(f"{method} {url}: gave up")  # pragma: no cover

    async def linked(self) -> dict[str, Any]:
        resp = await self.call(
            "GET", f"{self.endpoints.reporting}/api/v1/views/linked", "city_admin"
        )
        doc: dict[str, Any] = resp.json()
        return doc


def _writer_for(code: str, tokens: dict[str, str]) -> str:
    """The county office's token for its own county when there is one, else the city's."""
    return "county_admin" if code == "361002" and "county_admin" in tokens else "city_admin"


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


async def load_demo(
    endpoints: Endpoints,
    tokens: dict[str, str],
    *,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    progress: Progress | None = None,
) -> LoadSummary:
    plan = build_plan(seed)
    summary = LoadSummary()
    client = DemoClient(endpoints, tokens)

    def task(label: str, total: int) -> Callable[[], None]:
        if progress is None:
            return lambda: None
        task_id = progress.add_task(label, total=total)
        return lambda: progress.advance(task_id)

    try:
        before = await client.linked()
        if before["demo"] and before["city"]["petitions_received"] > 0 and not force:
            summary.skipped = True
            summary.linked = before
            return summary
        petitions: dict[int, uuid.UUID] = {}

        async def record(p: PetitionPlan) -> None:
            body: dict[str, Any] = {
                "jurisdiction": p.jurisdiction,
                "unit": p.unit,
                "channel": p.channel,
                "summary": p.summary,
                "round_id": ROUND_ID,
            }
            if p.informant:
                body["informant"] = p.informant
            resp = await client.call(
                "POST",
                f"{endpoints.intake}/api/v1/petitions",
                _writer_for(p.jurisdiction, tokens),
                body,
            )
            petitions[p.index] = uuid.UUID(resp.json()["id"])

        await _gather_limited(
            plan.petitions, record, task("信访举报受理 (intake)", len(plan.petitions))
        )
        summary.petitions = len(petitions)
        summary.with_informant = sum(1 for p in plan.petitions if p.informant)

        async def classify(p: PetitionPlan) -> None:
            clue = clue_id_of(petitions[p.index])
            url = f"{endpoints.clues}/api/v1/clues/{clue}"

            async def registered() -> bool:
                resp = await client.call("GET", url, "city_admin", ok=(200, 404))
                return resp.status_code == 200

            await _wait_for(registered, CLUE_WAIT_S, f"clue {clue} to be registered")
            await client.call(
                "POST",
                f"{url}/classify",
                _writer_for(p.jurisdiction, tokens),
                {
                    "category": p.category,
                    "cadre_level": p.cadre_level,
                    "city_managed": p.city_managed,
                    "counties": list(p.counties),
                    "topics": [p.topic],
                },
            )
            summary.classified += 1
            if p.needs_escalation:
                await client.call(
                    "POST",
                    f"{url}/escalate",
                    _writer_for(p.jurisdiction, tokens),
                    {"reason": ESCALATION_REASONS[p.city_managed]},
                )
                summary.escalated += 1
            if p.transfer_to is not None:
                who = "city_admin" if p.needs_escalation else _writer_for(p.jurisdiction, tokens)
                await client.call(
                    "POST",
                    f"{url}/transfer",
                    who,
                    {"department": p.transfer_to.value, "reason": TRANSFER_REASONS[p.transfer_to]},
                )
                summary.transferred += 1

        await _gather_limited(
            plan.petitions, classify, task("线索分类、上报、移交 (clues)", len(plan.petitions))
        )

        reports_planned: list[tuple[uuid.UUID, IssuePlan, str]] = []

        async def feed_back(f: FeedbackPlan) -> None:
            resp = await client.call(
                "POST",
                f"{endpoints.rectification}/api/v1/feedbacks",
                _writer_for(f.jurisdiction, tokens),
                {
                    "jurisdiction": f.jurisdiction,
                    "unit": f.unit,
                    "issues": [
                        {
                            "description": i.description,
                            "rect_type": i.rect_type,
                            "concerns": [d.value for d in i.concerns],
                        }
                        for i in f.issues
                    ],
                },
            )
            ids = [uuid.UUID(x) for x in resp.json()["issue_ids"]]
            summary.feedbacks += 1
            summary.issues += len(ids)
            who = _writer_for(f.jurisdiction, tokens)
            reports_planned.extend(
                (issue_id, issue, who) for issue_id, issue in zip(ids, f.issues, strict=True)
            )

        await _gather_limited(
            plan.feedbacks, feed_back, task("反馈问题 (rectification)", len(plan.feedbacks))
        )

        to_report = [r for r in reports_planned if r[1].report != "none"]

        async def report(item: tuple[uuid.UUID, IssuePlan, str]) -> None:
            issue_id, issue, who = item
            url = f"{endpoints.rectification}/api/v1/rectifications/{issue_id}/reports"
            for kind, percent, completed in report_steps(issue):
                await client.call(
                    "POST",
                    url,
                    who,
                    {
                        "kind": kind,
                        "progress_percent": percent,
                        "completed": completed,
                        "note": REPORT_NOTES[kind],
                    },
                )
                summary.reports += 1

        await _gather_limited(to_report, report, task("整改报告 (rectification)", len(to_report)))

        # the projection catches up through Kafka; then 纪委监委 signs for some of its items
        expected_transfers = sum(1 for p in plan.petitions if p.transfer_to is not None)
        base = before["city"]

        async def projected() -> bool:
            city = (await client.linked())["city"]
            return bool(
                city["petitions_received"] - base["petitions_received"] >= summary.petitions
                and city["clues_transferred"] - base["clues_transferred"] >= expected_transfers
                and city["rectification_reports"] - base["rectification_reports"] >= summary.reports
            )

        await _wait_for(projected, VIEW_WAIT_S, "the reporting projection to catch up", 1.0)
        dept = Department.DISCIPLINE.value
        feed = await client.call("GET", f"{endpoints.reporting}/api/v1/feeds/{dept}", "department")
        pending = [i for i in feed.json()["items"] if not i["acknowledged"]]
        pending.sort(key=lambda i: (i["occurred_at"], i["item_id"]))
        ack = task(f"签收 ({DEPARTMENT_LABELS_ZH[Department.DISCIPLINE]})", plan.acknowledge)
        for item in pending[: plan.acknowledge]:
            await client.call(
                "POST",
                f"{endpoints.reporting}/api/v1/feeds/{dept}/items/{item['item_id']}/ack",
                "department",
                {"note": "已签收，按程序办理"},
                ok=(201, 409),
            )
            summary.acknowledged += 1
            ack()
        summary.linked = await client.linked()
        return summary
    finally:
        await client.aclose()


def _default_url(service: str) -> str:
    return f"http://127.0.0.1:{DEFAULT_PORTS[service]}"


@app.command()
def load(
    seed: int = typer.Option(DEFAULT_SEED, "--seed", help="random seed (same seed, same data)"),
    force: bool = typer.Option(False, "--force", help="load even if demo data is present"),
    tokens_file: Path | None = typer.Option(
        None, "--tokens", help=f"demo tokens JSON (default: <state dir>/{DEMO_TOKENS_FILE})"
    ),
    intake_url: str = typer.Option(
        _default_url("intake"), "--intake-url", envvar="XUNCHA_DEMO_INTAKE_URL"
    ),
    clues_url: str = typer.Option(
        _default_url("clues"), "--clues-url", envvar="XUNCHA_DEMO_CLUES_URL"
    ),
    rectification_url: str = typer.Option(
        _default_url("rectification"),
        "--rectification-url",
        envvar="XUNCHA_DEMO_RECTIFICATION_URL",
    ),
    reporting_url: str = typer.Option(
        _default_url("reporting"), "--reporting-url", envvar="XUNCHA_DEMO_REPORTING_URL"
    ),
) -> None:
    """Load synthetic demo data (抚州市 and its 11 counties) through the public HTTP APIs."""
    try:
        tokens = load_tokens(tokens_file)
    except DemoError as exc:
        raise fail(str(exc)) from None
    endpoints = Endpoints(
        intake=intake_url.rstrip("/"),
        clues=clues_url.rstrip("/"),
        rectification=rectification_url.rstrip("/"),
        reporting=reporting_url.rstrip("/"),
    )
    started = time.monotonic()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        try:
            summary = asyncio.run(
                load_demo(endpoints, tokens, seed=seed, force=force, progress=progress)
            )
        except DemoError as exc:
            raise fail(str(exc), code=1) from None
    city = summary.linked.get("city") or {}
    if summary.skipped:
        console.print(
            f"demo data already present ({city.get('petitions_received')} petitions in the "
            "linked view): nothing loaded (use --force to load again)"
        )
        return
    console.print(
        f"[green]demo data loaded[/green] in {time.monotonic() - started:.0f}s: "
        f"{summary.petitions} petitions ({summary.with_informant} real-name, encrypted by intake), "
        f"{summary.classified} clues classified, {summary.escalated} escalated to 市委巡察办, "
        f"{summary.transferred} transferred, {summary.feedbacks} feedbacks with "
        f"{summary.issues} problems, {summary.reports} rectification reports, "
        f"{summary.acknowledged} items signed for by 纪委监委"
    )
    if city:
        rate = city.get("completion_rate")
        console.print(
            f"linked view 抚州市: 信访举报 {city['petitions_received']}, 线索登记 "
            f"{city['clues_registered']}, 移交 {city['clues_transferred']}, 上报 "
            f"{city['clues_escalated']}, 反馈问题 {city['issues_fed_back']}, 整改报告 "
            f"{city['rectification_reports']}, 整改完成率 "
            f"{'—' if rate is None else f'{rate * 100:.1f}%'}"
        )
