// Labels and shapes of rounds, groups and the talent pool (intake, issue 13), and the recusal
// grounds the member picker shows before a group is submitted.
import type { Option } from "./labels";

const opts = (m: Record<string, string>): Option[] =>
  Object.entries(m).map(([value, label]) => ({ value, label }));

export const UNIT_KINDS: Record<string, string> = {
  city_department: "市直单位",
  city_state_owned_enterprise: "市属国有企业",
  county_department: "县直单位",
  township: "乡镇",
  village_or_community: "村（社区）",
  other: "其他",
  inspection_office: "巡察机构",
};

/** A 巡察办 itself (registered as the home body of pool members) is never an object of its own
 *  level's inspection: the level above oversees it (R28); the planning forms leave it out. */
export const inspectable = (u: Pick<Unit, "kind">) => u.kind !== "inspection_office";

export const ROUND_KINDS: Record<string, string> = {
  regular: "常规巡察",
  thematic: "专项巡察",
  mobile: "机动式巡察",
  targeted: "点穴式巡察",
  return_visit: "回访式巡察",
  cross_regional: "异地交流巡察",
};

export const MODES: Record<string, string> = { regular: "常规", linked: "联动", revisit: "回头看" };

export const SOURCES: Record<string, string> = {
  discipline_commission: "纪委监委",
  organisation: "组织部",
  inspection_office: "巡察办",
  other: "其他单位",
};

/** 职级 a pool member is entered with: the leadership levels (职务层次) and the civil service
 *  ranks (职级序列) of a city and its counties; another may be typed. */
export const RANKS: readonly string[] = [
  "正处级", "副处级", "正科级", "副科级",
  "一级调研员", "二级调研员", "三级调研员", "四级调研员",
  "一级主任科员", "二级主任科员", "三级主任科员", "四级主任科员",
  "一级科员", "二级科员", "科员",
];

export const SPECIALITIES: Record<string, string> = {
  discipline: "纪检监察",
  personnel: "组织人事",
  law: "法律",
  finance_audit: "财务审计",
  engineering: "工程建设",
  agriculture: "农业农村",
  other: "其他",
};

export const GRADES = ["优秀", "称职", "基本称职", "不称职"];

export const RECORD_KINDS: Record<string, string> = {
  individual_talk: "个别谈话",
  survey: "民主测评/民主评议/问卷调查",
  symposium: "座谈会",
  site_check: "明察暗访",
  field_visit: "走访调研",
  records_review: "调阅资料",
  personal_matters_check: "个人有关事项抽查",
  referral: "移交材料",
};

export const INTERVIEWEES: Record<string, string> = {
  leadership: "领导班子成员",
  middle_manager: "中层干部",
  staff: "一般干部职工",
  retired_cadre: "离退休老干部",
  reporter: "实名举报人",
  petitioner: "信访人",
  service_user: "服务对象、群众",
  deputy: "党代表、人大代表、政协委员",
  other: "其他",
};

export const SURVEYS: Record<string, string> = {
  democratic_assessment: "民主测评",
  democratic_appraisal: "民主评议",
  questionnaire: "问卷调查",
};

export const REFERRAL_SOURCES: Record<string, string> = {
  discipline_commission: "纪检监察机关",
  organisation: "组织部门",
  staffing: "编制部门",
  petitions: "信访部门",
  audit: "审计部门",
  public_security: "公安机关",
  procuratorate: "检察机关",
};

export const RECUSAL_GROUNDS: Record<string, string> = {
  home_unit: "被巡察单位是其工作单位",
  declared_recusal: "本人已申报对该单位回避",
  overlapping_group: "同期已在其他巡察组",
  home_county: "异地交流巡察，被巡察单位位于其所在县（市、区）",
  retired: "已退出巡察人才库",
};

export const unitKindOptions = opts(UNIT_KINDS);
/** the kinds of unit an area has: a county's units are never 市直 nor 市属国企 */
const CITY_ONLY_KINDS = new Set(["city_department", "city_state_owned_enterprise"]);
export const unitKindOptionsFor = (jurisdiction: string) =>
  jurisdiction.endsWith("00") ? unitKindOptions : unitKindOptions.filter((k) => !CITY_ONLY_KINDS.has(k.value));
export const roundKindOptions = opts(ROUND_KINDS);
export const modeOptions = opts(MODES);
export const sourceOptions = opts(SOURCES);
export const specialityOptions = opts(SPECIALITIES);
export const recordKindOptions = opts(RECORD_KINDS);
export const intervieweeOptions = opts(INTERVIEWEES);
export const surveyOptions = opts(SURVEYS);
export const referralOptions = opts(REFERRAL_SOURCES);

export interface Unit {
  id: string;
  jurisdiction: string;
  name: string;
  kind: string;
}

export interface PoolMember {
  id: string;
  jurisdiction: string;
  name: string;
  home_unit_id: string;
  source: string;
  specialities: string[];
  rank: string;
  birth_year: number;
  retired: boolean;
  recusal_unit_ids: string[];
  /** the groups the member sits in whose round is not closed (GET /talent-pool/members only) */
  open_seats?: Seat[] | null;
  /** 后备干部库 (004:L8): in it since, by which group's evaluation (优秀); the last removal */
  reserve?: {
    in_reserve: boolean; since: string | null; group_id: string | null; note: string | null;
    removed_on: string | null; removal_reason: string | null;
    /** the groups whose evaluation put them in it (each once) */
    groups?: string[];
  };
}

