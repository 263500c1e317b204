// 巡察规划调整 (R6): which units an amendment of a term plan may bring in or take out, and how
// an amendment reads. The service decides (intake `domain/planning.decide_amend_term_plan`);
// the dialog offers only what it would accept.
import { inspectable, type Unit } from "./rounds";

export interface TermPlanAmendment {
  amendment_no: number;
  amended_on: string;
  added_unit_ids: string[];
  removed_unit_ids: string[];
  reason: string;
}

/** A term plan as intake lists it (`GET /api/v1/term-plans`). */
export interface TermPlan {
  id: string;
  jurisdiction: string;
  term_no: number;
  starts_on: string;
  ends_on: string;
  unit_ids: string[];
  amendments: TermPlanAmendment[];
}

/** The units an amendment may bring in: the plan's area's units that may be inspected (not an
 *  inspection office, R28) and are not in the plan yet, by name. */
export function addableUnits(plan: TermPlan, units: readonly Unit[]): Unit[] {
  const planned = new Set(plan.unit_ids);
  return units
    .filter((u) => u.jurisdiction === plan.jurisdiction && inspectable(u) && !planned.has(u.id))
    .sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
}

/** The units an amendment may take out: the plan's units that no round of the term has been
 *  assigned (`inRounds`): one being or already inspected stays counted. Each with its name
 *  (an unknown id keeps its id). */
export function removableUnits(
  plan: TermPlan,
  units: readonly Unit[],
  inRounds: ReadonlySet<string>,
): { id: string; name: string }[] {
  const names = new Map(units.map((u) => [u.id, u.name]));
  return plan.unit_ids
    .filter((id) => !inRounds.has(id))
    .map((id) => ({ id, name: names.get(id) ?? id }))
    .sort((a, b) => a.name.localeCompare(b.name, "zh-CN"));
}

/** The plan's term has ended on `today` (China time): it is no longer amended. */
export const termEnded = (plan: Pick<TermPlan, "ends_on">, today: string) => plan.ends_on < today;

/** One amendment as its list says it: 第1次调整（2026-12-06）：纳入 市数据局；移出 市粮食局。 */
export function amendmentText(a: TermPlanAmendment, names: ReadonlyMap<string, string>): string {
  const named = (ids: string[]) => ids.map((id) => names.get(id) ?? id).join("、");
  const parts = [];
  if (a.added_unit_ids.length) parts.push(`纳入 ${named(a.added_unit_ids)}`);
  if (a.removed_unit_ids.length) parts.push(`移出 ${named(a.removed_unit_ids)}`);
  return `第${a.amendment_no}次调整（${a.amended_on}）：${parts.join("；")}`;
}

/** What the confirmation says before an amendment is recorded. */
export function amendmentSummary(
  plan: Pick<TermPlan, "unit_ids">,
  added: number,
  removed: number,
): string {
  const parts = [];
  if (added) parts.push(`纳入 ${added} 个单位`);
  if (removed) parts.push(`移出 ${removed} 个单位`);
  return `${parts.join("、")}，调整后规划巡察 ${plan.unit_ids.length + added - removed} 个单位`;
}
