"""intake.* events (owner: the intake service)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from xuncha_shared.contracts.common import (
    Channel,
    JurisdictionCode,
    LongText,
    NoNul,
    SealedPersonalData,
    ShortText,
)
from xuncha_shared.envelope import EventPayload, JsonDict

#: namespace of the ids intake derives from natural keys: a unit (jurisdiction + name), a term
#: plan (jurisdiction + term), a round (jurisdiction + term + round number), a group (round +
#: group number). Two requests for one natural key meet on one stream id (uniqueness).
INTAKE_ID_NAMESPACE = uuid5(NAMESPACE_URL, "https://xuncha.example/intake/")


def normalize_unit_name(name: str) -> str:
    """A unit name as compared for uniqueness: stripped, inner runs of blanks made one space."""
    return " ".join(name.split())


def unit_id_for(jurisdiction: str, name: str) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"unit/{jurisdiction}/{normalize_unit_name(name)}")


def term_plan_id_for(jurisdiction: str, term_no: int) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"term-plan/{jurisdiction}/{term_no}")


def round_id_for(jurisdiction: str, term_no: int, round_no: int) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"round/{jurisdiction}/{term_no}/{round_no}")


def group_id_for(round_id: UUID, group_no: int) -> UUID:
    return uuid5(INTAKE_ID_NAMESPACE, f"group/{round_id}/{group_no}")


class PetitionReceivedV1(EventPayload):
    """Legacy form (schema 1): the text was called ``content`` and rounds were not linked."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    content: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str


class PetitionReceivedV2(EventPayload):
    """Schema 2: ``round_id`` free text, no group or unit."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 2

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    summary: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str
    round_id: str | None = None


class PetitionReceived(EventPayload):
    """来信来电来访 or a referral recorded by intake (schema 3): received by an inspection
    group (``group_id``; ``round_id`` is then the group's round) about a registered unit
    (``unit_id``; ``unit`` is then its name), or neither."""

    event_type: ClassVar[str] = "intake.PetitionReceived"
    schema_version: ClassVar[int] = 3

    petition_id: UUID
    jurisdiction: JurisdictionCode
    unit: ShortText
    channel: Channel
    summary: LongText
    informant: SealedPersonalData | None = None
    receipt_code_hash: str
    round_id: str | None = None
    group_id: UUID | None = None
    unit_id: UUID | None = None


#: the custodian's stated purpose of an identity read: 4 to 500 characters after stripping
ReadReason = Annotated[
    str, StringConstraints(min_length=4, max_length=500, strip_whitespace=True), NoNul
]


class IdentityReadOutcome(StrEnum):
    DISCLOSED = "disclosed"  # the decrypted identity was given to the reader
    KEY_ERASED = "key_erased"  # the person's key was erased (crypto-shredded): nothing disclosed


class InformantIdentityRead(EventPayload):
    """The informant custodian read (or tried to read) a petition's sealed reporter identity.

    Appended to the petition's stream, and committed, before any plaintext is returned. Who read
    is the envelope's actor, when its ``occurred_at``. Never holds personal data: ``person_id``
    is the sealed identity's random id.
    """

    event_type: ClassVar[str] = "intake.InformantIdentityRead"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    person_id: UUID = Field(description="person_id of the petition's SealedPersonalData")
    reason: ReadReason = Field(description="the purpose the custodian stated for this read")
    outcome: IdentityReadOutcome


class ErasureTrigger(StrEnum):
    CUSTODIAN = "custodian"  # the informant custodian erased it, stating reason and legal basis
    RETENTION = "retention"  # the retention period after the case was disposed ran out


class InformantIdentityErased(EventPayload):
    """A petition's reporter identity was crypto-shredded: the person's data key is destroyed, in
    the transaction that appends this event, so the sealed identity can never be read again
    (reads answer 410 and are still recorded).

    Holds no personal data: ``person_id`` is the sealed identity's random id; the event history
    (and its hash chain) is untouched, only the key is gone."""

    event_type: ClassVar[str] = "intake.InformantIdentityErased"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    person_id: UUID = Field(description="person_id of the petition's SealedPersonalData")
    trigger: ErasureTrigger
    reason: ReadReason = Field(description="why the identity is erased (4 to 500 characters)")
    legal_basis: ReadReason = Field(
        description="the rule that requires or allows it, e.g. 《个人信息保护法》第四十七条"
    )


def upcast_petition_received_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: ``content`` became ``summary``; ``round_id`` is unknown for old petitions."""
    payload["summary"] = payload.pop("content")
    payload.setdefault("round_id", None)
    return payload


def upcast_petition_received_v2(payload: JsonDict) -> JsonDict:
    """v2 -> v3: petitions before groups had no group or unit (``null``)."""
    payload.setdefault("group_id", None)
    payload.setdefault("unit_id", None)
    return payload


class NoticeKind(StrEnum):
    ACCEPTANCE = "acceptance"  # 受理告知 (R8: within 15 working days)
    RESULT = "result"  # 办理结果告知


class NoticeChannel(StrEnum):
    LETTER = "letter"  # 书面
    PHONE = "phone"  # 电话
    IN_PERSON = "in_person"  # 当面


class InformantNotified(EventPayload):
    """告知举报人: a real-name reporter was told of the acceptance or the result of the report.
    Recorded by the informant custodian; holds nothing of the reporter's identity (who was told
    is the petition's sealed informant)."""

    event_type: ClassVar[str] = "intake.InformantNotified"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    notice: NoticeKind
    notice_channel: NoticeChannel
    sent_on: date = Field(description="the day the notice was sent (China Standard Time)")


class AcceptanceNoticeOverdue(EventPayload):
    """受理告知逾期: a real-name reporter was not told of acceptance within 15 working days
    (R8)."""

    event_type: ClassVar[str] = "intake.AcceptanceNoticeOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    petition_id: UUID


class ClueDisposalLearned(EventPayload):
    """线索办结: intake learned (from ``clues.ClueDisposed``) that the clue of this petition was
    disposed of; for a real-name reporter the result notice is due within 15 working days of
    ``disposed_on`` (R8)."""

    event_type: ClassVar[str] = "intake.ClueDisposalLearned"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    clue_id: UUID
    disposition: ShortText
    disposed_on: date = Field(description="the day (China Standard Time) the clue was closed")


class ResultNoticeOverdue(EventPayload):
    """结果告知逾期: a real-name reporter was not told of the result within 15 working days of
    the clue's disposal (R8)."""

    event_type: ClassVar[str] = "intake.ResultNoticeOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    petition_id: UUID


class ForwardingOverdue(EventPayload):
    """转送逾期: a report for a higher body was not forwarded within 5 working days (R7)."""

    event_type: ClassVar[str] = "intake.ForwardingOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last day (China Standard Time) of the deadline")
    petition_id: UUID


