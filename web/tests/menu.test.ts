import { describe, expect, it } from "vitest";
import { CAN, homeFor, mayOpen, menuFor, sectionsFor } from "../src/auth/menu";

const names = (role: string) => menuFor(role).map((m) => m.name);

describe("the menu shows only what a role may do", () => {
  it("offices", () => {
    const watch = ["overview", "deadlines", "clue-funnel", "office-summary"];
    const organise = ["planning", "rounds", "talent-pool", "county-oversight", "group-work"];
    const clues = ["petitions", "clues", "findings"];
    const rectify = ["rectification", "supervision", "revisits", "publications"];
    expect(names("city_admin")).toEqual([...watch, ...organise, ...clues, ...rectify, "feeds", "cadre-opinions", "rules"]);
    expect(names("county_admin")).toEqual([...watch, ...organise, ...clues, ...rectify, "cadre-opinions", "rules"]);
    expect(sectionsFor("county_admin").map((s) => s.title)).toEqual([
      "工作总览", "巡察组织", "线索办理", "反馈整改", "共享与审计",
    ]);
  });
  it("groups, departments, auditors, custodians", () => {
    expect(names("group_member")).toEqual(["group-work", "petitions", "clues", "findings", "rectification", "publications", "rules"]);
    expect(names("department")).toEqual(["clues", "feeds", "rules"]);
    // 干部任用征求巡察意见 (R4): the organisation department's only
    expect(menuFor("department", "organisation").map((m) => m.name)).toEqual(["clues", "feeds", "cadre-opinions", "reserve-cadres", "rules"]);
    expect(mayOpen("department", "reserve-cadres", "discipline")).toBe(false);
    expect(menuFor("department", "audit").map((m) => m.name)).toEqual(["clues", "feeds", "rules"]);
    expect(mayOpen("department", "cadre-opinions", "audit")).toBe(false);
    expect(mayOpen("department", "cadre-opinions", "organisation")).toBe(true);
    expect(names("auditor")).toEqual([
      "overview", "deadlines", "clue-funnel", "office-summary", "planning", "rounds", "talent-pool",
      "county-oversight", "clues", "findings", "rectification", "supervision", "revisits", "publications", "feeds", "cadre-opinions", "reserve-cadres", "audit", "rules",
    ]);
    expect(sectionsFor("department").map((s) => s.section)).toEqual(["clues", "share"]);
    expect(names("informant_custodian")).toEqual(["notices"]);
    expect(names("inspected_unit")).toEqual(["unit-work", "publications", "rules"]);
    expect(homeFor("inspected_unit")).toBe("/unit-work");
    expect(names("nobody")).toEqual([]);
  });
  it("home pages and what may be opened", () => {
    expect(homeFor("department")).toBe("/feeds");
    expect(homeFor("group_member")).toBe("/petitions");
    expect(homeFor("informant_custodian")).toBe("/notices");
    expect(mayOpen("county_admin", "audit")).toBe(false);
    expect(mayOpen("county_admin", "feeds")).toBe(false);
    expect(mayOpen("auditor", "audit")).toBe(true);
    expect(mayOpen("group_member", "deadlines")).toBe(false);
    expect(mayOpen("department", "rules")).toBe(true);
  });
  it("actions per role", () => {
    expect(CAN.escalateOrTransfer("group_member")).toBe(false);
    expect(CAN.classify("group_member")).toBe(true);
    expect(CAN.recordPetition("auditor")).toBe(false);
    expect(CAN.acknowledge("department")).toBe(true);
    expect(CAN.acknowledge("city_admin")).toBe(false);
    expect(CAN.ledger("group_member")).toBe(false);
    expect(CAN.reportResult("department")).toBe(true);
    expect(CAN.reportResult("county_admin")).toBe(false);
    expect(CAN.dispose("group_member")).toBe(false);
    expect(CAN.verify("group_member")).toBe(true);
    expect(CAN.notify("informant_custodian")).toBe(true);
    expect(CAN.recordFindings("group_member")).toBe(true);
    expect(CAN.hearReport("group_member")).toBe(false);
    expect(CAN.hearReport("county_admin")).toBe(true);
    expect(CAN.superviseRectification("auditor")).toBe(false);
    expect(CAN.superviseRectification("county_admin")).toBe(true);
    expect(CAN.readCadreLevels("auditor")).toBe(true);
    expect(CAN.readCadreLevels("department")).toBe(false);
    expect(CAN.publish("county_admin")).toBe(true);
    expect(CAN.publish("group_member")).toBe(false);
    expect(CAN.askCadreOpinion("department", "organisation")).toBe(true);
    expect(CAN.askCadreOpinion("department", "finance")).toBe(false);
    expect(CAN.askCadreOpinion("city_admin", null)).toBe(false);
    expect(CAN.answerCadreOpinion("county_admin")).toBe(true);
    expect(CAN.answerCadreOpinion("auditor")).toBe(false);
  });
});
