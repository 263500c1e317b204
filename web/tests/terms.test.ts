import { describe, expect, it } from "vitest";
import { currentTermOf, proposedTermPlan, termNumbers, roundTermProblem, roundsOfToday, shiftDate, termEndedNotice, type TermPlanDates } from "../src/terms";

const CITY = "361000";
const COUNTY = "361002";
const four: TermPlanDates = { term_no: 4, jurisdiction: CITY, starts_on: "2021-09-01", ends_on: "2026-08-31" };

describe("dates", () => {
  it("shift by days and years, across a leap day", () => {
    expect(shiftDate("2026-08-31", 1)).toBe("2026-09-01");
    expect(shiftDate("2026-09-01", -1, 5)).toBe("2031-08-31");
    expect(shiftDate("2024-02-29", 1)).toBe("2024-03-01");
  });
});

describe("the next term plan proposed", () => {
  it("after the latest ended, the next term for five years from the day after", () => {
    expect(proposedTermPlan([four], CITY, 4)).toEqual({ term_no: 5, starts_on: "2026-09-01", ends_on: "2031-08-31" });
  });
  it("a county without a plan of the term of today gets that term, with the city's dates", () => {
    expect(proposedTermPlan([four], COUNTY, 4)).toEqual({ term_no: 4, starts_on: "2021-09-01", ends_on: "2026-08-31" });
  });
  it("nothing planned: the first term, no dates", () => {
    expect(proposedTermPlan([], CITY, null)).toEqual({ term_no: 1, starts_on: "", ends_on: "" });
  });
});

describe("a round's dates against its term (R1)", () => {
  it("no plan, outside, inside, not picked", () => {
    expect(roundTermProblem([four], CITY, 5, "2026-12-10", "2027-02-10")).toContain("第5届巡察规划尚未制定");
    expect(roundTermProblem([four], CITY, 4, "2026-08-01", "2026-10-01")).toBe(
      "轮次日期须在第4届规划期限（2021-09-01 至 2026-08-31）之内",
    );
    expect(roundTermProblem([four], CITY, 4, "2026-03-01", "2026-05-01")).toBeNull();
    expect(roundTermProblem([four], CITY, 4, "", "")).toBeNull();
  });
});

describe("a term that has ended without a next one", () => {
  it("is noticed until the next term is planned", () => {
    expect(termEndedNotice([four], CITY, 4, "2026-12-03")).toContain("市本级第4届规划期限已于 2026-08-31 届满，尚未通过第5届五年规划：");
    // a reader (the auditor) is told how it stands, not what to do on a tab it does not have
    expect(termEndedNotice([four], CITY, 4, "2026-12-03", false)).toBe("市本级第4届规划期限已于 2026-08-31 届满，尚未通过第5届五年规划。");
    expect(termEndedNotice([four], CITY, 4, "2026-08-31")).toBeNull();
    const five = { ...four, term_no: 5, starts_on: "2026-09-01", ends_on: "2031-08-31" };
    expect(termEndedNotice([four, five], CITY, 4, "2026-12-03")).toBeNull();
    expect(termEndedNotice([four], COUNTY, 4, "2026-12-03")).toBeNull();
  });
});

describe("the rounds listed with no term picked", () => {
  const plans: TermPlanDates[] = [
    { term_no: 4, jurisdiction: "361000", starts_on: "2021-09-01", ends_on: "2026-08-31" },
    { term_no: 5, jurisdiction: "361000", starts_on: "2026-09-01", ends_on: "2031-08-31" },
    { term_no: 4, jurisdiction: "361002", starts_on: "2021-10-01", ends_on: "2026-09-30" },
  ];
  const round = (jurisdiction: string, term_no: number, closed: boolean) => ({ jurisdiction, term_no, closed });

  it("knows each jurisdiction's term of today, as the coverage view does", () => {
    expect(currentTermOf(plans, "361000", "2026-12-04")).toBe(5);
    expect(currentTermOf(plans, "361002", "2026-12-04")).toBe(4); // ended, none adopted since
    expect(currentTermOf(plans, "361000", "2020-01-01")).toBe(4); // none begun: the first
    expect(currentTermOf(plans, "361021", "2026-12-04")).toBeNull();
  });

  it("keeps a county's rounds of its own term once the city is in its next one", () => {
    const rounds = [
      round("361000", 4, true), // the city's last term, closed: out of sight
      round("361000", 4, false), // not closed yet: kept
      round("361000", 5, true),
      round("361002", 4, true), // the county's own term
      round("361021", 1, true), // no plan in view: kept
    ];
    expect(roundsOfToday(rounds, plans, "2026-12-04")).toEqual([rounds[1], rounds[2], rounds[3], rounds[4]]);
  });
});

describe("the terms a 届次 select offers", () => {
  it("each term once, in order, from plans and rounds alike", () => {
    expect(termNumbers([{ term_no: 5 }, { term_no: 4 }], [{ term_no: 4 }, { term_no: 3 }])).toEqual([3, 4, 5]);
    expect(termNumbers([])).toEqual([]);
  });
});
