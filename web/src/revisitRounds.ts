// 回头看 held by a round (巡察“回头看”, R18): a later round assigns a unit in mode revisit, and
// the revisit recorded for it names that round (`in_round_id`) beside the round whose feedback it
// goes back to (`round_id`). Reporting's `GET /api/v1/views/revisits` lists each such unit of a
// round (`round_revisits`) with the revisit recorded for it, if any.

/** A unit a round assigned in mode revisit (reporting's `round_revisits`). */
export interface RoundRevisit {
  round_id: string;
  round_name: string | null;
  jurisdiction: string;
  starts_on: string;
  ends_on: string;
  unit_id: string;
  unit: string | null;
  revisit_id: string | null;
  findings_recorded: boolean;
}

/** What a revisit goes back to: a unit given feedback in a round; or (`round_id` empty) a unit
 *  whose earlier inspection fed back nothing on this system, revisited by a round, with its name
 *  (`unit`) for the service. */
export interface RevisitTarget {
  key: string;
  unit_id: string;
  round_id: string;
  label: string;
  unit?: string;
}

/** The rounds that may hold a revisit of `target`: those assigning its unit in mode revisit,
 *  other than the round revisited, whose revisit of the unit is not recorded yet. */
export function holdingRounds(rows: readonly RoundRevisit[], target: RevisitTarget | undefined): RoundRevisit[] {
  if (!target) return [];
  return rows.filter((r) => r.unit_id === target.unit_id && r.round_id !== target.round_id && !r.revisit_id);
}

/** The target a round's revisit of a unit goes back to: the unit's one fed-back round (other
 *  than the holding round); undefined when it has none or several (the office picks). */
export function targetOf(targets: readonly RevisitTarget[], row: RoundRevisit): RevisitTarget | undefined {
  const mine = targets.filter((t) => t.unit_id === row.unit_id && t.round_id !== row.round_id);
  return mine.length === 1 ? mine[0] : undefined;
}

/** A round's revisit of a unit nothing was fed back to on this system (inspected before the
 *  office moved onto it): the revisit names the round holding it and the unit's name only. */
export function unitOnlyTarget(row: RoundRevisit): RevisitTarget {
  const unit = row.unit ?? "";
  return { key: `${row.unit_id}/`, unit_id: row.unit_id, round_id: "", label: `${unit || "该单位"} · 此前巡察未在系统中反馈问题`, unit };
}
