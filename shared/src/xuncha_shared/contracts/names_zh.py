"""Chinese names of the event types and of the payload fields and values, for people reading a
case's history (``xuncha audit history``). Every registered event type must have a name here
(a unit test checks it)."""

from __future__ import annotations

from xuncha_shared.contracts.common import DEPARTMENT_LABELS_ZH

EVENT_NAMES_ZH: dict[str, str] = {
    "intake.PetitionReceived": "收到信访举报",
    "intake.InformantIdentityRead": "查阅举报人身份",
    "intake.AcceptanceNoticeOverdue": "受理告知逾期",
    "intake.ForwardingOverdue": "转送逾期",
    "intake.DeadlineRecomputed": "期限重算",
    "intake.UnitRegistered": "登记被巡察单位",
    "intake.TermPlanAdopted": "制定届内巡察规划",
    "intake.LinkagePlanIssued": "印发联动工作方案",
    "intake.RoundPlanned": "部署巡察轮次",
    "intake.RoundUnitsAssigned": "确定被巡察单位",
    "intake.RoundAuthorised": "授权巡察",
    "intake.RoundClosed": "结束巡察轮次",
    "intake.TalentPoolMemberEnrolled": "人才库入库",
    "intake.TalentPoolMemberRetired": "人才库出库",
    "intake.RecusalDeclared": "申报回避",
    "intake.GroupFormed": "组建巡察组",
    "intake.InspectorEvaluated": "巡察干部评价",
    "intake.GroupStationed": "巡察组进驻",
    "intake.StationingEnded": "进驻结束",
    "clues.ClueRegistered": "登记问题线索",
    "clues.ClueClassified": "线索分类",
    "clues.ClueEscalated": "上报市委巡察办",
    "clues.ClueTransferred": "移交线索",
    "clues.DeadlineWarningRaised": "办理期限预警",
    "clues.TransferResultOverdue": "办理情况反馈逾期",
    "clues.DeadlineRecomputed": "期限重算",
    "rectification.IssueFedBack": "反馈问题",
    "rectification.RectificationReported": "整改报告",
    "rectification.DeadlineWarningRaised": "整改期限预警",
    "rectification.RectificationOverdue": "整改逾期",
    "rectification.DeadlineRecomputed": "期限重算",
    "reporting.ShareItemAcknowledged": "确认签收",
}

STREAM_TYPES_ZH: dict[str, str] = {
    "petition": "信访举报",
    "unit": "被巡察单位",
    "term_plan": "届内巡察规划",
    "linkage_plan": "联动工作方案",
    "round": "巡察轮次",
    "pool_member": "巡察人才库",
    "group": "巡察组",
    "clue": "问题线索",
    "issue": "反馈问题",
    "share": "成果共享",
}

#: payload fields shown in a story, in this order, with their labels
FIELD_LABELS_ZH: dict[str, str] = {
    "unit": "单位",
    "channel": "渠道",
    "summary": "摘要",
    "content": "内容",
    "description": "问题描述",
    "category": "类别",
    "cadre_level": "干部层级",
    "city_managed": "市管干部",
    "counties": "涉及县区",
    "topics": "问题类型",
    "from_jurisdiction": "原辖区",
    "to_jurisdiction": "上报至",
    "department": "部门",
    "rect_type": "整改类型",
    "due_date": "整改期限",
    "kind": "报告类型",
    "progress_percent": "进度(%)",
    "completed": "已完成",
    "round_id": "巡察轮次",
    "informant": "举报人",
    "person_id": "举报人编号",
    "outcome": "查阅结果",
    "colour": "预警颜色",
    "previous_due_date": "原期限",
    "rule_id": "期限规则",
    "rule_version": "规则版本",
    "name": "名称",
    "term_no": "届次",
    "round_no": "轮次",
    "starts_on": "开始日期",
    "ends_on": "结束日期",
    "unit_ids": "规划单位",
    "title": "标题",
    "issued_on": "印发日期",
    "trigger": "依据",
    "parent_plan_id": "上级联动方案",
    "linkage_plan_id": "联动工作方案",
    "units": "被巡察单位",
    "authorising_jurisdiction": "授权方",
    "home_unit_id": "工作单位",
    "source": "来源",
    "specialities": "专业特长",
    "rank": "职级",
    "birth_year": "出生年份",
    "unit_id": "被巡察单位",
    "group_no": "组别",
    "leader_id": "组长",
    "member_ids": "组员",
    "grade": "评价等次",
    "remarks": "评语",
    "provisional": "暂定日期",
    "ended_on": "结束日期",
}

#: payload fields that say why something happened
REASON_FIELDS: tuple[str, ...] = ("reason", "note")

VALUE_LABELS_ZH: dict[str, dict[str, str]] = {
    "channel": {
        "letter": "来信",
        "call": "来电",
        "visit": "来访",
        "online": "网络举报",
        "referral": "移交",
    },
    "category": {
        "further_inquiry": "进一步了解关注类",
        "inquiry": "了解关注类",
        "reference": "参考类",
    },
    "cadre_level": {"division": "处级干部", "section": "科级干部", "staff": "科员及以下"},
    "rect_type": {"immediate": "立行立改", "time_bound": "限期整改", "long_term": "长期坚持"},
    "kind": {
        "progress": "进度报告",
        "formal": "整改报告",
        "final": "最终报告",
        # inspected units' kinds
        "city_department": "市直单位",
        "city_state_owned_enterprise": "市属国有企业",
        "county_department": "县直单位",
        "township": "乡镇",
        "village_or_community": "村(社区)",
        "other": "其他",
        # rounds' kinds
        "regular": "常规巡察",
        "thematic": "专项巡察",
        "mobile": "机动式巡察",
        "targeted": "点穴式巡察",
        "return_visit": "回访式巡察",
        "cross_regional": "异地交流巡察",
    },
    "department": {d.value: label for d, label in DEPARTMENT_LABELS_ZH.items()},
    "colour": {"yellow": "黄色预警", "red": "红色预警"},
    "mode": {"regular": "常规", "linked": "联动", "revisit": "回头看"},
    "source": {
        "discipline_commission": "纪委监委",
        "organisation": "组织部",
        "inspection_office": "巡察办",
        "other": "其他单位",
    },
    "outcome": {"disclosed": "已披露给查阅人", "key_erased": "密钥已销毁，未能查阅"},
}


def event_name_zh(event_type: str) -> str:
    """The Chinese name of an event type (the type itself when none is known)."""
    return EVENT_NAMES_ZH.get(event_type, event_type)
