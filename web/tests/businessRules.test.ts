import { describe, expect, it } from "vitest";
import { BUSINESS_RULES } from "../src/businessRules";

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
});
