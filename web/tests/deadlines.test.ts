import { describe, expect, it } from "vitest";
import { buildUrl } from "../src/api/client";
import { ALL, ATTENTION, deadlineListQuery, ruleName, ruleNames } from "../src/deadlines";

// the list's query without its page (asserted on its own below)
const url = (jurisdiction: string, state: string) => {
  const built = buildUrl("/api/v1/views/deadlines", deadlineListQuery({ jurisdiction, state }, { page: 1, size: 20 }));
  const parsed = new URL(built, "http://x");
  expect([parsed.searchParams.get("limit"), parsed.searchParams.get("offset")]).toEqual(["20", "0"]);
  parsed.searchParams.delete("limit");
  parsed.searchParams.delete("offset");
  return parsed.pathname + parsed.search;
};

describe("期限预警's list query", () => {
  it("asks for the overdue and warned ones by default, not the history", () => {
    expect(url("", ATTENTION)).toBe(
      "/api/v1/views/deadlines?state=overdue&state=warning_red&state=warning_yellow",
    );
    expect(url("361002", ATTENTION)).toBe(
      "/api/v1/views/deadlines?jurisdiction=361002&state=overdue&state=warning_red&state=warning_yellow",
    );
  });
  it("asks for one state when one is chosen, ended ones included", () => {
    expect(url("361002", "running")).toBe("/api/v1/views/deadlines?jurisdiction=361002&state=running");
    expect(url("", "met_late")).toBe("/api/v1/views/deadlines?state=met_late");
  });
  it("asks for one page, its offset from the page number", () => {
    expect(buildUrl("/api/v1/views/deadlines", deadlineListQuery({ jurisdiction: "", state: ALL }, { page: 3, size: 50 }))).toBe(
      "/api/v1/views/deadlines?limit=50&offset=100",
    );
    expect(
      buildUrl("/api/v1/views/deadlines", deadlineListQuery({ jurisdiction: "361002", state: "running" }, { page: 1, size: 20 })),
    ).toBe("/api/v1/views/deadlines?jurisdiction=361002&state=running&limit=20&offset=0");
  });
  it("reads the whole history only under 全部", () => {
    expect(url("", ALL)).toBe("/api/v1/views/deadlines");
    expect(url("361002", ALL)).toBe("/api/v1/views/deadlines?jurisdiction=361002");
  });
});

describe("期限预警's rule names", () => {
  const names = ruleNames([
    { id: "petition_acceptance_notice", version: 1, title_zh: "受理后15个工作日内告知", r_ids: ["R9"] },
    { id: "petition_acceptance_notice", version: 2, title_zh: "受理后10个工作日内告知", r_ids: ["R9", "R10"] },
  ]);
  it("names a rule by its own version", () => {
    expect(ruleName(names, "petition_acceptance_notice", 1)).toEqual({ title: "受理后15个工作日内告知", rIds: "R9" });
    expect(ruleName(names, "petition_acceptance_notice", 2)).toEqual({ title: "受理后10个工作日内告知", rIds: "R9、R10" });
  });
  it("falls back to the rule's earlier version, then to its id", () => {
    expect(ruleName(names, "petition_acceptance_notice", 3).title).toBe("受理后10个工作日内告知");
    expect(ruleName(names, "walk_in_same_day", 1)).toEqual({ title: "walk_in_same_day", rIds: "" });
  });
});
