// 整改督办与销号 (SupervisionPage): what the office reads before it verifies or closes an issue
// out, and which units have something waiting for it, from reporting's board
// (``domain/board.py``, ``board_plans.py``)
import { todayCst } from "./labels";

export interface BoardEvidence { evidence_id: string; filename: string; url: string }
export interface BoardHistoryEntry { at: string | null; type: string; zh: string; note: string | null; outcome?: string | null; progress_percent?: number | null; evidence: BoardEvidence[]; leader_report?: string | null }
export interface BoardTaskState { measure: string; type: string; status: string; status_zh: string; returned_reason?: string | null }

const REPORTED = "rectification.RectificationReported";

/** The unit's latest report on the issue (its kind is the entry's name), or null. */
export function latestReport<T extends BoardHistoryEntry>(history: T[]): T | null {
  for (let n = history.length - 1; n >= 0; n--) if (history[n].type === REPORTED) return history[n];
  return null;
}

/** The unit's reports since the issue's last rejected verification (核实未通过): how many and
 *  the latest, so that an issue sent back shows at a glance that the unit has reported again;
 *  none when no verification was rejected. */
export function reportsSinceRejection<T extends BoardHistoryEntry>(history: T[]): { count: number; latest: T | null } {
  let count = 0;
  let latest: T | null = null;
  for (let n = history.length - 1; n >= 0; n--) {
    const h = history[n];
    if (h.type === "rectification.RectificationVerified" && h.outcome === "rejected") return { count, latest };
    if (h.type === "rectification.RectificationVerified") break; // accepted: no rejection stands
    if (h.type === REPORTED) {
      count += 1;
      latest ??= h;
    }
  }
  return { count: 0, latest: null };
}

/** 长效机制 is asked for a long-term issue, or one with a long-term task (rectification's
 *  ``Issue.long_term``: its close-out is refused without it); no other issue records one. */
export function needsMechanism(issue: { rect_type: string | null; tasks: { type: string }[] }): boolean {
  return issue.rect_type === "long_term" || issue.tasks.some((t) => t.type === "long_term");
}

/** The tasks not closed out yet: the issue's close-out closes them out with it. */
export function tasksLeftOpen<T extends BoardTaskState>(tasks: T[]): T[] {
  return tasks.filter((t) => t.status !== "closed_out");
}

/** How a task left open reads in the close-out's warning: reported done and never closed out,
 *  returned and not reported done again, or not reported done at all. */
export function leftOpenLabel(t: BoardTaskState): string {
  if (t.status === "completed") return "已报告完成，未销号";
  if (t.returned_reason) return "已退回，单位尚未重新报告完成";
  return "单位尚未报告完成";
}

/** How long ago a moment was, in China's days: 今天, 昨天, 3 天前. */
export function daysAgo(iso: string | null | undefined, now: Date = new Date()): string {
  if (!iso) return "";
  const at = new Date(iso);
  if (Number.isNaN(at.getTime())) return "";
  const days = Math.round((Date.parse(todayCst(now)) - Date.parse(todayCst(at))) / 86_400_000);
  return days <= 0 ? "今天" : days === 1 ? "昨天" : `${days} 天前`;
}

/** What waits for the office in a unit (reporting's ``board_plans.awaiting_office``). */
export interface AwaitingOffice { plans: number; verification: number; close_out: number; tasks: number; total: number }

/** The board's units as the office asks for them: all, or only those with something waiting for
 *  it; in the board's order (area, unit), or those with the most waiting first. */
export function officeUnits<T extends { awaiting_office: AwaitingOffice }>(units: T[], onlyWaiting: boolean, mostWaitingFirst: boolean): T[] {
  const shown = onlyWaiting ? units.filter((u) => u.awaiting_office.total > 0) : [...units];
  if (mostWaitingFirst) shown.sort((a, b) => b.awaiting_office.total - a.awaiting_office.total); // stable
  return shown;
}
