// R3 (a transferred clue's result from the department) as a clue list shows it beside the
// clue's status, from the clue's clock (GET /api/v1/clues: result_due_date, result_state): the
// last day while the result is awaited, warned or overdue; nothing once it came.

export interface ResultDue {
  /** what the day is (反馈期限, 临近反馈期限, 逾期未反馈，期限) */
  text: string;
  /** the last day, shown after the text and never cut in two */
  due: string;
  kind: "muted" | "warning" | "danger";
}

export function resultDue(state: string | null | undefined, due: string | null | undefined): ResultDue | null {
  if (!due || !state) return null;
  switch (state) {
    case "running":
      return { text: "反馈期限", due, kind: "muted" };
    case "warning_yellow":
    case "warning_red":
      return { text: "临近反馈期限", due, kind: "warning" };
    case "overdue":
      return { text: "逾期未反馈，期限", due, kind: "danger" };
    default: // met, met_late, cancelled: the result came (or no longer awaited)
      return null;
  }
}
