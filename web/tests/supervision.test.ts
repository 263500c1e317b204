import { describe, expect, it } from "vitest";
import { daysAgo, latestReport, leftOpenLabel, needsMechanism, officeUnits, reportsSinceRejection, tasksLeftOpen, type BoardHistoryEntry } from "../src/supervision";

const entry = (type: string, zh: string, at: string) => ({ at, type, zh, note: null, evidence: [] });

describe("what the office reads before it verifies or closes an issue out", () => {
  it("takes the unit's latest report, not the office's later steps", () => {
    const history = [
      entry("rectification.IssueFedBack", "反馈问题", "2026-10-01T01:00:00+00:00"),
      entry("rectification.RectificationReported", "整改进展报告", "2026-10-10T01:00:00+00:00"),
      entry("rectification.RectificationReported", "整改完成报告", "2026-11-10T01:00:00+00:00"),
      entry("rectification.SupervisionOrdered", "整改督办（重点督办）", "2026-11-11T01:00:00+00:00"),
    ];
    expect(latestReport(history)?.zh).toBe("整改完成报告");
    expect(latestReport(history.slice(0, 1))).toBeNull();
  });

  it("asks for 长效机制 on a long-term issue or one with a long-term task only", () => {
    expect(needsMechanism({ rect_type: "time_bound", tasks: [{ type: "time_bound" }] })).toBe(false);
    expect(needsMechanism({ rect_type: "long_term", tasks: [] })).toBe(true);
    expect(needsMechanism({ rect_type: "immediate", tasks: [{ type: "immediate" }, { type: "long_term" }] })).toBe(true);
  });

  it("lists the tasks the close-out would close with the issue, each with why it is open", () => {
    const tasks = [
      { measure: "修订制度", type: "time_bound", status: "completed", status_zh: "已报告完成，待销号" },
      { measure: "追回资金", type: "time_bound", status: "closed_out", status_zh: "已销号" },
      { measure: "建立台账", type: "time_bound", status: "open", status_zh: "整改中", returned_reason: "佐证不足" },
      { measure: "约谈提醒", type: "immediate", status: "open", status_zh: "整改中" },
    ];
    expect(tasksLeftOpen(tasks).map((t) => t.measure)).toEqual(["修订制度", "建立台账", "约谈提醒"]);
    expect(tasksLeftOpen(tasks).map(leftOpenLabel)).toEqual(["已报告完成，未销号", "已退回，单位尚未重新报告完成", "单位尚未报告完成"]);
  });
});

describe("how long ago, in China's days", () => {
  const now = new Date("2026-11-20T02:00:00Z"); // 10:00 on the 20th in Beijing
  it("counts calendar days in China time", () => {
    expect(daysAgo("2026-11-20T00:30:00Z", now)).toBe("今天");
    expect(daysAgo("2026-11-19T15:59:00Z", now)).toBe("昨天"); // 23:59 on the 19th in Beijing
    expect(daysAgo("2026-11-19T16:00:00Z", now)).toBe("今天"); // 00:00 on the 20th
    expect(daysAgo("2026-11-10T02:00:00Z", now)).toBe("10 天前");
    expect(daysAgo(null, now)).toBe("");
  });
});

describe("the units with something waiting for the office", () => {
  const todo = (total: number) => ({ plans: 0, verification: 0, close_out: 0, tasks: total, total });
  const units = [
    { unit: "甲", awaiting_office: todo(0) },
    { unit: "乙", awaiting_office: todo(2) },
    { unit: "丙", awaiting_office: todo(5) },
    { unit: "丁", awaiting_office: todo(2) },
  ];
  it("filters to them and puts the most waiting first, else keeps the board's order", () => {
    expect(officeUnits(units, false, false).map((u) => u.unit)).toEqual(["甲", "乙", "丙", "丁"]);
    expect(officeUnits(units, true, false).map((u) => u.unit)).toEqual(["乙", "丙", "丁"]);
    expect(officeUnits(units, false, true).map((u) => u.unit)).toEqual(["丙", "乙", "丁", "甲"]);
    expect(units.map((u) => u.unit)).toEqual(["甲", "乙", "丙", "丁"]); // the board's own list untouched
  });
});

describe("reportsSinceRejection", () => {
  const entry = (type: string, extra: Partial<BoardHistoryEntry> = {}): BoardHistoryEntry => ({ at: "2026-12-01T02:00:00Z", type, zh: type, note: null, evidence: [], ...extra });
  const reported = (p: number) => entry("rectification.RectificationReported", { progress_percent: p, zh: `整改进展报告` });
  const verified = (outcome: string) => entry("rectification.RectificationVerified", { outcome });
  it("counts the unit's reports after the last rejection, the latest first", () => {
    const seen = reportsSinceRejection([reported(100), verified("rejected"), reported(30), reported(60)]);
    expect(seen.count).toBe(2);
    expect(seen.latest?.progress_percent).toBe(60);
  });
  it("is nothing without a rejection standing", () => {
    expect(reportsSinceRejection([reported(100)]).count).toBe(0);
    expect(reportsSinceRejection([verified("rejected"), reported(50), verified("accepted")]).count).toBe(0);
    expect(reportsSinceRejection([reported(100), verified("rejected")]).count).toBe(0);
  });
});
