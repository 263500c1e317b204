"""rectification, 两公开 (R5, pure model): a stage is published once it happened, once per
scope; the public gets no ID number nor receipt code; withholding names the deployment's
grounds only; the drafts speak the usual wording with the unit's figures."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from xuncha_rectification.domain.publication import (
    DEFAULT_EXEMPTIONS,
    PUBLICATION,
    Publication,
    PublishResults,
    Subject,
    decide_publish,
    draft,
)
from xuncha_shared.contracts.rectification import (
    PublicationScope,
    PublicationStage,
    ResultsPublished,
    publication_id_for,
)
from xuncha_shared.domain.errors import InvalidCommand, NotFoundError, RuleViolation

pytestmark = pytest.mark.unit

TODAY = date(2026, 10, 8)
ROUND, UNIT = uuid.uuid4(), uuid.uuid4()
FED_BACK = Subject("361002", date(2026, 9, 7), True, "临川区某局", issues=3, formally_reported=0)


def cmd(stage: PublicationStage = PublicationStage.FEEDBACK, **kw: object) -> PublishResults:
    base: dict[str, object] = {
        "round_id": ROUND,
        "unit_id": UNIT,
        "stage": stage,
        "scope": PublicationScope.PUBLIC,
        "title": "反馈情况",
        "text": "共反馈问题3个。",
        "published_on": date(2026, 10, 1),
    }
    return PublishResults(**(base | kw))  # type: ignore[arg-type]


def publish(c: PublishResults, subject: Subject | None = FED_BACK) -> list[object]:
    return list(decide_publish(Publication(), c, subject, DEFAULT_EXEMPTIONS, TODAY))


def test_a_stage_is_published_once_per_scope() -> None:
    [event] = publish(cmd())
    assert isinstance(event, ResultsPublished)
    assert event.publication_id == publication_id_for(
        ROUND, UNIT, PublicationStage.FEEDBACK, PublicationScope.PUBLIC
    )
    assert (event.unit, event.jurisdiction) == ("临川区某局", "361002")
    state = PUBLICATION.replay([event])
    with pytest.raises(RuleViolation, match="已于 2026-10-01"):
        decide_publish(state, cmd(), FED_BACK, DEFAULT_EXEMPTIONS, TODAY)
    internal = publication_id_for(
        ROUND, UNIT, PublicationStage.FEEDBACK, PublicationScope.PARTY_INTERNAL
    )
    assert internal != event.publication_id


def test_only_what_happened_and_only_of_the_rounds_units() -> None:
    with pytest.raises(RuleViolation, match="整改情况报告"):
        publish(cmd(PublicationStage.RECTIFICATION))
    stationed = Subject("361002", date(2026, 9, 7), True, None, issues=0, formally_reported=0)
    with pytest.raises(RuleViolation, match="尚未向该单位反馈问题"):
        publish(cmd(), stationed)
    with pytest.raises(InvalidCommand, match="单位名称"):
        publish(cmd(PublicationStage.STATIONING), stationed)
    assert publish(cmd(PublicationStage.STATIONING, unit="新单位"), stationed)
    for unknown in (None, Subject("361002", date(2026, 9, 7), False, None, 0, 0)):
        with pytest.raises(NotFoundError):
            publish(cmd(), unknown)
    with pytest.raises(InvalidCommand, match="晚于今天"):
        publish(cmd(published_on=date(2026, 10, 9)))


@pytest.mark.parametrize(
    "text",
    [
        "身份证号36100219800101001X",
        "36100219800101001x。",
        "361002-19800101-001X",
        "361002 19800101 001X",
        "３６１００２１９８００１０１００１Ｘ",  # full-width
        "旧号码361002800101001",  # the old 15 digits
        "回执码XC-7KQ4-M2PD-9TRA-5HXE-W3NB",
        "xc-7kq4-m2pd-9tra-5hxe-w3nb",
        "XC 7KQ4 M2PD 9TRA 5HXE W3NB",
        "XC7KQ4M2PD9TRA5HXEW3NB",
        "XC－7KQ4－M2PD－9TRA－5HXE－W3NB",  # full-width hyphens
        "7KQ4-M2PD-9TRA-5HXE-W3NB",  # without its prefix
        "XC-7KQ4-M2PD-9TRA",  # a code of the older length
    ],
)
def test_the_public_gets_no_id_number_nor_receipt_code(text: str) -> None:
    with pytest.raises(InvalidCommand, match="不得含有"):
        publish(cmd(text=text))
    assert publish(cmd(text=text, scope=PublicationScope.PARTY_INTERNAL))
    # a phone number of the group is what a stationing notice publishes; a year and an amount
    # are no ID number
    ok = "值班电话：0794-8221234，13907941234；2026年整改资金1200000元；邮箱 A001"
    assert publish(cmd(text=ok))


def test_nothing_is_published_with_a_blank_left() -> None:
    with pytest.raises(InvalidCommand, match="未填写的空白"):
        publish(cmd(text="值班电话：____"))
    with pytest.raises(InvalidCommand, match="未填写的空白"):
        publish(cmd(title="____公告", scope=PublicationScope.PARTY_INTERNAL))
    with pytest.raises(InvalidCommand, match="发布日期 2026-09-06 早于轮次开始日期（2026-09-07）"):
        publish(cmd(published_on=date(2026, 9, 6)))


def test_withholding_names_the_deployments_grounds() -> None:
    [event] = publish(cmd(exemptions=("personal_privacy",), withheld_note="个人信息"))
    assert isinstance(event, ResultsPublished) and event.exemptions == ["personal_privacy"]
    with pytest.raises(InvalidCommand, match="清单"):
        publish(cmd(exemptions=("because",)))


def test_the_drafts() -> None:
    title, text = draft(PublicationStage.STATIONING, "临川区第4届第5轮巡察", "某局", "361002", 0, 0)
    assert title == "临川区第4届第5轮巡察进驻某局公告"
    assert "区委巡察组进驻某局开展临川区第4届第5轮巡察" in text and "值班电话" in text
    # a unit the round revisits: a 巡察“回头看”, which checks the last inspection's rectification
    title, text = draft(
        PublicationStage.STATIONING, "临川区第4届第7轮巡察", "某局", "361002", 0, 0, revisit=True
    )
    assert title == "临川区第4届第7轮巡察“回头看”进驻某局公告"
    assert "开展巡察“回头看”（临川区第4届第7轮巡察）" in text and "整改落实" in text
    assert "值班电话：____" in text
    _, text = draft(PublicationStage.RECTIFICATION, "抚州市第4届第3轮巡察", "某局", "361000", 8, 6)
    assert "市委" in text and "已完成整改6个，整改完成率75.0%" in text and "其余2个" in text
    assert "社会各界" in text
    internal = PublicationScope.PARTY_INTERNAL
    _, text = draft(PublicationStage.RECTIFICATION, "某轮", "某局", "361000", 4, 4, internal)
    assert "已全部整改完成" in text and "社会各界" not in text and "____" not in text
    # 整改完成率 as the board and 总览 count it: closed out (对账销号) over fed back; the
    # verified ones awaiting their close-out named beside it
    _, text = draft(PublicationStage.RECTIFICATION, "某轮", "某局", "361021", 9, 7, closed_out=5)
    assert "已完成整改5个，整改完成率55.6%；另有2个已核实整改到位、待对账销号；其余2个" in text
    _, text = draft(
        PublicationStage.RECTIFICATION, "某轮", "某局", "361021", 4, 4, internal, closed_out=3
    )
    assert "整改完成率75.0%；另有1个已核实整改到位、待对账销号；" in text
    assert "全部整改完成" not in text and "其余" not in text
    _, text = draft(PublicationStage.FEEDBACK, "南城县第4届第1轮巡察", "某镇", "361021", 4, 0)
    assert text.startswith("县委巡察组向某镇党组织反馈") and "共反馈问题4个" in text
