// Chinese labels of the contracts' enums (xuncha_shared.contracts) and the deployment's
// jurisdictions (xuncha_shared.jurisdictions: 抚州市 and its 11 county-level divisions).

export interface Option {
  value: string;
  label: string;
}

const opts = (m: Record<string, string>): Option[] =>
  Object.entries(m).map(([value, label]) => ({ value, label }));

export const CHANNELS: Record<string, string> = {
  letter: "来信",
  call: "来电",
  visit: "来访",
  online: "网络举报",
  referral: "移交",
};

export const CLUE_STATUS: Record<string, string> = {
  registered: "已登记",
  classified: "已分类",
  verifying: "核查中",
  escalated: "已报市委巡察办",
  transferred: "已移交",
  acknowledged: "已签收",
  result_reported: "已反馈结果",
  disposed: "已办结",
  kept: "参考类留存",
  archived: "已存档",
};

// The colour of a clue's status tag, the same on every page. Red is the theme's own colour
// (--el-color-primary) and, in a tag, a warning's: a clue in hand is never shown red.
export type TagType = "success" | "warning" | "info";
export function clueStatusTag(status: string): TagType {
  if (["result_reported", "disposed", "archived"].includes(status)) return "success";
  // out of the office's hands: with the city office (R12) or a receiving department (R3)
  if (["escalated", "transferred", "acknowledged"].includes(status)) return "warning";
  return "info"; // registered, classified, verifying, kept
}

export const DISPOSITIONS: Record<string, string> = {
  talk_or_letter: "谈话函询",
  preliminary_check: "初步核实",
  shelved: "暂存待查",
  closed: "予以了结",
  case_opened: "立案审查调查",
  organisational_handling: "组织处理",
};

export const VERIFY_METHODS: Record<string, string> = {
  quick_check: "速查",
  verification: "核查",
};

export const SOURCE_CHANNELS: Record<string, string> = {
  individual_talk: "个别谈话",
  site_check: "明察暗访",
  field_visit: "走访调研",
  records_review: "调阅资料",
  symposium: "座谈会",
  survey: "民主测评/民主评议/问卷调查",
  personal_matters_check: "个人有关事项抽查",
  referral: "移交材料",
  letter: "来信",
  visit: "来访",
  call: "来电",
  online: "网络举报",
  other: "其他",
};

export const NOTICE_KINDS: Record<string, string> = { acceptance: "受理告知", result: "办理结果告知" };
export const NOTICE_CHANNELS: Record<string, string> = { letter: "书面", phone: "电话", in_person: "当面" };

export const CATEGORIES: Record<string, string> = {
  further_inquiry: "进一步了解关注类",
  inquiry: "了解关注类",
  reference: "参考类",
};

export const CADRE_LEVELS: Record<string, string> = {
  division: "处级干部",
  section: "科级干部",
  staff: "科员及以下",
};

export const DEPARTMENTS: Record<string, string> = {
  discipline_commission: "纪委监委",
  organisation: "组织部",
  petitions: "信访局",
  audit: "审计局",
  finance: "财政局",
};

export const RECT_TYPES: Record<string, string> = {
  immediate: "立行立改",
  time_bound: "限期整改",
  long_term: "长期坚持",
};

export const REPORT_KINDS: Record<string, string> = {
  progress: "整改进展报告",
  formal: "整改情况报告",
  final: "整改完成报告",
};
/** What the 整改完成 switch of a report form says for each kind: a progress report never
 *  declares completion, a final report always does (at 100%), a formal report may. */
export const COMPLETED_HINTS: Record<string, string> = {
  progress: "进展报告不报告整改完成",
  formal: "已全部整改完成的，打开此项（进度须为100%）",
  final: "整改完成报告即报告整改完成",
};
/** What a report of ``kind`` declares of completion, given the form's switch: never for a
 *  progress report, always for a final one, the switch for a formal one. */
export function reportCompleted(kind: string, switchOn: boolean): boolean {
  return kind === "final" || (kind === "formal" && switchOn);
}

export const ROLES: Record<string, string> = {
  city_admin: "市委巡察办",
  county_admin: "县区委巡察办",
  group_member: "巡察组成员",
  department: "接收部门",
  auditor: "审计/监督",
  informant_custodian: "举报人信息保管员",
  inspected_unit: "被巡察单位",
};

// the four services, as the auditors' pages name them (each service's OpenAPI title says what
// it keeps: services/*/src/*/bootstrap.py)
export const SERVICES: Record<string, string> = {
  intake: "巡察组织与信访受理",
  clues: "问题线索",
  rectification: "反馈与整改",
  reporting: "统计与共享",
};

