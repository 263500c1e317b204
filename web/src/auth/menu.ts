// What each role may do (domain.md section 7, the services' role checks): the menu shows only
// those pages, and the router refuses the others.

export type Role =
  | "city_admin"
  | "county_admin"
  | "group_member"
  | "department"
  | "auditor"
  | "informant_custodian"
  | "inspected_unit";

/** The sections of the menu, in order (an office sees about fifteen pages: grouped by the work). */
export const SECTIONS = {
  watch: "工作总览",
  organise: "巡察组织",
  clues: "线索办理",
  rectify: "反馈整改",
  share: "共享与审计",
} as const;
export type Section = keyof typeof SECTIONS;

export interface MenuItem {
  name: string;
  path: string;
  title: string;
  section: Section;
  roles: readonly Role[];
  /** for a department's token: only these departments (unset: every department of `roles`) */
  departments?: readonly string[];
}

const OFFICES: readonly Role[] = ["city_admin", "county_admin"];
const READERS: readonly Role[] = [...OFFICES, "auditor"]; // the linked view's readers

export const MENU: readonly MenuItem[] = [
  // 工作总览 — the linked view (reporting.domain.access.LINKED_VIEW_ROLES), deadlines (a county
  // its own county), the clue funnel and the office's annual figures
  { name: "overview", path: "/overview", title: "总览", section: "watch", roles: READERS },
  { name: "deadlines", path: "/deadlines", title: "期限预警", section: "watch", roles: READERS },
  { name: "clue-funnel", path: "/clue-funnel", title: "线索办理漏斗", section: "watch", roles: READERS },
  { name: "office-summary", path: "/office-summary", title: "工作总结", section: "watch", roles: READERS },
  // 巡察组织 — rounds, groups and the talent pool (intake): offices write, the auditor reads;
  // a group's talks, surveys, symposia … (a group member's token: its own group)
  { name: "planning", path: "/planning", title: "巡察规划", section: "organise", roles: READERS },
  { name: "rounds", path: "/rounds", title: "巡察轮次", section: "organise", roles: READERS },
  { name: "talent-pool", path: "/talent-pool", title: "巡察人才库", section: "organise", roles: READERS },
  // the city office's checks of its counties' inspection work and its 重点督办 (R29): the city
  // records, a county reads its own, the auditor reads
  { name: "county-oversight", path: "/county-oversight", title: "县区巡察督导", section: "organise", roles: READERS },
  { name: "group-work", path: "/group-work", title: "了解情况", section: "organise", roles: ["group_member", ...OFFICES] },
  // 线索办理 — petitions (intake WRITERS); clues (the auditor reads, a department those
  // transferred to it); problems, reports, hearings; notices to real-name reporters (R8)
  { name: "petitions", path: "/petitions", title: "信访受理", section: "clues", roles: [...OFFICES, "group_member"] },
  { name: "clues", path: "/clues", title: "问题线索", section: "clues", roles: [...OFFICES, "group_member", "auditor", "department"] },
  { name: "findings", path: "/findings", title: "问题与报告", section: "clues", roles: [...OFFICES, "group_member", "auditor"] },
  { name: "notices", path: "/notices", title: "举报人告知", section: "clues", roles: ["informant_custodian"] },
  // 反馈整改 — feedback and rectification; plans to review, verification, close-out,
  // supervision, red lines, the 挂图作战 board; 回头看 (R18), recurrences (R19), common problems;
  // the inspected unit's own plan, reports and evidence
  { name: "rectification", path: "/rectification", title: "反馈与整改", section: "rectify", roles: [...OFFICES, "group_member", "auditor"] },
  { name: "supervision", path: "/supervision", title: "整改督办与销号", section: "rectify", roles: READERS },
  { name: "revisits", path: "/revisits", title: "回头看与共性问题", section: "rectify", roles: READERS },
  { name: "unit-work", path: "/unit-work", title: "本单位整改", section: "rectify", roles: ["inspected_unit"] },
  // 两公开 (R5): the offices publish; groups, the auditor and a unit (its own) read
  { name: "publications", path: "/publications", title: "巡察公开", section: "rectify", roles: [...READERS, "group_member", "inspected_unit"] },
  // 共享与审计 — department feeds (the department; the city office and the auditor read), the
  // audit (auditors only), the deadline rules (GET /api/v1/rules is public)
  { name: "feeds", path: "/feeds", title: "成果共享", section: "share", roles: ["department", "city_admin", "auditor"] },
  // 干部任用征求巡察意见 (R4): the organisation department asks, the offices answer, the auditor reads
  { name: "cadre-opinions", path: "/cadre-opinions", title: "干部任用征求意见", section: "share", roles: [...READERS, "department"], departments: ["organisation"] },
  // 后备干部库 (004:L8): the organisation department follows the inspectors the offices put in
  // (the offices keep it on 巡察人才库); the auditor reads
  { name: "reserve-cadres", path: "/reserve-cadres", title: "后备干部库", section: "share", roles: ["department", "auditor"], departments: ["organisation"] },
  { name: "audit", path: "/audit", title: "审计", section: "share", roles: ["auditor"] },
  { name: "rules", path: "/rules", title: "期限规则", section: "share", roles: [...READERS, "group_member", "department", "inspected_unit"] },
];

