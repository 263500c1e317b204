// The rounds a form may name, from intake, for the feedback form (反馈问题) and the clue
// register (登记线索): an office's rounds of its jurisdictions, newest first; a group member's
// own group's round only (the rounds are the offices' to list). With the units' names.
import { api } from "./api/client";
import { jurisdictionName } from "./labels";
import type { Group, Round } from "./rounds";

export interface RoundChoice {
  id: string;
  jurisdiction: string;
  label: string;
  /** the units the round inspects (a member: its group's) */
  unit_ids: string[];
  /** the office has closed the round (its stationings over: nothing is rectified "during" it) */
  closed: boolean;
  /** the round's first day: nothing of it is recorded before */
  starts_on: string;
}

export interface RoundChoices {
  rounds: RoundChoice[];
  /** a group member's own group (null for an office) */
  group: Group | null;
  unitNames: Record<string, string>;
}

/** 抚州市第4届第7轮（已结束） */
export function roundTitle(r: Pick<Round, "jurisdiction" | "term_no" | "round_no" | "closed">): string {
  return `${jurisdictionName(r.jurisdiction)}第${r.term_no}届第${r.round_no}轮${r.closed ? "（已结束）" : ""}`;
}

/** The choices of ``role`` (``groupId``: a member's group); throws what the API refused. */
export async function loadRoundChoices(role: string, groupId: string | null | undefined): Promise<RoundChoices> {
  let rounds: RoundChoice[] = [];
  let group: Group | null = null;
  if (role === "group_member") {
    if (groupId) {
      group = await api.get<Group>(`/api/v1/groups/${groupId}`);
      rounds = [{ id: group.round_id, jurisdiction: group.jurisdiction, label: `${group.round_name ?? "本组所在轮次"}（第${group.group_no}巡察组）`, unit_ids: group.unit_ids, closed: false, starts_on: group.starts_on }];
    }
  } else {
    const list = await api.get<Round[]>("/api/v1/rounds");
    rounds = list
      .sort((a, b) => b.term_no - a.term_no || b.round_no - a.round_no)
      .map((r) => ({ id: r.id, jurisdiction: r.jurisdiction, label: roundTitle(r), unit_ids: r.units.map((u) => u.unit_id), closed: r.closed, starts_on: r.starts_on }));
  }
  const units = await api.get<{ id: string; name: string }[]>("/api/v1/units");
  return { rounds, group, unitNames: Object.fromEntries(units.map((u) => [u.id, u.name])) };
}
