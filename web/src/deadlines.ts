// 期限预警's list: what it asks reporting for. The open states are read without the ended
// history (GET /api/v1/views/deadlines?state=…, repeated); the whole history only when the
// user picks an ended state or 全部.
import type { Query } from "./api/client";

/** The page's default choice: the overdue and the warned ones. */
export const ATTENTION = "attention";
/** Every deadline of the history, open or ended. */
export const ALL = "all";
export const ATTENTION_STATES: readonly string[] = ["overdue", "warning_red", "warning_yellow"];

export interface DeadlineFilter {
  jurisdiction: string;
  /** ATTENTION, ALL or one state of the view */
  state: string;
}

/** The query of the deadline list for `filter`. */
export function deadlineListQuery(filter: DeadlineFilter): Query {
  const state = filter.state === ATTENTION ? ATTENTION_STATES : filter.state === ALL ? undefined : [filter.state];
  return { jurisdiction: filter.jurisdiction || undefined, state };
}
