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
    with pytest.raises(InvalidCommand, match="早于轮次开始"):
        publish(cmd(published_on=date(2026, 9, 6)))


@pytest.mark.parametrize(
    "text",
    ["身份证号36100219800101001X", "36100219800101001x。", "回执码XC-7KQ4-M2PD-9TRA-5HXE-W3NB"],
)
def test_the_public_gets_no_id_number_nor_receipt_code(text: str) -> None:
    with pytest.raises(InvalidCommand, match="不得含有"):
        publish(cmd(text=text))
    assert publish(cmd(text=text, scope=PublicationScope.PARTY_INTERNAL))
    # a phone number of the group is what a stationing notice publishes
    assert publish(cmd(text="值班电话：0794-8221234，13907941234"))


def test_withholding_names_the_deployments_grounds() -> None:
    [event] = publish(cmd(exemptions=("personal_privacy",), withheld_note="个人信息"))
    assert isinstance(event, ResultsPublished) and event.exemptions == ["personal_privacy"]
    with pytest.raises(InvalidCommand, match="清单"):
        publish(cmd(exemptions=("because",)))


def test_the_drafts() -> None:
    title, text = draft(PublicationStage.STATIONING, "临川区第4届第5轮巡察", "某局", "361002", 0, 0)
    assert title == "临川区第4届第5轮巡察进驻某局公告"
    assert "区委巡察组进驻某局开展临川区第4届第5轮巡察" in text and "值班电话" in text
    _, text = draft(PublicationStage.RECTIFICATION, "抚州市第4届第3轮巡察", "某局", "361000", 8, 6)
    assert "市委" in text and "已完成整改6个，整改完成率75.0%" in text and "其余2个" in text
    _, text = draft(PublicationStage.FEEDBACK, "南城县第4届第1轮巡察", "某镇", "361021", 4, 0)
    assert text.startswith("县委巡察组向某镇党组织反馈") and "共反馈问题4个" in text