export interface Round {
  id: string;
  jurisdiction: string;
  term_no: number;
  round_no: number;
  kind: string;
  starts_on: string;
  ends_on: string;
  linkage_plan_id: string | null;
  units: { unit_id: string; mode: string }[];
  required_authorisations?: string[];
  authorisations?: string[];
  fully_authorised?: boolean;
  closed: boolean;
}

export interface Stationing {
  id: string;
  group_id: string;
  unit_id: string;
  starts_on: string;
  ends_on: string;
  ended_on: string | null;
  /** ends_on counted through a year whose holidays are not published yet (weekends only) */
  provisional?: boolean;
}

export interface Group {
  id: string;
  round_id: string;
  jurisdiction: string;
  group_no: number;
  leader_id: string;
  member_ids: string[];
  unit_ids: string[];
  starts_on: string;
  ends_on: string;
  evaluations: Record<string, string>;
  /** each evaluation's remarks, or its last correction's reason */
  evaluation_notes?: Record<string, string>;
  /** how many times a member's grade was corrected (更正评价) */
  corrections?: Record<string, number>;
  stationings: Stationing[];
  /** the round's name (临川区第4届第1轮巡察), as GET /groups/{id} answers it */
  round_name?: string | null;
}

/** A round as rectification's pages name it: the name rectification learnt from intake
 *  (临川区第4届第5轮巡察), else — before it learnt it — the start of the round's id. */
export function roundLabel(roundId: string, roundName?: string | null): string {
  return roundName || `轮次 ${roundId.slice(0, 8)}…`;
}

/** The grounds the office can see before submitting: retired, home unit, declared recusal,
 *  home county in a cross-regional round (the service also checks overlapping groups). */
export function recusalHints(
  member: PoolMember,
  unitIds: string[],
  units: Map<string, Unit>,
  crossRegional: boolean,
): string[] {
  const out: string[] = [];
  if (member.retired) out.push(RECUSAL_GROUNDS.retired);
  for (const id of unitIds) {
    const name = units.get(id)?.name ?? id;
    if (member.home_unit_id === id) out.push(`${RECUSAL_GROUNDS.home_unit}（${name}）`);
    if (member.recusal_unit_ids.includes(id)) out.push(`${RECUSAL_GROUNDS.declared_recusal}（${name}）`);
  }
  if (crossRegional) {
    const home = units.get(member.home_unit_id)?.jurisdiction ?? member.jurisdiction;
    for (const id of unitIds) {
      const unit = units.get(id);
      if (unit && unit.jurisdiction !== "361000" && unit.jurisdiction === home) {
        out.push(`${RECUSAL_GROUNDS.home_county}（${unit.name}）`);
      }
    }
  }
  return out;
}

/** A member's seat in a group of a round not yet closed. */
export interface Seat {
  group_id: string;
  group_no: number;
  round_id: string;
  round_name: string;
  starts_on: string;
  ends_on: string;
}

/** What a member's seats say to a new group of ``round``: a seat whose dates overlap it (the
 *  service refuses it: 同期已在其他巡察组), and a seat in a group past its dates whose round the
 *  office has not closed (allowed, but the member has not been released yet). */
export function seatHints(
  member: PoolMember,
  round: { id: string; starts_on: string; ends_on: string },
  today: string,
): string[] {
  const out: string[] = [];
  for (const seat of member.open_seats ?? []) {
    const where = `${seat.round_name}第${seat.group_no}巡察组，${seat.starts_on}至${seat.ends_on}`;
    if (seat.starts_on <= round.ends_on && seat.ends_on >= round.starts_on) {
      out.push(`${RECUSAL_GROUNDS.overlapping_group}（${where}）`);
    } else if (seat.ends_on < today && seat.round_id !== round.id) {
      out.push(`仍在${where}：该组已到期，所在轮次尚未结束`);
    }
  }
  return out;
}

/** The rounds of ``jurisdiction`` whose dates meet ``starts_on``–``ends_on`` (two rounds at
 *  once are allowed — a 专项 beside a 常规 — but are more often a date typed wrong: said before
 *  the round is deployed). */
export function overlappingRounds(
  rounds: Pick<Round, "jurisdiction" | "term_no" | "round_no" | "starts_on" | "ends_on">[],
  jurisdiction: string,
  starts_on: string,
  ends_on: string,
): string[] {
  if (!starts_on || !ends_on || ends_on < starts_on) return [];
  return rounds
    .filter((r) => r.jurisdiction === jurisdiction && r.starts_on <= ends_on && r.ends_on >= starts_on)
    .map((r) => `第${r.term_no}届第${r.round_no}轮（${r.starts_on}至${r.ends_on}）`);
}

/** A round's state as its table shows it: closed (已结束, `intake.RoundClosed`), past its end
 *  date and not closed yet (已到期未结束: the office has still to close it), or running. */
export function roundState(
  round: { closed: boolean; ends_on: string; starts_on?: string },
  today: string,
): { label: string; tag: "info" | "warning" | "success" } {
  if (round.closed) return { label: "已结束", tag: "info" };
  if (round.ends_on < today) return { label: "已到期未结束", tag: "warning" };
  if (round.starts_on && round.starts_on > today) return { label: "未开始", tag: "info" };
  return { label: "进行中", tag: "success" };
}
