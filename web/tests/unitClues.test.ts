import { describe, expect, it } from "vitest";
import { unitClues, unitCluesText } from "../src/unitClues";

describe("unitClues", () => {
  it("counts the clues about exactly the unit, and those transferred by department", () => {
    const items = [
      { unit: "市财政局", department: "discipline_commission" },
      { unit: "市财政局", department: "discipline_commission" },
      { unit: "市财政局", department: "organisation" },
      { unit: "市财政局", department: null },
      { unit: "市财政局二分局", department: "audit" }, // another unit whose name contains it
      { unit: null, department: null, view: "stub" }, // a stub says nothing of its unit
    ];
    const c = unitClues(items, "市财政局");
    expect(c).toEqual({ registered: 4, transferred: 3, byDepartment: [["discipline_commission", 2], ["organisation", 1]] });
    expect(unitCluesText(c)).toBe("4 件，其中移交纪委监委 2 件、组织部 1 件");
  });

  it("says nothing of a unit with no clue, and no transfer when none went", () => {
    expect(unitCluesText(unitClues([], "市财政局"))).toBe("");
    expect(unitCluesText(unitClues([{ unit: "市财政局" }], "市财政局"))).toBe("1 件");
  });
});
