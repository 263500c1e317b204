/** 发现问题's list narrowed as an office reads it: by area (地区), year (年度, the China-time
 *  year the problem was recorded), round, unit and 点人点事. Pure, so the page and its tests
 *  narrow alike. */
import { formatTime } from "./labels";

export interface ListedProblem {
  round_id: string;
  jurisdiction: string;
  unit_id: string;
  pointed: boolean;
  recorded_at: string | null;
}

export interface ProblemQuery {
  jurisdiction: string;
  year: string;
  round_id: string;
  unit_id: string;
  pointed: boolean;
}

/** the China-time year a problem was recorded ("" when its time is not known) */
export function recordedYear(p: { recorded_at: string | null }): string {
  const at = formatTime(p.recorded_at);
  return /^\d{4}-/.test(at) ? at.slice(0, 4) : "";
}

/** the years problems were recorded in, latest first */
export function problemYears(problems: readonly { recorded_at: string | null }[]): string[] {
  return [...new Set(problems.map(recordedYear).filter(Boolean))].sort().reverse();
}

/** the areas the problems lie in, in the order ``areas`` (the reader's areas) gives them */
export function problemAreas<T extends { value: string }>(problems: readonly { jurisdiction: string }[], areas: readonly T[]): T[] {
  const present = new Set(problems.map((p) => p.jurisdiction));
  return areas.filter((a) => present.has(a.value));
}

/** the problems the query keeps; an empty field keeps every value */
export function narrowProblems<P extends ListedProblem>(problems: readonly P[], q: ProblemQuery): P[] {
  return problems.filter(
    (p) =>
      (!q.jurisdiction || p.jurisdiction === q.jurisdiction) &&
      (!q.year || recordedYear(p) === q.year) &&
      (!q.round_id || p.round_id === q.round_id) &&
      (!q.unit_id || p.unit_id === q.unit_id) &&
      (!q.pointed || p.pointed),
  );
}
