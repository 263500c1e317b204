"""干部任用征求巡察意见 (R4): before a cadre is promoted, commended or rated, the organisation
department asks the inspection office what its inspections found of the cadre's unit, and the
office answers in writing (004:L6: 干部提任时都有征求巡察意见，但是没有配套完善的机制)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from xuncha_shared.contracts.common import Department, JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload


class OpinionPurpose(StrEnum):
    """Why the opinion is asked (巡察结果作为选拔任用、评先评优、年度考核的重要依据, 004:L6)."""

    PROMOTION = "promotion"  # 选拔任用
    COMMENDATION = "commendation"  # 评先评优
    ANNUAL_REVIEW = "annual_review"  # 年度考核


class OpinionConclusion(StrEnum):
    """What the office concludes for the cadre."""

    NO_ADVERSE = "no_adverse"  # 未发现影响使用的问题
    ADVERSE = "adverse"  # 发现问题（见意见）
    NOT_INSPECTED = "not_inspected"  # 所在单位尚未巡察，无巡察意见


class CadreOpinionRequested(EventPayload):
    """The organisation department asked the office of ``jurisdiction`` (the unit's) for its
    inspection opinion on one cadre. Stream type ``cadre_opinion``, one stream per request."""

    event_type: ClassVar[str] = "rectification.CadreOpinionRequested"
    schema_version: ClassVar[int] = 1

    request_id: UUID
    jurisdiction: JurisdictionCode = Field(description="the unit's, whose office answers")
    department: Department = Field(description="who asks (组织部)")
    unit_id: UUID | None = Field(default=None, description="the unit as rectification knows it")
    unit: ShortText = Field(description="the cadre's unit (name)")
    cadre_name: ShortText
    cadre_post: ShortText = Field(description="the cadre's present post (现任职务)")
    purpose: OpinionPurpose
    requested_on: date = Field(description="the day (China Standard Time) it was asked")
    reply_by: date | None = Field(default=None, description="the day an answer is asked for")
    note: LongText | None = None


class CadreOpinionGiven(EventPayload):
    """The office answered a request (once). The figures are those of the unit's inspections
    as the office saw them when it answered: the basis an auditor reads beside the text."""

    event_type: ClassVar[str] = "rectification.CadreOpinionGiven"
    schema_version: ClassVar[int] = 1

    request_id: UUID
    jurisdiction: JurisdictionCode
    conclusion: OpinionConclusion
    text: LongText = Field(description="the opinion as sent (巡察意见)")
    given_on: date = Field(description="the day (China Standard Time) it was given")
    issues: int = Field(ge=0, le=1_000_000, description="issues fed back to the unit")
    done: int = Field(ge=0, le=1_000_000, description="of them verified or closed out (整改完成)")
    red_line_warnings: int = Field(
        ge=0, le=1_000_000, description="red-line warnings of the unit (R20)"
    )


class CadreOpinionWithdrawn(EventPayload):
    """The organisation department withdrew a request not answered yet (asked by mistake, or
    the appointment no longer considered); the office answers it no more."""

    event_type: ClassVar[str] = "rectification.CadreOpinionWithdrawn"
    schema_version: ClassVar[int] = 1

    request_id: UUID
    jurisdiction: JurisdictionCode
    withdrawn_on: date = Field(description="the day (China Standard Time)")
    reason: ShortText


class CadreOpinionOverdue(EventPayload):
    """征求意见回复逾期 (R4): a request for an opinion on a cadre not answered by the day the
    organisation department asked (``reply_by``). On the request's stream; its deadline is the
    office's (``office``), and a withdrawn request has none."""

    event_type: ClassVar[str] = "rectification.CadreOpinionOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    request_id: UUID
    office: ShortText = Field(description="the office that answers (临川区委巡察办)")
