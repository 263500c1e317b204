/**
 * The rows of the unit's 整改方案 form (本单位整改): one or more tasks per open issue of the round.
 * A plan the office returned (已退回修改) comes back filled in with what the unit submitted, to
 * amend and resubmit; rectification keeps the submitted tasks on the plan
 * (`GET /api/v1/rectification-plans/{id}`).
 */

export interface PlanTaskDoc { task_id: string; issue_id: string; measure: string; owner: string; type: string; due_on: string }
export interface TaskRow { key: number; issue_id: string; measure: string; owner: string; type: string; due_on: string }
export interface OpenIssue { id: string; rect_type: string }

let key = 0;
const nextKey = () => key++;

/** an empty task for an issue, of the issue's rectification type unless told */
export function emptyTask(issueId: string, type: string): TaskRow {
  return { key: nextKey(), issue_id: issueId, measure: "", owner: "", type, due_on: "" };
}

/**
 * The form's tasks for the round's open issues: the submitted tasks of each issue, in the
 * plan's order, when a plan is given (a returned one); an empty task for an issue the plan has
 * none for (fed back after it was submitted) or without a plan. Tasks of issues no longer open
 * (closed out since) are left out: the service refuses tasks for them.
 */
export function planTasks(open: OpenIssue[], submitted: PlanTaskDoc[] = []): TaskRow[] {
  return open.flatMap((issue) => {
    const mine = submitted.filter((t) => t.issue_id === issue.id);
    if (!mine.length) return [emptyTask(issue.id, issue.rect_type)];
    return mine.map((t) => ({ key: nextKey(), issue_id: t.issue_id, measure: t.measure, owner: t.owner, type: t.type, due_on: t.due_on }));
  });
}

/** a task may be removed while its issue keeps another: every issue needs at least one task */
export function canRemoveTask(tasks: TaskRow[], index: number): boolean {
  const issue = tasks[index]?.issue_id;
  return issue !== undefined && tasks.filter((t) => t.issue_id === issue).length > 1;
}

/**
 * Why a task's 完成时限 is not taken, as rectification checks a plan (domain/plans.py): not
 * before the day the plan is submitted (`today`), and an immediate task (立行立改) not after the
 * issue's two-month report day (R1, `reportDue`); null when it is.
 */
export function taskDueError(due: string, type: string, today: string, reportDue: string | null): string | null {
  if (!due) return null;
  if (due < today) return `完成时限不能早于报送日期（${today}）`;
  if (type === "immediate" && reportDue && due > reportDue) return `立行立改任务须在整改报告期限（${reportDue}）前完成（R1）`;
  return null;
}

/** R17 (the type sets the deadline): an immediate task's 完成时限, when none is given yet, is the
 *  issue's report day (R1), the latest it may be; other types keep what the unit chooses */
export function defaultDue(task: TaskRow, reportDue: string | null): string {
  return task.type === "immediate" && !task.due_on && reportDue ? reportDue : task.due_on;
}
