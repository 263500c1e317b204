// 期限预警's list: what it asks reporting for, a page at a time (limit, offset; the answer's
// total drives the pager, and reporting orders it: the overdue first, the most late first, then
// by due date). The open states are read without the ended history
// (GET /api/v1/views/deadlines?state=…, repeated); the whole history only when the user picks
// an ended state or 全部.
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

export interface PageChoice {
  /** 1-based, as the pager counts */
  page: number;
  size: number;
}

/** The query of the deadline list for `filter`, the page `at`. */
export function deadlineListQuery(filter: DeadlineFilter, at: PageChoice): Query {
  const state = filter.state === ATTENTION ? ATTENTION_STATES : filter.state === ALL ? undefined : [filter.state];
  return { jurisdiction: filter.jurisdiction || undefined, state, limit: at.size, offset: (at.page - 1) * at.size };
}

/** A deadline rule as GET /api/v1/rules lists it (one line per version). */
export interface RuleVersion {
  id: string;
  version: number;
  title_zh: string;
  r_ids: string[];
}

/** What the list shows of a deadline's rule: its title and the R ids it implements, by id and
 * version; a rule reporting does not list keeps its id (named by nothing better). */
export interface RuleName {
  title: string;
  rIds: string;
}

export type RuleNames = Map<string, RuleName>;

const ruleKey = (id: string, version: number) => `${id}@${version}`;

/** The names of `rules` (GET /api/v1/rules) by id and version. */
export function ruleNames(rules: readonly RuleVersion[]): RuleNames {
  return new Map(rules.map((r) => [ruleKey(r.id, r.version), { title: r.title_zh, rIds: r.r_ids.join("、") }]));
}

/** The name of rule `id` version `version`: its own, else that of the rule's nearest earlier
 * version, else the id itself. */
export function ruleName(names: RuleNames, id: string, version: number): RuleName {
  const own = names.get(ruleKey(id, version));
  if (own) return own;
  for (let v = version - 1; v >= 1; v--) {
    const earlier = names.get(ruleKey(id, v));
    if (earlier) return earlier;
  }
  return { title: id, rIds: "" };
}
