import { describe, expect, it } from "vitest";
import { CAN, homeFor, mayOpen, menuFor } from "../src/auth/menu";

const names = (role: string) => menuFor(role).map((m) => m.name);

describe("the menu shows only what a role may do", () => {
  it("offices", () => {
    const rounds = ["planning", "rounds", "talent-pool", "group-work"];
    expect(names("city_admin")).toEqual(["overview", "petitions", "clues", "rectification", ...rounds, "feeds"]);
    expect(names("county_admin")).toEqual(["overview", "petitions", "clues", "rectification", ...rounds]);
  });
  it("groups, departments, auditors, custodians", () => {
    expect(names("group_member")).toEqual(["petitions", "clues", "rectification", "group-work"]);
    expect(names("department")).toEqual(["feeds"]);
    expect(names("auditor")).toEqual([
      "overview", "clues", "rectification", "planning", "rounds", "talent-pool", "feeds", "audit",
    ]);
    expect(names("informant_custodian")).toEqual([]);
    expect(names("nobody")).toEqual([]);
  });
  it("home pages and what may be opened", () => {
    expect(homeFor("department")).toBe("/feeds");
    expect(homeFor("group_member")).toBe("/petitions");
    expect(homeFor("informant_custodian")).toBe("/none");
    expect(mayOpen("county_admin", "audit")).toBe(false);
    expect(mayOpen("county_admin", "feeds")).toBe(false);
    expect(mayOpen("auditor", "audit")).toBe(true);
  });
  it("actions per role", () => {
    expect(CAN.escalateOrTransfer("group_member")).toBe(false);
    expect(CAN.classify("group_member")).toBe(true);
    expect(CAN.recordPetition("auditor")).toBe(false);
    expect(CAN.acknowledge("department")).toBe(true);
    expect(CAN.acknowledge("city_admin")).toBe(false);
    expect(CAN.ledger("group_member")).toBe(false);
  });
});