class DeadlineRecomputedV1(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known."""

    event_type: ClassVar[str] = "intake.DeadlineRecomputed"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    deadline_kind: ShortText
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText


class DeadlineRecomputed(EventPayload):
    """期限重算: a provisional due date (counted on weekends only, the year's holiday schedule
    unknown) replaced by the final one once the schedule is known (schema 2: with the
    deadline's key, which differs from the stream id for a group's stationing, R14)."""

    event_type: ClassVar[str] = "intake.DeadlineRecomputed"
    schema_version: ClassVar[int] = 2

    deadline_id: UUID
    deadline_kind: ShortText
    deadline_key: ShortText | None = Field(
        default=None, description="the deadline's key; None: the stream id (schema 1)"
    )
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    previous_due_date: date
    due_date: date
    calendar_version: ShortText


def upcast_deadline_recomputed_v1(payload: JsonDict) -> JsonDict:
    """v1 -> v2: a v1 deadline was keyed by its stream id (``deadline_key`` None)."""
    payload.setdefault("deadline_key", None)
    return payload


class WalkInHandled(EventPayload):
    """来访当日接待处理 (R13): a walk-in petition was taken up by a leader. ``handled_by`` is
    the leader's post (组长, 巡察办主任), never a name; who recorded it is the envelope's
    actor, when its ``occurred_at``."""

    event_type: ClassVar[str] = "intake.WalkInHandled"
    schema_version: ClassVar[int] = 1

    petition_id: UUID
    handled_by: ShortText = Field(description="the receiving leader's post, e.g. 巡察组组长")
    summary: LongText | None = None


class WalkInOverdue(EventPayload):
    """来访未当日处理 (R13): a walk-in petition was not taken up by the end of its day."""

    event_type: ClassVar[str] = "intake.WalkInOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the day of the visit (China Standard Time)")
    petition_id: UUID


# --- step 1 of the lifecycle: inspected units, term plans, linkage plans, rounds --------------

#: a term (届) or round (轮) number
Ordinal = Annotated[int, Field(ge=1, le=99)]


class UnitKind(StrEnum):
    """被巡察单位的类别."""

    CITY_DEPARTMENT = "city_department"  # 市直单位
    CITY_STATE_OWNED_ENTERPRISE = "city_state_owned_enterprise"  # 市属国有企业
    COUNTY_DEPARTMENT = "county_department"  # 县直单位
    TOWNSHIP = "township"  # 乡镇
    VILLAGE_OR_COMMUNITY = "village_or_community"  # 村(社区)
    OTHER = "other"  # 其他


class RoundKind(StrEnum):
    """轮次类型 (000:L26, 000:L52)."""

    REGULAR = "regular"  # 常规巡察
    THEMATIC = "thematic"  # 专项巡察
    MOBILE = "mobile"  # 机动式巡察
    TARGETED = "targeted"  # 点穴式巡察
    RETURN_VISIT = "return_visit"  # 回访式巡察
    CROSS_REGIONAL = "cross_regional"  # 异地交流巡察 / 交叉巡察 (双授权)


class InspectionMode(StrEnum):
    """How a unit is inspected in a round."""

    REGULAR = "regular"  # 常规
    LINKED = "linked"  # 上下联动
    REVISIT = "revisit"  # 回头看


class UnitRegistered(EventPayload):
    """被巡察单位登记: a party organisation that may be inspected; its name is unique in its
    jurisdiction (the unit id is derived from jurisdiction and name)."""

    event_type: ClassVar[str] = "intake.UnitRegistered"
    schema_version: ClassVar[int] = 1

    unit_id: UUID
    jurisdiction: JurisdictionCode
    name: ShortText
    kind: UnitKind


class TermPlanAdopted(EventPayload):
    """巡察工作五年规划: the units a jurisdiction plans to inspect in a term (the denominator
    of 全覆盖). One per jurisdiction and term."""

    event_type: ClassVar[str] = "intake.TermPlanAdopted"
    schema_version: ClassVar[int] = 1

    term_plan_id: UUID
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    starts_on: date
    ends_on: date
    unit_ids: list[UUID]


class LinkagePlanIssued(EventPayload):
    """联动工作方案: the city's follows a provincial round (``trigger``), each county's is issued
    under the city's (``parent_plan_id``)."""

    event_type: ClassVar[str] = "intake.LinkagePlanIssued"
    schema_version: ClassVar[int] = 1

    linkage_plan_id: UUID
    jurisdiction: JurisdictionCode
    title: ShortText
    issued_on: date
    trigger: ShortText
    parent_plan_id: UUID | None = None


class CounterpartReportProvided(EventPayload):
    """上下联动: under its linkage plan a county provides the inspection report of a unit it
    inspected itself (``unit_id``) that matches a unit the city inspects in linkage
    (``counterpart_unit_id``), so that the upper level can 以下看上."""

    event_type: ClassVar[str] = "intake.CounterpartReportProvided"
    schema_version: ClassVar[int] = 1

    linkage_plan_id: UUID
    jurisdiction: JurisdictionCode
    unit_id: UUID
    counterpart_unit_id: UUID
    provided_on: date


class RoundPlanned(EventPayload):
    """轮次部署: a round of a term (round numbers are unique in a jurisdiction's term; the round
    id is derived from jurisdiction, term and round number)."""

    event_type: ClassVar[str] = "intake.RoundPlanned"
    schema_version: ClassVar[int] = 1

    round_id: UUID
    jurisdiction: JurisdictionCode
    term_no: Ordinal
    round_no: Ordinal
    kind: RoundKind
    starts_on: date
    ends_on: date
    linkage_plan_id: UUID | None = None


class RoundUnit(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    unit_id: UUID
    mode: InspectionMode


class RoundUnitsAssigned(EventPayload):
    """被巡察单位确定: units assigned to a round, each with its mode."""

    event_type: ClassVar[str] = "intake.RoundUnitsAssigned"
    schema_version: ClassVar[int] = 1

    round_id: UUID
    units: list[RoundUnit] = Field(min_length=1)


class RoundAuthorised(EventPayload):
    """授权: a leading group authorised the round (a cross-regional round needs the city's and
    the host county's: 双授权)."""

    event_type: ClassVar[str] = "intake.RoundAuthorised"
    schema_version: ClassVar[int] = 1

    round_id: UUID
    authorising_jurisdiction: JurisdictionCode


class RoundClosed(EventPayload):
    """轮次结束."""

    event_type: ClassVar[str] = "intake.RoundClosed"
    schema_version: ClassVar[int] = 1

    round_id: UUID


# --- step 2 and 3: the talent pool, groups with recusal checks, stationing ---------------------


class TalentSource(StrEnum):
    """Where a pool member is seconded from (000:L39)."""

    DISCIPLINE_COMMISSION = "discipline_commission"  # 纪委监委
    ORGANISATION = "organisation"  # 组织部
    INSPECTION_OFFICE = "inspection_office"  # 巡察办
    OTHER = "other"  # 其他单位


class Speciality(StrEnum):
    """A pool member's skills; a group mixes them (000:L25)."""

    DISCIPLINE = "discipline"  # 纪检监察
    PERSONNEL = "personnel"  # 组织人事
    LAW = "law"  # 法律
    FINANCE_AUDIT = "finance_audit"  # 财务审计
    ENGINEERING = "engineering"  # 工程建设
    AGRICULTURE = "agriculture"  # 农业农村
    OTHER = "other"


class Grade(StrEnum):
    """巡察干部评价等次 (the values are the Chinese words offices use)."""

    EXCELLENT = "优秀"
    COMPETENT = "称职"
    BASICALLY_COMPETENT = "基本称职"
    INCOMPETENT = "不称职"


class TalentPoolMemberEnrolled(EventPayload):
    """入库: a cadre enters the inspection talent pool (巡察人才库)."""

    event_type: ClassVar[str] = "intake.TalentPoolMemberEnrolled"
    schema_version: ClassVar[int] = 1

    member_id: UUID
    jurisdiction: JurisdictionCode
    name: ShortText
    home_unit_id: UUID
    source: TalentSource
    specialities: list[Speciality] = Field(min_length=1)
    rank: ShortText = Field(description="职级, e.g. 正科级, 副处级")
    birth_year: int = Field(ge=1940, le=2010)


class TalentPoolMemberRetired(EventPayload):
    """出库: a member leaves the pool (动态更新); no new group may take them."""

    event_type: ClassVar[str] = "intake.TalentPoolMemberRetired"
    schema_version: ClassVar[int] = 1

    member_id: UUID


class RecusalDeclared(EventPayload):
    """回避: a member declared a tie to a unit; no group inspecting it may take them."""

    event_type: ClassVar[str] = "intake.RecusalDeclared"
    schema_version: ClassVar[int] = 1

    member_id: UUID
    unit_id: UUID
    reason: LongText


class GroupFormed(EventPayload):
    """巡察组组建: a round's group, its leader (组长) and members from the pool and the units it
    inspects; the recusal checks passed. ``starts_on``/``ends_on`` are the round's dates."""

    event_type: ClassVar[str] = "intake.GroupFormed"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    round_id: UUID
    jurisdiction: JurisdictionCode
    group_no: Ordinal
    leader_id: UUID
    member_ids: list[UUID] = Field(min_length=1)
    unit_ids: list[UUID] = Field(min_length=1)
    starts_on: date
    ends_on: date


class InspectorEvaluated(EventPayload):
    """巡察干部评价: the office rates a member of the group after the round."""

    event_type: ClassVar[str] = "intake.InspectorEvaluated"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    member_id: UUID
    grade: Grade
    remarks: LongText | None = None


class GroupStationed(EventPayload):
    """进驻: the group is stationed at a unit. Without a given end the stationing lasts the
    working days of rule R14 (``rule_id``/``rule_version``; ``provisional`` when counted through
    a year whose holiday schedule is not known yet)."""

    event_type: ClassVar[str] = "intake.GroupStationed"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    unit_id: UUID
    starts_on: date
    ends_on: date
    rule_id: ShortText | None = None
    rule_version: int | None = Field(default=None, ge=1, le=1_000_000)
    provisional: bool = False


class StationingEnded(EventPayload):
    """进驻结束: the unit counts as inspected (全覆盖)."""

    event_type: ClassVar[str] = "intake.StationingEnded"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    ended_on: date


class StationingOverdue(EventPayload):
    """进驻超期 (R14): a stationing has not ended by the last of its working days."""

    event_type: ClassVar[str] = "intake.StationingOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date = Field(description="the last working day of the stationing by R14")
    group_id: UUID
    stationing_id: UUID


class DispatchHeld(EventPayload):
    """一周一调度 (R15): the office dispatched (调度) a stationed group's work. ``seq`` counts
    the dispatches of this stationing from 1."""

    event_type: ClassVar[str] = "intake.DispatchHeld"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    seq: int = Field(ge=1, le=10_000)
    held_on: date
    summary: LongText | None = None


class ProgressReported(EventPayload):
    """两周一报告 (R15): the group reported its progress to the county office. ``seq`` counts
    the reports of this stationing from 1."""

    event_type: ClassVar[str] = "intake.ProgressReported"
    schema_version: ClassVar[int] = 1

    group_id: UUID
    stationing_id: UUID
    seq: int = Field(ge=1, le=10_000)
    reported_on: date
    summary: LongText | None = None


class CadenceOverdue(EventPayload):
    """调度/报告逾期 (R15): a stationing went a week without a dispatch (``cadence`` dispatch)
    or two weeks without a progress report (``cadence`` report). ``seq`` is the number of the
    missing one."""

    event_type: ClassVar[str] = "intake.CadenceOverdue"
    schema_version: ClassVar[int] = 1

    deadline_id: UUID
    rule_id: ShortText
    rule_version: int = Field(ge=1, le=1_000_000)
    due_date: date
    group_id: UUID
    stationing_id: UUID
    cadence: Annotated[str, StringConstraints(pattern=r"^(dispatch|report)$")]
    seq: int = Field(ge=1, le=10_000)


# --- step 4: every intake channel, recorded against a round, group and unit -------------------


class RecordKind(StrEnum):
    """了解渠道 recorded through ``POST /api/v1/intake-records`` (petitions keep their route)."""

    INDIVIDUAL_TALK = "individual_talk"  # 个别谈话 (人次)
    SURVEY = "survey"  # 民主测评 / 民主评议 / 问卷调查 (份)
    SYMPOSIUM = "symposium"  # 座谈会
    SITE_CHECK = "site_check"  # 明察暗访
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
    RecordKind.RECORDS_REVIEW: RecordsReviewed,
    RecordKind.PERSONAL_MATTERS_CHECK: PersonalMattersChecked,
    RecordKind.REFERRAL: ReferralReceived,
}
RECORD_KIND_OF: dict[str, RecordKind] = {
    event.event_type: kind for kind, event in RECORD_EVENTS.items()
}
IntakeRecordEvent = _IntakeRecord


MODELS: tuple[type[EventPayload], ...] = (
    PetitionReceivedV1,
    PetitionReceivedV2,
    PetitionReceived,
    InformantIdentityRead,
    InformantIdentityErased,
    AcceptanceNoticeOverdue,
    ClueDisposalLearned,
    ResultNoticeOverdue,
    InformantNotified,
    ForwardingOverdue,
    DeadlineRecomputedV1,
    DeadlineRecomputed,
    WalkInHandled,
    WalkInOverdue,
    UnitRegistered,
    TermPlanAdopted,
    LinkagePlanIssued,
    CounterpartReportProvided,
    RoundPlanned,
    RoundUnitsAssigned,
    RoundAuthorised,
    RoundClosed,
    TalentPoolMemberEnrolled,
    TalentPoolMemberRetired,
    RecusalDeclared,
    GroupFormed,
    InspectorEvaluated,
    GroupStationed,
    StationingEnded,
    StationingOverdue,
    DispatchHeld,
    ProgressReported,
    CadenceOverdue,
    *RECORD_EVENTS.values(),
)
UPCASTERS = {
    ("intake.PetitionReceived", 1): upcast_petition_received_v1,
    ("intake.DeadlineRecomputed", 1): upcast_deadline_recomputed_v1,
    ("intake.PetitionReceived", 2): upcast_petition_received_v2,
}