export const CITY = { code: "361000", name: "抚州市" };
export const COUNTIES: Option[] = [
  ["361002", "临川区"],
  ["361003", "东乡区"],
  ["361021", "南城县"],
  ["361022", "黎川县"],
  ["361023", "南丰县"],
  ["361024", "崇仁县"],
  ["361025", "乐安县"],
  ["361026", "宜黄县"],
  ["361027", "金溪县"],
  ["361028", "资溪县"],
  ["361030", "广昌县"],
].map(([value, label]) => ({ value, label }));

/** A unit's name as an example for a form of jurisdiction `code` (a city's units are named
 *  市…, a county's after the county). */
export function unitExample(code: string | null | undefined): string {
  if (!code || code === CITY.code) return "市财政局";
  const county = jurisdictionName(code);
  return county === code ? "某县农业农村局" : `${county}农业农村局`;
}

export function jurisdictionName(code: string | null | undefined): string {
  if (!code) return "";
  if (code === CITY.code) return CITY.name;
  return COUNTIES.find((c) => c.value === code)?.label ?? code;
}

/** The 地区 of a record in a table: the city's own records are 市本级 (as 总览 and the
 *  jurisdiction pickers name them: the city as a whole is its counties too), a county's its
 *  name. */
export function areaName(code: string | null | undefined): string {
  return code === CITY.code ? "市本级" : jurisdictionName(code);
}

/** A row of a per-area breakdown (counties beside the city): the city's own row is 市本级, as
 *  总览 names it; the city as a whole is its total. */
export function areaLabel(row: { jurisdiction: string; name: string }): string {
  return row.jurisdiction === CITY.code ? "市本级" : row.name;
}

/** The jurisdictions a principal may choose in a form: a county office its own county, a
 *  city-wide role the city (市本级) and every county. */
export function jurisdictionsFor(code: string): Option[] {
  if (code === CITY.code) return [{ value: CITY.code, label: "市本级" }, ...COUNTIES];
  return COUNTIES.filter((c) => c.value === code);
}

/** common topics for classification (R2 routes fixed for some, see the route table) */
export const COMMON_TOPICS = [
  "四风",
  "微腐败",
  "违纪",
  "腐败",
  "一岗双责",
  "民主集中制",
  "选人用人",
  "班子建设",
  "惠民资金",
  "财务",
  "资金使用",
  "信访",
];

/** 巡察报告 (clues: inspection reports, hearings, problems) */
export const INSPECTION_REPORT_KINDS: Record<string, string> = {
  unit: "分报告",
  overall: "综合报告",
  thematic: "专项报告",
};
export const MEETINGS: Record<string, string> = {
  secretary_meeting: "书记专题会",
  standing_committee: "常委会",
  leading_group: "巡察工作领导小组会",
};
/** the topics of a problem found (发现问题) */
export const PROBLEM_TOPICS = ["两个责任", "一岗双责", "三重一大", "四风", "微腐败", "民主集中制", "选人用人", "惠民资金"];
export const inspectionReportKindOptions = opts(INSPECTION_REPORT_KINDS);
export const meetingOptions = opts(MEETINGS);

export const channelOptions = opts(CHANNELS);
export const statusOptions = opts(CLUE_STATUS);
export const categoryOptions = opts(CATEGORIES);
export const cadreOptions = opts(CADRE_LEVELS);
export const departmentOptions = opts(DEPARTMENTS);
export const rectTypeOptions = opts(RECT_TYPES);
export const reportKindOptions = opts(REPORT_KINDS);

/** When a clue was registered, as people name it: the day written on a registration made on
 *  paper (补录, R26: ``registered_on``) marked so, else the moment it was recorded (China time);
 *  ``dayOnly`` drops the time of day. */
export function registeredWhen(
  clue: { registered_at: string | null; registered_on?: string | null },
  dayOnly = false,
): string {
  if (clue.registered_on) return `${clue.registered_on}（补录）`;
  const at = formatTime(clue.registered_at);
  return dayOnly ? at.slice(0, 10) : at;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return "—";
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, "0");
  // China time, whatever the browser's zone
  const c = new Date(d.getTime() + 8 * 3600_000);
  return (
    `${c.getUTCFullYear()}-${pad(c.getUTCMonth() + 1)}-${pad(c.getUTCDate())} ` +
    `${pad(c.getUTCHours())}:${pad(c.getUTCMinutes())}`
  );
}

