import { describe, expect, it } from "vitest";
import { BUSINESS_RULES, ruleParts } from "../src/businessRules";

// every page and module of the workbench, as text
const SOURCES = import.meta.glob<string>("../src/**/*.{vue,ts}", { query: "?raw", import: "default", eager: true });

describe("业务规则", () => {
  it("lists R1 to R29 once each, in order, each saying what it is and how it is held", () => {
    expect(BUSINESS_RULES.map((r) => r.id)).toEqual(Array.from({ length: 29 }, (_, i) => `R${i + 1}`));
    for (const r of BUSINESS_RULES) {
      expect(r.text.length).toBeGreaterThan(4);
      expect(r.held.length).toBeGreaterThan(4);
    }
  });

  it("explains every rule id a page shows", () => {
    const known = new Set(BUSINESS_RULES.map((r) => r.id));
    const cited = new Set<string>();
    expect(Object.keys(SOURCES).length).toBeGreaterThan(20);
    for (const text of Object.values(SOURCES)) {
      // an id in the text users read (Chinese around it, or in brackets), not in code names
      for (const m of text.matchAll(/(?<![A-Za-z0-9_])R(\d{1,2})(?![0-9A-Za-z_])/g)) cited.add(`R${m[1]}`);
    }
    expect(cited.size).toBeGreaterThan(5);
    expect([...cited].filter((id) => !known.has(id))).toEqual([]);
  });

  it("finds the rule ids a message cites, and only those", () => {
    expect(ruleParts("巡察报告尚未听取，不能反馈（R16）")).toEqual([
      { text: "巡察报告尚未听取，不能反馈（" }, { text: "R16", rule: "R16" }, { text: "）" },
    ]);
    expect(ruleParts("R1：须附主要负责人报告；见 R12、R99 与 XR2、R3a")).toEqual([
      { text: "R1", rule: "R1" }, { text: "：须附主要负责人报告；见 " }, { text: "R12", rule: "R12" },
      { text: "、R99 与 XR2、R3a" },
    ]);
    expect(ruleParts("没有规则编号")).toEqual([{ text: "没有规则编号" }]);
    expect(ruleParts("")).toEqual([]);
  });
});
