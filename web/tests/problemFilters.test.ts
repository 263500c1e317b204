import { describe, expect, it } from "vitest";
import { narrowProblems, problemAreas, problemYears, recordedYear } from "../src/problemFilters";

const p = (jurisdiction: string, recorded_at: string | null, extra: Partial<{ round_id: string; unit_id: string; pointed: boolean }> = {}) => ({
  round_id: "r1",
  unit_id: "u1",
  pointed: false,
  jurisdiction,
  recorded_at,
  ...extra,
});
const ALL = { jurisdiction: "", year: "", round_id: "", unit_id: "", pointed: false };

describe("发现问题's filters", () => {
  it("takes the year in China time", () => {
    // 2025-12-31 17:00 UTC is 2026-01-01 01:00 in Beijing
    expect(recordedYear(p("361000", "2025-12-31T17:00:00Z"))).toBe("2026");
    expect(recordedYear(p("361000", "2025-12-31T15:00:00Z"))).toBe("2025");
    expect(recordedYear(p("361000", null))).toBe("");
  });

  it("offers the years and areas present, latest year first, areas in the reader's order", () => {
    const list = [p("361002", "2024-05-01T00:00:00Z"), p("361000", "2026-05-01T00:00:00Z"), p("361002", "2026-06-01T00:00:00Z")];
    expect(problemYears(list)).toEqual(["2026", "2024"]);
    const areas = [{ value: "361000", label: "市本级" }, { value: "361002", label: "临川区" }, { value: "361021", label: "南城县" }];
    expect(problemAreas(list, areas).map((a) => a.label)).toEqual(["市本级", "临川区"]);
  });

  it("narrows by area, year, round, unit and 点人点事 together", () => {
    const list = [
      p("361002", "2026-05-01T00:00:00Z", { pointed: true }),
      p("361002", "2025-05-01T00:00:00Z", { pointed: true }),
      p("361000", "2026-05-01T00:00:00Z", { pointed: true }),
      p("361002", "2026-07-01T00:00:00Z", { unit_id: "u2" }),
    ];
    expect(narrowProblems(list, ALL)).toHaveLength(4);
    expect(narrowProblems(list, { ...ALL, jurisdiction: "361002" })).toHaveLength(3);
    expect(narrowProblems(list, { ...ALL, jurisdiction: "361002", year: "2026" })).toHaveLength(2);
    expect(narrowProblems(list, { ...ALL, jurisdiction: "361002", year: "2026", pointed: true })).toEqual([list[0]]);
    expect(narrowProblems(list, { ...ALL, unit_id: "u2" })).toEqual([list[3]]);
  });
});
