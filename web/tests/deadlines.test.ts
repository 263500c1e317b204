import { describe, expect, it } from "vitest";
import { buildUrl } from "../src/api/client";
import { ALL, ATTENTION, deadlineListQuery } from "../src/deadlines";

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