/** A moment to the second, China time (an as-of replay's: two moments a few seconds apart may
 *  differ) */
export function formatMoment(iso: string | null | undefined): string {
  const minutes = formatTime(iso);
  if (!iso || minutes === iso || minutes === "—") return minutes;
  const seconds = String(new Date(iso).getUTCSeconds()).padStart(2, "0");
  return `${minutes}:${seconds}`;
}

export const dispositionOptions = opts(DISPOSITIONS);
export const verifyMethodOptions = opts(VERIFY_METHODS);
export const sourceChannelOptions = opts(SOURCE_CHANNELS);
export const noticeKindOptions = opts(NOTICE_KINDS);
export const noticeChannelOptions = opts(NOTICE_CHANNELS);

/** Today in China Standard Time (YYYY-MM-DD), the services' "today". */
export function todayCst(now: Date = new Date()): string {
  return new Date(now.getTime() + 8 * 3600 * 1000).toISOString().slice(0, 10);
}

// deadlines (期限, docs/clocks.md): the kinds the services run and the states of the view
export const DEADLINE_KINDS: Record<string, string> = {
  "rectification.formal_report": "整改情况报告（2个月）",
  "clues.transfer_result": "移交线索办理反馈（3个月）",
  "clues.escalation": "报送市委巡察办（5个工作日）",
  "rectification.task_due": "整改任务完成时限",
  "rectification.progress_report": "每两周报告整改进展",
  "rectification.supervision_due": "督办时限",
  "rectification.cadre_opinion_reply": "回复干部任用征求意见",
  "intake.acceptance_notice": "实名举报受理告知（15个工作日）",
  "intake.result_notice": "实名举报办理结果告知（15个工作日）",
  "intake.walk_in": "来访当日接待处理",
  "intake.stationing": "进驻期限（约15个工作日）",
  "intake.dispatch": "每周调度",
  "intake.progress_report": "每两周报告进展",
};

export const DEADLINE_STATES: Record<string, string> = {
  running: "正常",
  warning_yellow: "黄色预警",
  warning_red: "红色预警",
  overdue: "已逾期",
  met: "按期办结",
  met_late: "逾期办结",
};

export const RULE_KINDS: Record<string, string> = {
  working_days: "工作日",
  calendar_months: "自然月",
  same_day: "当日",
  cadence: "周期（自然日）",
  thresholds: "预警阈值",
};

/** A jurisdiction's inspection office as it names itself: 市委巡察办 for the city, 临川区委巡察办
 *  for a district, 南城县委巡察办 for a county. */
export function officeName(code: string): string {
  if (code === CITY.code) return "市委巡察办";
  const name = jurisdictionName(code);
  return name.endsWith("区") || name.endsWith("县") ? `${name}委巡察办` : `${name}巡察办`;
}

/** Who must act on a deadline: a jurisdiction's office, a department, or a unit or group. */
export function ownerName(owner: string, caseType: string): string {
  if (/^\d{6}$/.test(owner)) return officeName(owner);
  if (DEPARTMENTS[owner]) return DEPARTMENTS[owner];
  if (caseType === "group" && /^[0-9a-f-]{36}$/.test(owner)) return "巡察组";
  return owner;
}

/** R10's warning colours of a rectification due date, as every rectification page names them. */
export const DUE_COLOURS: Record<string, string> = { green: "正常", yellow: "临期", red: "逾期" };
/** The Element Plus tag type of an R10 colour. */
export function dueColourTag(colour: string): "danger" | "warning" | "success" {
  return colour === "red" ? "danger" : colour === "yellow" ? "warning" : "success";
}

/** A verification's outcome (整改核实), as the rectification service records it. */
export const VERIFICATION_OUTCOMES: Record<string, string> = { accepted: "核实通过", rejected: "核实未通过，退回整改" };

/** 两公开 (R5): what is made known (rectification's ``PublicationStage``), and to whom */
export const PUBLICATION_STAGES: Record<string, string> = { stationing: "巡察进驻", feedback: "巡察反馈", rectification: "整改进展" };
export const PUBLICATION_SCOPES: Record<string, string> = { party_internal: "党内通报", public: "向社会公开" };
// 干部任用征求巡察意见 (R4): why the organisation department asks, what the office concludes
export const OPINION_PURPOSES: Record<string, string> = { promotion: "选拔任用", commendation: "评先评优", annual_review: "年度考核" };
export const OPINION_CONCLUSIONS: Record<string, string> = {
  no_adverse: "未发现影响使用的问题",
  adverse: "发现问题",
  not_inspected: "所在单位尚未巡察",
};
