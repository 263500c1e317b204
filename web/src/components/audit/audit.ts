// What the 审计 page makes of the auditors' answers (reporting's /api/v1/audit/…): the integrity
// check's checkpoints, Kafka comparison and problems, and a replay's events and deadlines, in
// the words the page shows. Pure: the panels call these, the tests check them.
import { DEADLINE_STATES, formatTime, SERVICES } from "../../labels";

// ---- 完整性核验 (GET /api/v1/audit/verify) -------------------------------------------------

export interface Head { tx_id: number; global_position: number }

export interface VerifyProblem {
  service: string;
  database: string | null;
  /** chain | position | kafka | checkpoint | export */
  kind: string;
  stream_id: string | null;
  stream_version: number | null;
  event_id: string | null;
  message: string;
}

export interface KafkaCopy {
  topics: string[];
  messages: number;
  events: number;
  matched: number;
  not_yet_published: number;
  duplicates: number;
  newer_than_snapshot: number;
  relay_position: Head;
}

export interface CheckpointsChecked {
  checked: number;
  verified: number;
  failed: number;
  /** newer than the verification's snapshot */
  skipped: number;
  latest: { head: Head; event_count: number; created_at: string; key_id: string } | null;
}

export interface ServiceVerification {
  service: string;
  database: string;
  intact: boolean;
  streams: number;
  events: number;
  max_position: number;
  hole_ranges: number;
  unexplained_holes: { first: number; last: number; why: string }[];
  /** null when Kafka was not read (or for a county-bound auditor) */
  kafka: KafkaCopy | null;
  checkpoints: CheckpointsChecked;
  problem_count: number;
  problems: VerifyProblem[];
  notes: string[];
}

export interface Verification {
  /** a county-bound auditor's county: only its streams' hash chains were checked */
  scope?: string | null;
  intact: boolean;
  kafka_checked: boolean;
  checked_at: string;
  problem_count: number;
  first_broken: { service: string; database: string | null; stream_id: string; stream_version: number | null } | null;
  services: ServiceVerification[];
  problems: VerifyProblem[];
  notes: string[];
}

/** What each kind of evidence a problem comes from is called on the page. */
export const PROBLEM_KINDS: Record<string, string> = {
  chain: "哈希链",
  position: "全局位置",
  kafka: "Kafka 副本",
  checkpoint: "签名检查点",
  export: "导出比对",
};

/** Where a problem is: the stream and its version, else the event, else the database. */
export function problemPlace(p: VerifyProblem): string {
  if (p.stream_id) return p.stream_version != null ? `${p.stream_id} 第 ${p.stream_version} 版` : p.stream_id;
  if (p.event_id) return `事件 ${p.event_id}`;
  return p.database ? `数据库 ${p.database}` : "—";
}

/** Every problem of the answer, each service's and those of none, in the order reported. */
export function allProblems(v: Verification): VerifyProblem[] {
  return [...v.services.flatMap((s) => s.problems), ...v.problems];
}

/** The first stream found broken, as a sentence. */
export function firstBrokenText(v: Verification): string | null {
  const b = v.first_broken;
  if (!b) return null;
  const service = SERVICES[b.service] ?? b.service;
  const version = b.stream_version != null ? ` 第 ${b.stream_version} 版` : "";
  return `首个损坏之处：${service}的事件流 ${b.stream_id}${version}`;
}

/** The signed checkpoints of a service: how many verified, and what the latest covers. */
export function checkpointLines(s: ServiceVerification): string[] {
  const c = s.checkpoints;
  if (c.checked === 0) return ["尚无签名检查点"];
  const counted = `${c.verified}/${c.checked} 个通过签名核验`;
  const lines = [
    [counted, c.failed ? `${c.failed} 个未通过` : "", c.skipped ? `${c.skipped} 个晚于本次核验、未核验` : ""].filter(Boolean).join("，"),
  ];
  if (c.latest) {
    lines.push(`最近一个覆盖 ${c.latest.event_count} / ${s.events} 个事件，签于 ${formatTime(c.latest.created_at)}，密钥 ${c.latest.key_id}`);
  }
  return lines;
}

