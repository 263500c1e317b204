"""两公开 (R5): the ``publication`` aggregate, one stream per stage of a unit's inspection in a
round made known to one scope (``publication_id_for``: each once).

An office makes known a unit's stationing (进驻) once the round assigned it, its feedback (反馈)
once issues were fed back to it from that round, its rectification (整改) once it reported on
them formally (R1's 整改情况报告); inside the party (党内通报) or to the public (向社会公开). What
goes to the public passes a filter: no ID number and no receipt code, and every ground for
withholding (``exemptions``) is one of the deployment's list (R5 keeps it configurable). Pure:
no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from xuncha_shared.contracts.names_zh import VALUE_LABELS_ZH
from xuncha_shared.contracts.rectification import (
    PublicationScope,
    PublicationStage,
    ResultsPublished,
    publication_id_for,
)
from xuncha_shared.domain import jurisdictions
from xuncha_shared.domain.aggregates import AggregateKind
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation
from xuncha_shared.domain.percent import percent_of
from xuncha_shared.envelope import EventPayload

#: the grounds for withholding a part of what is published, by id, when the deployment names
#: none (``XUNCHA_PUBLICATION_EXEMPTIONS``): 公开为原则、不公开为例外 (R5)
DEFAULT_EXEMPTIONS: dict[str, str] = {
    "state_secret": "涉及国家秘密",
    "work_secret": "涉及工作秘密",
    "personal_privacy": "涉及个人隐私",
    "trade_secret": "涉及商业秘密",
    "case_pending": "涉及尚在办理的问题线索",
}
#: the stages and scopes in Chinese, as the audit pages name them (``contracts.names_zh``)
STAGE_ZH = VALUE_LABELS_ZH["stage"]
SCOPE_ZH = VALUE_LABELS_ZH["scope"]

#: what never goes to the public, looked for in the text made half-width and upper case
#: (NFKC), blanks, hyphens and underscores allowed between the parts: an ID number (18
#: characters with the birth date, or the old 15 digits) and a receipt code (XC and 20
#: symbols, or the older 12; the prefix may be left out; letters and digits both)
_SEP = r"[\s\-_]*"
_DAY = rf"(?:0[1-9]|1[0-2]){_SEP}(?:0[1-9]|[12][0-9]|3[01])"
_ID_NUMBERS = (
    re.compile(
        rf"(?<![0-9])[1-9][0-9]{{5}}{_SEP}(?:18|19|20)[0-9]{{2}}{_SEP}{_DAY}{_SEP}[0-9]{{3}}[0-9X](?![0-9])"
    ),
    re.compile(rf"(?<![0-9])[1-9][0-9]{{5}}{_SEP}[0-9]{{2}}{_DAY}{_SEP}[0-9]{{3}}(?![0-9X])"),
)
_RECEIPT_CODE = re.compile(
    rf"(?<![0-9A-Z])(?:XC{_SEP})?[0-9A-Z]{{4}}(?:{_SEP}[0-9A-Z]{{4}}){{2,4}}"
)
_BLANK = "____"


def _receipt_like(candidate: str) -> bool:
    symbols = re.sub(r"[^0-9A-Z]", "", candidate)
    if symbols.startswith("XC") and len(symbols) - 2 in (12, 20):
        symbols = symbols[2:]
    has_both = any(c.isdigit() for c in symbols) and any(c.isalpha() for c in symbols)
    return len(symbols) in (12, 20) and has_both


def sensitive(text: str) -> str | None:
    """What of ``text`` may not go to the public (its Chinese name), or None."""
    plain = unicodedata.normalize("NFKC", text).upper()
    if any(p.search(plain) for p in _ID_NUMBERS):
        return "身份证号码"
    if any(_receipt_like(m.group()) for m in _RECEIPT_CODE.finditer(plain)):
        return "举报回执码"
    return None


@dataclass(frozen=True)
class PublishResults:
    round_id: UUID
    unit_id: UUID
    stage: PublicationStage
    scope: PublicationScope
    title: str
    text: str
    published_on: date
    exemptions: tuple[str, ...] = ()
    withheld_note: str | None = None
    unit: str | None = None  # the unit's name, for one rectification knows no issue of


@dataclass(frozen=True)
class Subject:
    """What rectification knows of the unit in the round (read by the handler): the round's
    jurisdiction and first day, whether it assigned the unit, the unit's name as its issues
    give it, how many issues it was fed back from the round, how many it reported on, and how
    many of them the office verified (整改到位: verified or closed out) and how many of those it
    closed out (对账销号: what the board's and 总览's 整改完成率 counts; None: all of them)."""

    jurisdiction: str
    round_starts_on: date
    assigned: bool
    unit: str | None
    issues: int
    formally_reported: int
    done: int = 0
    closed_out: int | None = None
    #: how the round inspects the unit (regular, linked, revisit: 巡察“回头看”), when assigned
    mode: str | None = None


@dataclass
class Publication:
    publication_id: UUID | None = None
    jurisdiction: str = ""
    round_id: UUID | None = None
    unit_id: UUID | None = None
    unit: str = ""
    stage: PublicationStage | None = None
    scope: PublicationScope | None = None
    title: str = ""
    text: str = ""
    published_on: date | None = None
    exemptions: tuple[str, ...] = ()
    withheld_note: str | None = None
    recorded_at: datetime | None = None
    version: int = 0

    @property
    def exists(self) -> bool:
        return self.version > 0


def ready(stage: PublicationStage, subject: Subject) -> None:
    """A stage is made known once it happened."""
    if stage is PublicationStage.FEEDBACK and not subject.issues:
        raise RuleViolation(
            "该轮次尚未向该单位反馈问题，不能公开反馈情况 / no issue was fed back to the unit "
            "from this round"
        )
    if stage is PublicationStage.RECTIFICATION and not subject.formally_reported:
        raise RuleViolation(
            "该单位尚未报送整改情况报告（反馈后两个月内报送，R1），不能公开整改进展 / the unit has "
            "not reported formally on its rectification (R1)"
        )


def _filter(cmd: PublishResults, exemptions: Mapping[str, str]) -> None:
    """R5's filter: grounds of the deployment's list only; nothing that names a person or a
    petition goes to the public."""
    unknown = [e for e in cmd.exemptions if e not in exemptions]
    if unknown:
        raise InvalidCommand(
            f"不予公开的理由不在本系统的清单中：{'、'.join(unknown)} / exemptions not in the "
            f"deployment's list: {', '.join(unknown)}"
        )
    if _BLANK in cmd.title or _BLANK in cmd.text:
        raise InvalidCommand(
            "公开内容中还有未填写的空白（____），请填写后再发布 / the text still has a blank "
            "(____) to fill"
        )
    if cmd.scope is not PublicationScope.PUBLIC:
        return
    if found := sensitive(f"{cmd.title}\n{cmd.text}"):
        raise InvalidCommand(
            f"向社会公开的内容不得含有{found} / a publication to the public contains "
            f"{'an ID number' if found == '身份证号码' else 'a receipt code'}"
        )


def known(subject: Subject | None, unit_id: UUID) -> Subject:
    """The unit in the round, or the 404 of one the round neither assigned nor fed back (or
    of a round the caller may not see: ``None``)."""
    if subject is None or not (subject.assigned or subject.issues):
        raise NotFoundError(f"该轮次没有巡察该单位 / unit {unit_id} is not one of the round's")
    return subject


def draft_for(
    subject: Subject | None,
    unit_id: UUID,
    stage: PublicationStage,
    round_name: str,
    unit: str | None,
    scope: PublicationScope,
) -> tuple[str, str]:
    """The draft of a stage that happened (as ``decide_publish`` would take it), of a unit of
    the round."""
    subject = known(subject, unit_id)
    ready(stage, subject)
    name = subject.unit or unit or _BLANK
    return draft(
        stage,
        round_name,
        name,
        subject.jurisdiction,
        subject.issues,
        subject.done,
        scope,
        revisit=subject.mode == "revisit",
        closed_out=subject.closed_out,
    )


def decide_publish(
    state: Publication,
    cmd: PublishResults,
    subject: Subject | None,
    exemptions: Mapping[str, str],
    today: date,
) -> list[EventPayload]:
    """R5: the stage of the unit's inspection made known to the scope, once."""
    subject = known(subject, cmd.unit_id)
    ready(cmd.stage, subject)
    unit = subject.unit or cmd.unit
    if not unit:
        raise InvalidCommand("请写明被巡察单位名称 / name the unit (unit)")
    _filter(cmd, exemptions)
    day, starts = cmd.published_on.isoformat(), subject.round_starts_on.isoformat()
    if cmd.published_on > today:
        raise InvalidCommand(
            f"发布日期 {day} 晚于今天（{today.isoformat()}） / published_on {day} is after today"
        )
    if cmd.published_on < subject.round_starts_on:
        raise InvalidCommand(
            f"发布日期 {day} 早于轮次开始日期（{starts}） / published_on {day} is before the "
            f"round starts ({starts})"
        )
    if state.exists:
        assert state.published_on is not None
        raise RuleViolation(
            f"该单位的{STAGE_ZH[cmd.stage]}情况已于 {state.published_on.isoformat()} "
            f"{SCOPE_ZH[cmd.scope]} / already published on {state.published_on.isoformat()}"
        )
    return [
        ResultsPublished(
            publication_id=publication_id_for(cmd.round_id, cmd.unit_id, cmd.stage, cmd.scope),
            jurisdiction=subject.jurisdiction,
            round_id=cmd.round_id,
            unit_id=cmd.unit_id,
            unit=unit,
            stage=cmd.stage,
            scope=cmd.scope,
            title=cmd.title,
            text=cmd.text,
            published_on=cmd.published_on,
            exemptions=list(cmd.exemptions),
            withheld_note=cmd.withheld_note,
        )
    ]


