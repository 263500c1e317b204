import { describe, expect, it } from "vitest";
import { addableUnits, amendmentSummary, amendmentText, removableUnits, termEnded, type TermPlan } from "../src/termAmendment";
import type { Unit } from "../src/rounds";

const CITY = "361000";
const unit = (id: string, name: string, kind = "city_department", jurisdiction = CITY): Unit =>
  ({ id, name, kind, jurisdiction }) as Unit;
const units = [
  unit("a", "市财政局"),
  unit("b", "市水利局"),
  unit("c", "市数据局"),
  unit("o", "市委巡察办", "inspection_office"),
  unit("k", "临川区财政局", "county_department", "361002"),
];
const plan: TermPlan = {
  id: "p",
  jurisdiction: CITY,
  term_no: 5,
  starts_on: "2021-09-01",
  ends_on: "2026-12-31",
  unit_ids: ["a", "b"],
  amendments: [],
};

describe("巡察规划调整", () => {
  it("brings in only the area's inspectable units not yet planned", () => {
    expect(addableUnits(plan, units).map((u) => u.id)).toEqual(["c"]);
  });
  it("takes out only planned units no round of the term has", () => {
    expect(removableUnits(plan, units, new Set(["a"]))).toEqual([{ id: "b", name: "市水利局" }]);
    expect(removableUnits({ ...plan, unit_ids: ["zz"] }, units, new Set())).toEqual([{ id: "zz", name: "zz" }]);
  });
  it("a term ended before today is not amended; its last day still is", () => {
    expect(termEnded(plan, "2026-12-31")).toBe(false);
    expect(termEnded(plan, "2027-01-01")).toBe(true);
  });
  it("reads an amendment with the units' names", () => {
    const names = new Map(units.map((u) => [u.id, u.name]));
    const a = { amendment_no: 2, amended_on: "2026-12-06", added_unit_ids: ["c"], removed_unit_ids: ["b", "x"], reason: "机构改革" };
    expect(amendmentText(a, names)).toBe("第2次调整（2026-12-06）：纳入 市数据局；移出 市水利局、x");
    expect(amendmentText({ ...a, removed_unit_ids: [] }, names)).toBe("第2次调整（2026-12-06）：纳入 市数据局");
  });
  it("says the plan's size after the amendment", () => {
    expect(amendmentSummary(plan, 1, 0)).toBe("纳入 1 个单位，调整后规划巡察 3 个单位");
    expect(amendmentSummary(plan, 1, 2)).toBe("纳入 1 个单位、移出 2 个单位，调整后规划巡察 1 个单位");
  });
});
