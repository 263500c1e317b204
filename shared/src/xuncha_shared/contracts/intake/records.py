"""Step 4: every intake channel, recorded against a round, group and unit."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from xuncha_shared.contracts.common import JurisdictionCode, LongText, ShortText
from xuncha_shared.envelope import EventPayload


class RecordKind(StrEnum):
    """了解渠道 recorded through ``POST /api/v1/intake-records`` (petitions keep their route)."""

    INDIVIDUAL_TALK = "individual_talk"  # 个别谈话 (人次)
    SURVEY = "survey"  # 民主测评 / 民主评议 / 问卷调查 (份)
    SYMPOSIUM = "symposium"  # 座谈会
    SITE_CHECK = "site_check"  # 明察暗访
    FIELD_VISIT = "field_visit"  # 走访调研 / 抽查走访 (下沉走访)
    RECORDS_REVIEW = "records_review"  # 调阅资料
    PERSONAL_MATTERS_CHECK = "personal_matters_check"  # 抽查核实个人有关事项报告
    REFERRAL = "referral"  # 移交


class IntervieweeKind(StrEnum):
    """Who was talked to (000:L7, 000:L11)."""

    LEADERSHIP = "leadership"  # 领导班子成员
    MIDDLE_MANAGER = "middle_manager"  # 中层干部
    STAFF = "staff"  # 一般干部职工 (incl. personnel and finance staff)
    RETIRED_CADRE = "retired_cadre"  # 离退休老干部
    REPORTER = "reporter"  # 实名举报人
    PETITIONER = "petitioner"  # 长期上访户
    SERVICE_USER = "service_user"  # 服务对象、群众
    DEPUTY = "deputy"  # 党代表、人大代表、政协委员
    OTHER = "other"


class SurveyKind(StrEnum):
    DEMOCRATIC_ASSESSMENT = "democratic_assessment"  # 民主测评
    DEMOCRATIC_APPRAISAL = "democratic_appraisal"  # 民主评议
    QUESTIONNAIRE = "questionnaire"  # 问卷调查


class ReferralSource(StrEnum):
    """Who hands materials to the group (000:L7, 000:L26, 000:L37)."""

    DISCIPLINE_COMMISSION = "discipline_commission"  # 纪检监察
    ORGANISATION = "organisation"  # 组织人事
    STAFFING = "staffing"  # 编制
    PETITIONS = "petitions"  # 信访
    AUDIT = "audit"  # 审计
    PUBLIC_SECURITY = "public_security"  # 公安局
    PROCURATORATE = "procuratorate"  # 检察院


Count = Annotated[int, Field(ge=0, le=1_000_000)]


class TalkCount(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    interviewee: IntervieweeKind
    persons: Count = Field(description="人次")


class RecordClue(BaseModel):
    """A problem clue a record brings; the clues service registers it (clue id
    ``clue_id_for_record(record_id, index)``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    summary: LongText


class _IntakeRecord(EventPayload):
    """Fields every channel's record shares."""

    record_id: UUID
    jurisdiction: JurisdictionCode
    round_id: UUID
    group_id: UUID
    unit_id: UUID
    unit: ShortText = Field(description="the unit's name (clues know units by name)")
    occurred_on: date
    summary: LongText | None = None
    clues: list[RecordClue] = Field(default_factory=list, max_length=100)


class IndividualTalkRecorded(_IntakeRecord):
    """个别谈话: persons talked to (人次), by kind."""

    event_type: ClassVar[str] = "intake.IndividualTalkRecorded"
    schema_version: ClassVar[int] = 1

    talks: list[TalkCount] = Field(min_length=1)


class SurveyConducted(_IntakeRecord):
    """民主测评 / 民主评议 / 问卷调查: copies given out and returned (份)."""

    event_type: ClassVar[str] = "intake.SurveyConducted"
    schema_version: ClassVar[int] = 1

    survey: SurveyKind
    copies_issued: Count
    copies_returned: Count


class SymposiumHeld(_IntakeRecord):
    """座谈会: meetings and their participants."""

    event_type: ClassVar[str] = "intake.SymposiumHeld"
    schema_version: ClassVar[int] = 1

    meetings: Count
    participants: Count


class SiteCheckConducted(_IntakeRecord):
    """明察暗访: checks on site."""

    event_type: ClassVar[str] = "intake.SiteCheckConducted"
    schema_version: ClassVar[int] = 1

    checks: Count


class FieldVisitRecorded(_IntakeRecord):
    """走访调研 / 抽查走访: places visited (村(社区)、站所、服务窗口 …) and the people heard there
    (群众、服务对象, 人次)."""

    event_type: ClassVar[str] = "intake.FieldVisitRecorded"
    schema_version: ClassVar[int] = 1

    sites: Count = Field(description="走访点位 (places visited)")
    persons_heard: Count = Field(description="走访群众、服务对象 (人次)")


class RecordsReviewed(_IntakeRecord):
    """调阅资料: items reviewed (会议记录, 账目凭证 …)."""

    event_type: ClassVar[str] = "intake.RecordsReviewed"
    schema_version: ClassVar[int] = 1

    items: Count


class PersonalMattersChecked(_IntakeRecord):
    """抽查核实个人有关事项报告: cadres checked, discrepancies found."""

    event_type: ClassVar[str] = "intake.PersonalMattersChecked"
    schema_version: ClassVar[int] = 1

    cadres_checked: Count
    discrepancies: Count


class ReferralReceived(_IntakeRecord):
    """移交: materials handed to the group by ``source`` (items = 件)."""

    event_type: ClassVar[str] = "intake.ReferralReceived"
    schema_version: ClassVar[int] = 1

    source: ReferralSource
    items: Count


#: the event of each record kind
RECORD_EVENTS: dict[RecordKind, type[_IntakeRecord]] = {
    RecordKind.INDIVIDUAL_TALK: IndividualTalkRecorded,
    RecordKind.SURVEY: SurveyConducted,
    RecordKind.SYMPOSIUM: SymposiumHeld,
    RecordKind.SITE_CHECK: SiteCheckConducted,
    RecordKind.FIELD_VISIT: FieldVisitRecorded,
    RecordKind.RECORDS_REVIEW: RecordsReviewed,
    RecordKind.PERSONAL_MATTERS_CHECK: PersonalMattersChecked,
    RecordKind.REFERRAL: ReferralReceived,
}
RECORD_KIND_OF: dict[str, RecordKind] = {
    event.event_type: kind for kind, event in RECORD_EVENTS.items()
}
IntakeRecordEvent = _IntakeRecord