/** The menu in sections (only the sections with an item for the role). */
export function sectionsFor(
  role: string | null | undefined,
  department?: string | null,
): { section: Section; title: string; items: MenuItem[] }[] {
  const items = menuFor(role, department);
  return (Object.keys(SECTIONS) as Section[])
    .map((section) => ({ section, title: SECTIONS[section], items: items.filter((m) => m.section === section) }))
    .filter((s) => s.items.length > 0);
}

/** The pages of a role (a department's token: those of its department, `department`). */
export function menuFor(role: string | null | undefined, department?: string | null): MenuItem[] {
  if (!role) return [];
  return MENU.filter(
    (m) =>
      (m.roles as readonly string[]).includes(role) &&
      (role !== "department" || !m.departments || m.departments.includes(department ?? "")),
  );
}

export function mayOpen(role: string | null | undefined, name: string, department?: string | null): boolean {
  return menuFor(role, department).some((m) => m.name === name);
}

/** The first page after sign-in. */
export function homeFor(role: string | null | undefined): string {
  if (role === "department") return "/feeds"; // its feed first, then the clues it received
  if (role === "group_member") return "/petitions"; // receiving petitions: the daily entry while stationed
  return menuFor(role)[0]?.path ?? "/none";
}

/** Which actions a role may take (the pages hide the buttons of the others). */
export const CAN = {
  recordPetition: (r: string) => ["city_admin", "county_admin", "group_member"].includes(r),
  classify: (r: string) => ["city_admin", "county_admin", "group_member"].includes(r),
  escalateOrTransfer: (r: string) => ["city_admin", "county_admin"].includes(r),
  feedBack: (r: string) => ["city_admin", "county_admin", "group_member"].includes(r),
  ledger: (r: string) => ["city_admin", "county_admin", "auditor"].includes(r),
  acknowledge: (r: string) => r === "department",
  registerClue: (r: string) => ["city_admin", "county_admin", "group_member"].includes(r),
  verify: (r: string) => ["city_admin", "county_admin", "group_member"].includes(r),
  reportResult: (r: string) => r === "department",
  dispose: (r: string) => ["city_admin", "county_admin"].includes(r),
  notify: (r: string) => r === "informant_custodian",
  recordFindings: (r: string) => ["city_admin", "county_admin", "group_member"].includes(r),
  hearReport: (r: string) => ["city_admin", "county_admin"].includes(r),
  superviseRectification: (r: string) => ["city_admin", "county_admin"].includes(r),
  /** the city office checks its counties' inspection work and orders their 重点督办 (R29) */
  overseeCounties: (r: string) => r === "city_admin",
  /** 两公开 (R5): the offices make stationing, feedback and rectification known */
  publish: (r: string) => ["city_admin", "county_admin"].includes(r),
  /** 干部任用征求巡察意见 (R4): the organisation department asks, the offices answer */
  askCadreOpinion: (r: string, department?: string | null) => r === "department" && department === "organisation",
  answerCadreOpinion: (r: string) => ["city_admin", "county_admin"].includes(r),
  // 干部层级 for the clue list (clues' GET /api/v1/clues/cadre-levels): not a receiving
  // department's, which reads it on each clue transferred to it
  readCadreLevels: (r: string) => ["city_admin", "county_admin", "group_member", "auditor"].includes(r),
  // intake's GET /api/v1/rounds/{id} (offices, the auditor) and /api/v1/groups/{id} (also a
  // group member, its own group): a receiving department reads neither
  readRounds: (r: string) => ["city_admin", "county_admin", "auditor"].includes(r),
  readGroups: (r: string) => ["city_admin", "county_admin", "group_member", "auditor"].includes(r),
  // a case's audit history (reporting's GET /api/v1/audit/history/{stream}): the auditor's
  audit: (r: string) => r === "auditor",
};
