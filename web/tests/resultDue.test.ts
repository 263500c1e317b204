import { describe, expect, it } from "vitest";
import { resultDue } from "../src/resultDue";

describe("resultDue (R3 beside a transferred clue in the clue list)", () => {
  it("says the last day while the result is awaited, warned or overdue", () => {
    expect(resultDue("running", "2026-12-20")).toEqual({ text: "反馈期限", due: "2026-12-20", kind: "muted" });
    expect(resultDue("warning_red", "2026-12-20")?.kind).toBe("warning");
    expect(resultDue("overdue", "2026-11-10")).toEqual({ text: "逾期未反馈，期限", due: "2026-11-10", kind: "danger" });
  });
  it("says nothing once the result came, or without a clock", () => {
    for (const state of ["met", "met_late", "cancelled"]) expect(resultDue(state, "2026-11-10")).toBeNull();
    expect(resultDue(null, null)).toBeNull();
    expect(resultDue("running", null)).toBeNull();
  });
});
