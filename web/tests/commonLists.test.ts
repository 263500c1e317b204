import { describe, expect, it } from "vitest";
import { defaultListUnits, listTargets, listedInTerm } from "../src/commonLists";

const lists = [
  { term_no: 5, units: [{ unit_id: "a", self_checked: true }, { unit_id: "b", self_checked: false }] },
  { term_no: 5, units: [{ unit_id: "a", self_checked: false }] },
  { term_no: 4, units: [{ unit_id: "c", self_checked: false }] },
];
const notInspected = [
  { unit_id: "a", name: "市交通局" },
  { unit_id: "b", name: "市财政局" },
  { unit_id: "c", name: "市水利局" },
  { unit_id: "d", name: "市教育局" },
];

describe("共性问题清单's units", () => {
  it("knows which units hold a list of the term, and whether every self-check came back", () => {
    const listed = listedInTerm(lists, 5);
    expect([...listed]).toEqual([["a", false], ["b", false]]);
    expect(listedInTerm([lists[0]], 5).get("a")).toBe(true);
    expect(listedInTerm(lists, undefined).size).toBe(0);
  });

  it("offers the units without one first and picks only them by default", () => {
    const targets = listTargets(notInspected, listedInTerm([lists[0], lists[2]], 5));
    expect(targets.map((t) => t.label)).toEqual(["市水利局", "市教育局", "市交通局（已下发，已报送自查）", "市财政局（已下发，未报送自查）"]);
    expect(defaultListUnits(targets)).toEqual(["c", "d"]);
    expect(targets.map((t) => [t.listed, t.checked])).toEqual([[false, false], [false, false], [true, true], [true, false]]);
  });
});
