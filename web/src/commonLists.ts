/** 共性问题清单 (未巡先改): which of a term's not-yet-inspected units already hold a list of
 *  that term, so a new list is offered to the others by default and the office sees, beside each
 *  unit, whether it has sent its self-check (自查) back. Pure, for the page and its tests. */

export interface ListedUnit {
  unit_id: string;
  self_checked: boolean;
}

export interface TermList {
  term_no: number;
  units: ListedUnit[];
}

/** unit → whether it has sent back the self-check of every list of ``term`` it was given */
export function listedInTerm(lists: readonly TermList[], term: number | undefined): Map<string, boolean> {
  const out = new Map<string, boolean>();
  for (const l of lists) {
    if (l.term_no !== term) continue;
    for (const u of l.units) out.set(u.unit_id, (out.get(u.unit_id) ?? true) && u.self_checked);
  }
  return out;
}

export interface ListTarget {
  unit_id: string;
  label: string;
  /** it holds a list of the term already */
  listed: boolean;
  /** it has sent back the self-check of every such list */
  checked: boolean;
}

/** the units a new list may go to, named with what they already hold (the listed after the rest) */
export function listTargets(notInspected: readonly { unit_id: string; name: string }[], listed: Map<string, boolean>): ListTarget[] {
  const out = notInspected.map((u) => {
    const checked = listed.get(u.unit_id);
    const note = checked === undefined ? "" : checked ? "（已下发，已报送自查）" : "（已下发，未报送自查）";
    return { unit_id: u.unit_id, label: `${u.name}${note}`, listed: checked !== undefined, checked: checked === true };
  });
  return [...out.filter((t) => !t.listed), ...out.filter((t) => t.listed)];
}

/** a new list's units by default: those without a list of the term yet */
export function defaultListUnits(targets: readonly ListTarget[]): string[] {
  return targets.filter((t) => !t.listed).map((t) => t.unit_id);
}
