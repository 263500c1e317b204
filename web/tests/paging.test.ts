import { describe, expect, it } from "vitest";
import { sortParam } from "../src/paging";

describe("the services' sort parameter", () => {
  it("maps the table's sort state", () => {
    expect(sortParam({ prop: "unit", order: "ascending" }, "-registered_at")).toBe("unit");
    expect(sortParam({ prop: "unit", order: "descending" }, "-registered_at")).toBe("-unit");
  });
  it("falls back when the table is not sorted", () => {
    expect(sortParam({ prop: "unit", order: null }, "-registered_at")).toBe("-registered_at");
    expect(sortParam({ prop: null, order: null }, "-registered_at")).toBe("-registered_at");
  });
});
