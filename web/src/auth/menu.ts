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

export interface MenuItem {
  name: string;
  path: string;
  title: string;
  roles: readonly Role[];
}

export const MENU: readonly MenuItem[] = [
  // the linked view: offices and the auditor (reporting.domain.access.LINKED_VIEW_ROLES)
  { name: "overview", path: "/overview", title: "总览", roles: ["city_admin", "county_admin", "auditor"] },
  // petitions: offices and inspection groups write (intake WRITERS)
  { name: "petitions", path: "/petitions", title: "信访受理", roles: ["city_admin", "county_admin", "group_member"] },
  // clues: offices, groups; the auditor reads; a department its own (transferred to it)
  { name: "clues", path: "/clues", title: "问题线索", roles: ["city_admin", "county_admin", "group_member", "auditor", "department"] },
  // the clue funnel: the readers of the linked view
  { name: "clue-funnel", path: "/clue-funnel", title: "线索办理漏斗", roles: ["city_admin", "county_admin", "auditor"] },
  // problems, inspection reports, hearings, consultations (clues): offices and groups; the
  // auditor reads
  { name: "findings", path: "/findings", title: "问题与报告", roles: ["city_admin", "county_admin", "group_member", "auditor"] },
  // the office's annual figures (reporting's office summary): offices and the auditor
  { name: "office-summary", path: "/office-summary", title: "工作总结", roles: ["city_admin", "county_admin", "auditor"] },
  // notices to real-name reporters (R8): the informant custodian
  { name: "notices", path: "/notices", title: "举报人告知", roles: ["informant_custodian"] },
  // feedback and rectification
  { name: "rectification", path: "/rectification", title: "反馈与整改", roles: ["city_admin", "county_admin", "group_member", "auditor"] },
  // rounds, groups and the talent pool (intake, issue 13): offices write, the auditor reads
  { name: "planning", path: "/planning", title: "巡察规划", roles: ["city_admin", "county_admin", "auditor"] },
  { name: "rounds", path: "/rounds", title: "巡察轮次", roles: ["city_admin", "county_admin", "auditor"] },
  { name: "talent-pool", path: "/talent-pool", title: "巡察人才库", roles: ["city_admin", "county_admin", "auditor"] },
  // a group's talks, surveys, symposia … (a group member's token: its own group)
  { name: "group-work", path: "/group-work", title: "了解情况", roles: ["group_member", "city_admin", "county_admin"] },
  // rectification's steps 9–11: plans to review, verification, close-out, supervision, red
  // lines, the 挂图作战 board and the exports (the auditor reads the board)
  { name: "supervision", path: "/supervision", title: "整改督办与销号", roles: ["city_admin", "county_admin", "auditor"] },
  // 回头看 (R18), 改了再犯/屡查屡犯 (R19), common-problem lists with self-check progress
  { name: "revisits", path: "/revisits", title: "回头看与共性问题", roles: ["city_admin", "county_admin", "auditor"] },
  // the inspected unit's own rectification: its plan with three lists, its reports and evidence
  { name: "unit-work", path: "/unit-work", title: "本单位整改", roles: ["inspected_unit"] },
  // deadlines (reporting's deadlines view): offices and the auditor, a county its own county
  { name: "deadlines", path: "/deadlines", title: "期限预警", roles: ["city_admin", "county_admin", "auditor"] },
  // department feeds: the department itself; the city office and the auditor read
  { name: "feeds", path: "/feeds", title: "成果共享", roles: ["department", "city_admin", "auditor"] },
  // auditors only
  { name: "audit", path: "/audit", title: "审计", roles: ["auditor"] },
  // the deadline rules (GET /api/v1/rules is public): everyone who works on cases
  { name: "rules", path: "/rules", title: "期限规则", roles: ["city_admin", "county_admin", "group_member", "department", "auditor", "inspected_unit"] },
];

export function menuFor(role: string | null | undefined): MenuItem[] {
  if (!role) return [];
  return MENU.filter((m) => (m.roles as readonly string[]).includes(role));
}

export function mayOpen(role: string | null | undefined, name: string): boolean {
  return menuFor(role).some((m) => m.name === name);
}

/** The first page after sign-in. */
export function homeFor(role: string | null | undefined): string {
  if (role === "department") return "/feeds"; // its feed first, then the clues it received
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
};
