import { describe, expect, it } from "vitest";
import { buildUrl } from "../src/api/client";
import { ALL, ATTENTION, deadlineListQuery } from "../src/deadlines";

const url = (jurisdiction: string, state: string) =>
  buildUrl("/api/v1/views/deadlines", deadlineListQuery({ jurisdiction, state }));

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
  it("reads the whole history only under 全部", () => {
    expect(url("", ALL)).toBe("/api/v1/views/deadlines");
    expect(url("361002", ALL)).toBe("/api/v1/views/deadlines?jurisdiction=361002");
  });
});
