// Terms (届次) as the coverage view lists them (GET /api/v1/views/coverage: ``term_plans``,
// ``current_term_no``): which term a page shows first, what a new term plan or a new round is
// proposed with, and whether a round's dates fit its term (R6: a round lies within the
// term plan of its jurisdiction).
import { areaName } from "./labels";

export interface TermPlanDates {
  term_no: number;
  jurisdiction: string;
  starts_on: string | null;
  ends_on: string | null;
}

/** The plan of ``jurisdiction`` for term ``termNo``, if adopted. */
export function planOf(plans: readonly TermPlanDates[], jurisdiction: string, termNo: number): TermPlanDates | undefined {
  return plans.find((p) => p.jurisdiction === jurisdiction && p.term_no === termNo);
}

/** ``iso`` moved by ``days`` days (and ``years`` years), as YYYY-MM-DD. */
export function shiftDate(iso: string, days: number, years = 0): string {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCFullYear(d.getUTCFullYear() + years);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** What 通过五年规划 proposes for ``jurisdiction``: the term of today when it has no plan in it
 *  yet (with the dates another jurisdiction's plan of that term has, if any), else the term
 *  after its latest, starting the day after that one ends and lasting five years. */
export function proposedTermPlan(
  plans: readonly TermPlanDates[],
  jurisdiction: string,
  currentTerm: number | null,
): { term_no: number; starts_on: string; ends_on: string } {
  if (currentTerm !== null && !planOf(plans, jurisdiction, currentTerm)) {
    const other = plans.find((p) => p.term_no === currentTerm && p.starts_on && p.ends_on);
    return { term_no: currentTerm, starts_on: other?.starts_on ?? "", ends_on: other?.ends_on ?? "" };
  }
  const own = plans.filter((p) => p.jurisdiction === jurisdiction).sort((a, b) => b.term_no - a.term_no)[0];
  if (!own) return { term_no: currentTerm ?? 1, starts_on: "", ends_on: "" };
  const starts = own.ends_on ? shiftDate(own.ends_on, 1) : "";
  return { term_no: own.term_no + 1, starts_on: starts, ends_on: starts ? shiftDate(starts, -1, 5) : "" };
}

/** Why a round of ``jurisdiction`` in term ``termNo`` from ``startsOn`` to ``endsOn`` would be
 *  refused for its term (no plan, or dates outside it), in the words the form shows; null
 *  when it fits or the dates are not picked yet. */
export function roundTermProblem(
  plans: readonly TermPlanDates[],
  jurisdiction: string,
  termNo: number,
  startsOn: string,
  endsOn: string,
): string | null {
  const plan = planOf(plans, jurisdiction, termNo);
  if (!plan) return `第${termNo}届巡察规划尚未制定，请先在「巡察规划」中通过本届五年规划`;
  if (!plan.starts_on || !plan.ends_on || !startsOn || !endsOn) return null;
  if (startsOn < plan.starts_on || endsOn > plan.ends_on) {
    return `轮次日期须在第${termNo}届规划期限（${plan.starts_on} 至 ${plan.ends_on}）之内`;
  }
  return null;
}

/** The notice a page shows when term ``termNo``'s plan of ``jurisdiction`` has ended on
 *  ``today`` and no later term is planned: new rounds wait for the next term's plan. */
export function termEndedNotice(
  plans: readonly TermPlanDates[],
  jurisdiction: string,
  termNo: number | null,
  today: string,
  canPlan = true,
): string | null {
  if (termNo === null) return null;
  const plan = planOf(plans, jurisdiction, termNo);
  if (!plan?.ends_on || plan.ends_on >= today) return null;
  if (plans.some((p) => p.jurisdiction === jurisdiction && p.term_no > termNo)) return null;
  const ended = `${areaName(jurisdiction)}第${termNo}届规划期限已于 ${plan.ends_on} 届满，尚未通过第${termNo + 1}届五年规划`;
  // what to do is said to an office, which may adopt the plan; a reader is told how it stands
  return canPlan
    ? `${ended}：部署新的巡察轮次前，请先在「巡察规划 · 五年规划」中通过第${termNo + 1}届规划。`
    : `${ended}。`;
}

/** The term ``jurisdiction`` is in on ``today``, from its own plans, as the coverage view
 *  counts it: the term whose plan runs over today, else the latest begun, else the earliest
 *  planned; null without a plan. */
export function currentTermOf(plans: readonly TermPlanDates[], jurisdiction: string, today: string): number | null {
  const own = plans.filter((p) => p.jurisdiction === jurisdiction);
  const running = own.filter((p) => p.starts_on && p.ends_on && p.starts_on <= today && today <= p.ends_on);
  const begun = own.filter((p) => p.starts_on === null || p.starts_on <= today);
  const pick = running.length ? running : begun;
  if (pick.length) return Math.max(...pick.map((p) => p.term_no));
  return own.length ? Math.min(...own.map((p) => p.term_no)) : null;
}

/** The rounds a list shows with no term picked: each jurisdiction's rounds of its own term of
 *  today, and every round not closed yet whatever its term (a county's round of a term that
 *  has ended stays in sight until it is closed, though the city has adopted its next term). */
export function roundsOfToday<R extends { jurisdiction: string; term_no: number; closed: boolean }>(
  rounds: readonly R[],
  plans: readonly TermPlanDates[],
  today: string,
): R[] {
  const terms = new Map<string, number | null>();
  const termOf = (code: string) => {
    if (!terms.has(code)) terms.set(code, currentTermOf(plans, code, today));
    return terms.get(code);
  };
  return rounds.filter((r) => !r.closed || termOf(r.jurisdiction) === null || r.term_no === termOf(r.jurisdiction));
}

/** The term numbers among ``items`` (plans or rounds), each once, in order: what a 届次 select
 *  offers. */
export function termNumbers(...items: readonly { term_no: number }[][]): number[] {
  return [...new Set(items.flat().map((i) => i.term_no))].sort((a, b) => a - b);
}