/** The events stored after the latest checkpoint: protected by the hash chain only until the
 *  next checkpoint signs them (0 when none, or no checkpoint yet: said by checkpointLines). */
export function eventsAfterCheckpoint(s: ServiceVerification): number {
  const latest = s.checkpoints.latest;
  return latest ? Math.max(0, s.events - latest.event_count) : 0;
}

/** The sentence for eventsAfterCheckpoint, or null when every event is signed. */
export function chainOnlyText(s: ServiceVerification): string | null {
  const n = eventsAfterCheckpoint(s);
  return n ? `最近检查点之后的 ${n} 个事件仅由哈希链保护，待下一个检查点签名` : null;
}

/** Kafka's copy compared with the store, in one line. */
export function kafkaLine(k: KafkaCopy | null): string {
  if (!k) return "未比对";
  const parts = [`一致 ${k.matched}`, `尚未发布 ${k.not_yet_published}`, `重复消息 ${k.duplicates}`];
  if (k.newer_than_snapshot) parts.push(`晚于核验快照 ${k.newer_than_snapshot}`);
  return parts.join(" · ");
}

/** The position holes of a service: how many, and whether each is explained. */
export function holesLine(s: ServiceVerification): string {
  if (!s.hole_ranges) return "无空洞";
  const unexplained = s.unexplained_holes.length;
  return unexplained ? `${s.hole_ranges} 处空洞，其中 ${unexplained} 处无法解释` : `${s.hole_ranges} 处空洞，均为中止的事务`;
}

// ---- 时间回溯 (GET /api/v1/audit/replay) ---------------------------------------------------

export interface ReplayedDeadline {
  kind: string;
  case: { type: string; id: string; link: string };
  rule_id: string;
  due_date: string;
  jurisdiction: string;
  owner: string;
  waits_for_zh: string;
  state: string;
  days_late: number;
  /** what it concerns, as 期限预警 names it (a group's number, a unit) */
  group_no?: number | null;
  unit_name?: string | null;
}

/** 第3巡察组 · 市财政局: what a deadline concerns ("" when the projection does not know) */
export function subjectText(d: Pick<ReplayedDeadline, "group_no" | "unit_name">): string {
  return [d.group_no ? `第${d.group_no}巡察组` : "", d.unit_name ?? ""].filter(Boolean).join(" · ");
}

/** How many deadlines stood in each state, in the order 期限预警 lists the states (a state it
 *  does not know last, by its code); states no deadline was in are left out. */
export function deadlineStateCounts(deadlines: readonly ReplayedDeadline[]): { state: string; label: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const d of deadlines) counts.set(d.state, (counts.get(d.state) ?? 0) + 1);
  const known = Object.keys(DEADLINE_STATES);
  const order = [...known, ...[...counts.keys()].filter((s) => !known.includes(s)).sort()];
  return order.filter((s) => counts.has(s)).map((s) => ({ state: s, label: DEADLINE_STATES[s] ?? s, count: counts.get(s)! }));
}

/** The deadlines overdue at that moment, the most late first (then by due date). */
export function overdueDeadlines(deadlines: readonly ReplayedDeadline[]): ReplayedDeadline[] {
  return deadlines
    .filter((d) => d.state === "overdue")
    .sort((a, b) => b.days_late - a.days_late || a.due_date.localeCompare(b.due_date));
}

/** What a replay read: per service the events recorded by that moment of those stored now. */
export function replayedLines(services: Record<string, { replayed: number; history: number }> | undefined): string[] {
  if (!services) return [];
  return Object.entries(services).map(
    ([svc, n]) => `${SERVICES[svc] ?? svc}：重放 ${n.replayed} / 共 ${n.history} 个事件`,
  );
}
