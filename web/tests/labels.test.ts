import { describe, expect, it } from "vitest";
import { CLUE_STATUS, areaLabel, areaName, clueStatusTag, formatMoment, jurisdictionName, registeredWhen, reportCompleted, unitExample } from "../src/labels";

describe("area labels", () => {
  it("names the city's own row 市本级 in a breakdown by area, and the counties by name", () => {
    expect(areaLabel({ jurisdiction: "361000", name: "抚州市" })).toBe("市本级");
    expect(areaLabel({ jurisdiction: "361002", name: "临川区" })).toBe("临川区");
    expect(jurisdictionName("361000")).toBe("抚州市"); // elsewhere the city keeps its name
  });

  it("names a record's area in a table as the pickers do: the city's own records 市本级", () => {
    expect(areaName("361000")).toBe("市本级");
    expect(areaName("361025")).toBe("乐安县");
    expect(areaName(null)).toBe("");
  });
});

describe("a unit's name as a form's example", () => {
  it("follows the jurisdiction chosen", () => {
    expect(unitExample("361025")).toBe("乐安县农业农村局");
    expect(unitExample("361000")).toBe("市财政局");
    expect(unitExample("")).toBe("市财政局");
    expect(unitExample("369999")).toBe("某县农业农村局");
  });
});

describe("registeredWhen", () => {
  it("names a 补录 clue by the day written on paper, marked so", () => {
    expect(registeredWhen({ registered_at: "2026-12-01T02:30:00Z", registered_on: "2026-10-23" })).toBe("2026-10-23（补录）");
    expect(registeredWhen({ registered_at: "2026-12-01T02:30:00Z", registered_on: "2026-10-23" }, true)).toBe("2026-10-23（补录）");
  });
  it("else by the moment it was recorded, in China time", () => {
    expect(registeredWhen({ registered_at: "2026-12-01T17:30:00Z", registered_on: null })).toBe("2026-12-02 01:30");
    expect(registeredWhen({ registered_at: "2026-12-01T17:30:00Z" }, true)).toBe("2026-12-02");
    expect(registeredWhen({ registered_at: null })).toBe("—");
  });
});

describe("officeName", () => {
  it("names the office as it names itself", async () => {
    const { officeName, ownerName } = await import("../src/labels");
    expect(officeName("361000")).toBe("市委巡察办");
    expect(officeName("361002")).toBe("临川区委巡察办");
    expect(officeName("361021")).toBe("南城县委巡察办");
    expect(ownerName("361000", "group")).toBe("市委巡察办");
  });
});

describe("reportCompleted", () => {
  it("never for a progress report, always for a final one, the switch for a formal one", () => {
    expect(reportCompleted("progress", true)).toBe(false);
    expect(reportCompleted("final", false)).toBe(true);
    expect(reportCompleted("formal", true)).toBe(true);
    expect(reportCompleted("formal", false)).toBe(false);
  });
});

describe("clueStatusTag", () => {
  it("never colours a clue red: in hand grey, with the city or a department orange, done green", () => {
    for (const status of Object.keys(CLUE_STATUS)) {
      expect(["success", "warning", "info"]).toContain(clueStatusTag(status));
    }
    expect(clueStatusTag("classified")).toBe("info");
    expect(clueStatusTag("verifying")).toBe("info");
    expect(clueStatusTag("escalated")).toBe("warning");
    expect(clueStatusTag("transferred")).toBe("warning");
    expect(clueStatusTag("disposed")).toBe("success");
    expect(clueStatusTag("kept")).toBe("info");
  });
});

describe("formatMoment", () => {
  it("gives the second, China time, for moments a few seconds apart", () => {
    expect(formatMoment("2026-12-05T18:44:10Z")).toBe("2026-12-06 02:44:10");
    expect(formatMoment("2026-12-05T18:44:20.5Z")).toBe("2026-12-06 02:44:20");
    expect(formatMoment(null)).toBe("—");
  });
});