def committee_of(jurisdiction: str) -> str:
    """市委 of the city, 区委 of a district (临川区), 县委 of a county."""
    if jurisdictions.is_city(jurisdiction):
        return "市委"
    return "区委" if jurisdictions.name_of(jurisdiction).endswith("区") else "县委"


def draft(
    stage: PublicationStage,
    round_name: str,
    unit: str,
    jurisdiction: str,
    issues: int,
    done: int,
    scope: PublicationScope = PublicationScope.PUBLIC,
    *,
    revisit: bool = False,
    closed_out: int | None = None,
) -> tuple[str, str]:
    """The title and text an office starts a publication from (it edits them before it
    publishes): the usual wording of a 进驻公告, a 反馈情况通报 and a 整改进展情况通报, with the
    unit's figures; a blank line where only the office knows what to write. A unit the round
    revisits (``revisit``) is told of a 巡察“回头看”, which checks the last inspection's
    rectification (R18). Of the issues ``done`` (verified), 整改完成率 counts those closed out
    (``closed_out``; all of them when not given), as the board and 总览 count it; the others
    are named as verified and awaiting their close-out."""
    committee = committee_of(jurisdiction)
    if stage is PublicationStage.STATIONING and revisit:
        return (
            f"{round_name}“回头看”进驻{unit}公告",
            f"根据{committee}巡察工作统一部署，{committee}巡察组进驻{unit}开展巡察“回头看”（{round_name}），"
            f"重点检查上一轮巡察反馈问题整改落实、群众反映强烈问题和移交问题线索办理情况。巡察期间，"
            f"巡察组受理反映{unit}领导班子及其成员、下一级党组织领导班子主要负责人和重要岗位"
            "领导干部问题的来信来电来访，重点受理违反政治纪律、组织纪律、廉洁纪律、群众纪律、"
            "工作纪律和生活纪律等方面的反映以及整改不力、虚假整改等问题的反映。\n值班电话：____；邮政信箱：____。",
        )
    if stage is PublicationStage.STATIONING:
        return (
            f"{round_name}进驻{unit}公告",
            f"根据{committee}巡察工作统一部署，{committee}巡察组进驻{unit}开展{round_name}。巡察期间，"
            f"巡察组受理反映{unit}领导班子及其成员、下一级党组织领导班子主要负责人和重要岗位"
            "领导干部问题的来信来电来访，重点受理违反政治纪律、组织纪律、廉洁纪律、群众纪律、"
            "工作纪律和生活纪律等方面的反映。\n值班电话：____；邮政信箱：____。",
        )
    if stage is PublicationStage.FEEDBACK:
        return (
            f"{round_name}向{unit}反馈情况",
            f"{committee}巡察组向{unit}党组织反馈{round_name}情况，共反馈问题{issues}个。{unit}党组织"
            "要切实履行整改主体责任，对反馈问题逐项制定整改措施，在两个月内报送整改情况报告。",
        )
    closed = done if closed_out is None else min(closed_out, done)
    rate = percent_of(closed, issues) if issues else "—"
    ask = (
        "欢迎社会各界监督，对整改落实情况的意见建议请反映至：____。"
        if scope is PublicationScope.PUBLIC
        else "请各党支部和广大党员继续监督整改落实。"
    )
    verified = f"另有{done - closed}个已核实整改到位、待对账销号；" if done > closed else ""
    rest = (
        f"其余{issues - done}个问题正在持续推进整改。"
        if issues > done
        else "反馈问题已全部整改完成。"
        if closed >= issues
        else ""
    )
    return (
        f"{unit}关于{round_name}整改进展情况的通报",
        f"按照{committee}巡察工作部署，{unit}对{round_name}反馈的{issues}个问题逐项整改，"
        f"已完成整改{closed}个，整改完成率{rate}；{verified}{rest}{ask}",
    )


def evolve(state: Publication, event: EventPayload, at: datetime | None = None) -> Publication:
    if isinstance(event, ResultsPublished):
        state.publication_id = event.publication_id
        state.jurisdiction = event.jurisdiction
        state.round_id = event.round_id
        state.unit_id = event.unit_id
        state.unit = event.unit
        state.stage = event.stage
        state.scope = event.scope
        state.title = event.title
        state.text = event.text
        state.published_on = event.published_on
        state.exemptions = tuple(event.exemptions)
        state.withheld_note = event.withheld_note
        state.recorded_at = at
    state.version += 1
    return state


def _jurisdiction(state: Publication, event: EventPayload) -> str:
    return event.jurisdiction if isinstance(event, ResultsPublished) else state.jurisdiction


PUBLICATION = AggregateKind(
    stream_type="publication",
    initial=Publication,
    evolve=evolve,
    jurisdiction_of=_jurisdiction,
)
