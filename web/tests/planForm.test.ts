import { describe, expect, it } from "vitest";
import { canRemoveTask, defaultDue, emptyTask, planTasks, taskDueError, type PlanTaskDoc } from "../src/planForm";

const open = [
  { id: "a", rect_type: "time_bound" },
  { id: "b", rect_type: "immediate" },
];
const task = (issue: string, measure: string): PlanTaskDoc => ({
  task_id: `t-${measure}`,
  issue_id: issue,
  measure,
  owner: "办公室",
  type: "long_term",
  due_on: "2027-01-31",
});

describe("planTasks", () => {
  it("gives an empty task of the issue's type per open issue without a plan", () => {
    const rows = planTasks(open);
    expect(rows.map((r) => [r.issue_id, r.type, r.measure, r.owner, r.due_on])).toEqual([
      ["a", "time_bound", "", "", ""],
      ["b", "immediate", "", "", ""],
    ]);
    expect(new Set(rows.map((r) => r.key)).size).toBe(2);
  });

  it("fills a returned plan back in, every task of it, in the issues' order", () => {
    const rows = planTasks(open, [task("b", "三"), task("a", "一"), task("a", "二")]);
    expect(rows.map((r) => [r.issue_id, r.measure, r.owner, r.type, r.due_on])).toEqual([
      ["a", "一", "办公室", "long_term", "2027-01-31"],
      ["a", "二", "办公室", "long_term", "2027-01-31"],
      ["b", "三", "办公室", "long_term", "2027-01-31"],
    ]);
  });

  it("adds an empty task for an issue the plan has none for, drops tasks of closed issues", () => {
    const rows = planTasks([open[1]], [task("a", "一")]);
    expect(rows.map((r) => [r.issue_id, r.measure])).toEqual([["b", ""]]);
  });
});

describe("canRemoveTask", () => {
  it("keeps at least one task per issue", () => {
    const rows = [emptyTask("a", "immediate"), emptyTask("a", "time_bound"), emptyTask("b", "immediate")];
    expect([0, 1, 2].map((i) => canRemoveTask(rows, i))).toEqual([true, true, false]);
    expect(canRemoveTask(rows, 5)).toBe(false);
  });
});

describe("taskDueError", () => {
  it("refuses a day before the plan is sent, and an immediate task after the report day (R1)", () => {
    expect(taskDueError("2026-12-04", "time_bound", "2026-12-05", null)).toBe("完成时限不能早于报送日期（2026-12-05）");
    expect(taskDueError("2026-12-05", "time_bound", "2026-12-05", null)).toBeNull();
    expect(taskDueError("2027-02-01", "immediate", "2026-12-05", "2027-01-31")).toBe("立行立改任务须在整改报告期限（2027-01-31）前完成（R1）");
    expect(taskDueError("2027-01-31", "immediate", "2026-12-05", "2027-01-31")).toBeNull();
    expect(taskDueError("2027-06-30", "long_term", "2026-12-05", "2027-01-31")).toBeNull();
    expect(taskDueError("", "immediate", "2026-12-05", "2027-01-31")).toBeNull();
  });
});

describe("defaultDue", () => {
  it("gives an immediate task without a day the issue's report day (R17), and leaves the rest", () => {
    const immediate = { ...emptyTask("b", "immediate") };
    expect(defaultDue(immediate, "2027-01-31")).toBe("2027-01-31");
    expect(defaultDue({ ...immediate, due_on: "2027-01-10" }, "2027-01-31")).toBe("2027-01-10");
    expect(defaultDue(emptyTask("a", "time_bound"), "2027-01-31")).toBe("");
    expect(defaultDue(immediate, null)).toBe("");
  });
});
