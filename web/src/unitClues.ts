// What the office knows of a unit's problem clues when it answers the organisation
// department about one of its cadres (干部任用征求巡察意见, R4): the clues registered about the
// unit and those transferred, by department. The opinion's own figures (rectification's) do not
// hold them; a clue is about the unit, not necessarily the cadre, so they are said for the
// office to weigh, never turned into a conclusion.
import { DEPARTMENTS } from "./labels";

export interface ClueItem { unit?: string | null; department?: string | null; view?: string }

export interface UnitClues { registered: number; transferred: number; byDepartment: [string, number][] }

/** The clues of `items` (a clue list page) about exactly `unit`, seen in full. */
export function unitClues(items: readonly ClueItem[], unit: string): UnitClues {
  const mine = items.filter((c) => c.view !== "stub" && (c.unit ?? "").trim() === unit.trim());
  const counts = new Map<string, number>();
  for (const c of mine) if (c.department) counts.set(c.department, (counts.get(c.department) ?? 0) + 1);
  const byDepartment = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  return { registered: mine.length, transferred: byDepartment.reduce((n, [, k]) => n + k, 0), byDepartment };
}

/** 3 件，其中移交纪委监委 2 件、组织部 1 件 (the 问题线索 registered; empty when none was). */
export function unitCluesText(c: UnitClues): string {
  if (!c.registered) return "";
  const moved = c.byDepartment.map(([d, n]) => `${DEPARTMENTS[d] ?? d} ${n} 件`).join("、");
  return `${c.registered} 件${moved ? `，其中移交${moved}` : ""}`;
}
