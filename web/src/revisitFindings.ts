// 回头看 (R18): what the 登记发现 dialog sends to rectification's
// `POST /api/v1/revisits/{id}/findings` {checked_issue_ids, reopened_issue_ids, new_problems}.
// The office ticks, among the unit's fed-back issues (listed by their description), those the
// revisit checked and, of those, the ones to be rectified again (重新整改: only a verified or
// closed-out issue, the others are still being rectified); new problems are typed one a line.

/** the issue statuses a revisit may reopen (rectification's `domain/revisits.REOPENABLE`) */
export const REOPENABLE: ReadonlySet<string> = new Set(["verified", "closed_out"]);

/** What the findings dialog knows of one of the unit's issues (`GET /api/v1/rectifications`). */
export interface ReopenCandidate {
  status: string;
  status_zh: string;
  settled_on?: string | null; // the day (China time) it was verified or closed out, as it stands
}

/** Why an issue cannot be ticked 需重新整改 by a revisit held on `revisitDay` (empty: it can):
 *  only a verified or closed-out issue goes back, and only one settled on or before the
 *  revisit's day (a revisit does not overturn a later verification or close-out; the service
 *  refuses it with 422, rectification's `domain/revisits.decide_reopen`). */
export function reopenBlock(issue: ReopenCandidate, revisitDay: string | null | undefined): string {
  if (!REOPENABLE.has(issue.status)) {
    return "该问题仍在整改中，无需退回；仅已核实或已销号的问题可以要求重新整改";
  }
  if (issue.settled_on && revisitDay && issue.settled_on > revisitDay) {
    const done = issue.status === "closed_out" ? "销号" : "核实通过";
    return `该问题于 ${issue.settled_on} ${done}，晚于回头看日期 ${revisitDay}，不能由本次回头看退回重新整改`;
  }
  return "";
}

export interface FindingsChoice {
  checked: string[]; // issue ids checked (a reopened one is checked too)
  reopened: string[]; // issue ids to be rectified again
  text: string; // new problems, one a line
}

export interface FindingsBody {
  checked_issue_ids: string[];
  reopened_issue_ids: string[];
  new_problems: string[];
}

/** Ticks or unticks "checked": unticking also unticks "reopened" (a reopened issue was checked). */
export function setChecked(choice: FindingsChoice, id: string, on: boolean): void {
  if (on) {
    if (!choice.checked.includes(id)) choice.checked.push(id);
  } else {
    choice.checked = choice.checked.filter((i) => i !== id);
    choice.reopened = choice.reopened.filter((i) => i !== id);
  }
}

/** Ticks or unticks "reopened": ticking also ticks "checked". */
export function setReopened(choice: FindingsChoice, id: string, on: boolean): void {
  if (on) {
    if (!choice.reopened.includes(id)) choice.reopened.push(id);
    setChecked(choice, id, true);
  } else {
    choice.reopened = choice.reopened.filter((i) => i !== id);
  }
}

/** The request body: each issue once, the reopened ones among the checked, blank lines left out. */
export function findingsBody(choice: FindingsChoice): FindingsBody {
  const reopened = [...new Set(choice.reopened)];
  const checked = [...new Set([...choice.checked, ...reopened])];
  const new_problems = choice.text.split(/\r?\n/).map((s) => s.trim()).filter((s) => s);
  return { checked_issue_ids: checked, reopened_issue_ids: reopened, new_problems };
}

/** What the form marks before sending (the service says the same: at least one issue checked or
 *  one new problem), by field; empty when the findings may be sent. */
export function findingsProblems(body: FindingsBody): Record<string, string> {
  if (body.checked_issue_ids.length || body.new_problems.length) return {};
  // both fields marked, the reason said once: the second says what it takes instead
  return { checked_issue_ids: "请至少勾选一个检查的问题，或填写新发现的问题", new_problems: "或在此填写新发现的问题（每行一项）" };
}

/** The first message the service gave for `field` or one of its items ("new_problems.2"). */
export function messageOf(fields: Record<string, string>, field: string): string {
  const key = Object.keys(fields).find((k) => k === field || k.startsWith(`${field}.`));
  return key ? fields[key] : "";
}

/** The result line of recorded findings. */
export function findingsSummary(checked: number, reopened: number, newProblems: number): string {
  const parts = [`检查问题 ${checked} 个`, `重新整改 ${reopened} 个`];
  if (newProblems) parts.push(`新发现问题 ${newProblems} 项`);
  return parts.join("，");
}
