import { describe, expect, it } from "vitest";
import { overlappingRounds, recusalHints, roundLabel, roundState, seatHints, type PoolMember, type Unit } from "../src/rounds";

const units = new Map<string, Unit>([
  ["u1", { id: "u1", jurisdiction: "361002", name: "临川区审计局", kind: "county_department" }],
  ["u2", { id: "u2", jurisdiction: "361021", name: "南城县财政局", kind: "county_department" }],
  ["home", { id: "home", jurisdiction: "361002", name: "临川区委巡察办", kind: "other" }],
]);
const member = (over: Partial<PoolMember> = {}): PoolMember => ({
  id: "m",
  jurisdiction: "361002",
  name: "张三",
  home_unit_id: "home",
  source: "organisation",
  specialities: ["law"],
  rank: "正科级",
  birth_year: 1980,
  retired: false,
  recusal_unit_ids: [],
  ...over,
});

describe("the member picker shows recusal grounds before a group is submitted", () => {
  it("a clean member has none", () => {
    expect(recusalHints(member(), ["u1", "u2"], units, false)).toEqual([]);
  });
  it("home unit, declared recusal, retired", () => {
    expect(recusalHints(member({ home_unit_id: "u1" }), ["u1"], units, false)[0]).toContain("工作单位");
    expect(recusalHints(member({ recusal_unit_ids: ["u2"] }), ["u1", "u2"], units, false)).toEqual([
      "本人已申报对该单位回避（南城县财政局）",
    ]);
    expect(recusalHints(member({ retired: true }), [], units, false)).toEqual(["已退出巡察人才库"]);
  });
  it("home county only in a cross-regional round", () => {
    expect(recusalHints(member(), ["u1"], units, true)[0]).toContain("异地交流巡察");
    expect(recusalHints(member(), ["u2"], units, true)).toEqual([]);
  });
});

describe("rectification's pages name a round", () => {
  it("by the name rectification learnt from intake", () => {
    expect(roundLabel("0195a3b4-0000-7000-8000-000000000000", "临川区第4届第5轮巡察")).toBe("临川区第4届第5轮巡察");
  });
  it("by the start of its id before that (or without a name)", () => {
    expect(roundLabel("0195a3b4-0000-7000-8000-000000000000", null)).toBe("轮次 0195a3b4…");
    expect(roundLabel("0195a3b4-0000-7000-8000-000000000000")).toBe("轮次 0195a3b4…");
  });
});

describe("roundState", () => {
  it("tells a round past its end date that was never closed from a running one", () => {
    expect(roundState({ closed: false, ends_on: "2026-01-23" }, "2026-12-03")).toEqual({ label: "已到期未结束", tag: "warning" });
    expect(roundState({ closed: false, ends_on: "2026-12-03" }, "2026-12-03")).toEqual({ label: "进行中", tag: "success" });
    expect(roundState({ closed: true, ends_on: "2026-01-23" }, "2026-12-03")).toEqual({ label: "已结束", tag: "info" });
    expect(roundState({ closed: false, starts_on: "2026-12-10", ends_on: "2027-02-28" }, "2026-12-04")).toEqual({ label: "未开始", tag: "info" });
    expect(roundState({ closed: false, starts_on: "2026-12-04", ends_on: "2027-02-28" }, "2026-12-04")).toEqual({ label: "进行中", tag: "success" });
  });
});

describe("seatHints", () => {
  const seat = (round_id: string, starts_on: string, ends_on: string) => ({
    group_id: "g", group_no: 2, round_id, round_name: "临川区第4届第1轮巡察", starts_on, ends_on,
  });
  const member = (seats: ReturnType<typeof seat>[]) =>
    ({ id: "m", name: "张三", open_seats: seats }) as unknown as PoolMember;
  const round = { id: "r2", starts_on: "2026-12-01", ends_on: "2027-01-31" };

  it("says a seat whose dates overlap the round's (the service refuses it)", () => {
    expect(seatHints(member([seat("r1", "2026-09-01", "2026-12-10")]), round, "2026-12-06")).toEqual([
      "同期已在其他巡察组（临川区第4届第1轮巡察第2巡察组，2026-09-01至2026-12-10）",
    ]);
  });

  it("says a seat past its dates in a round not yet closed", () => {
    expect(seatHints(member([seat("r1", "2026-05-01", "2026-06-30")]), round, "2026-12-06")).toEqual([
      "仍在临川区第4届第1轮巡察第2巡察组，2026-05-01至2026-06-30：该组已到期，所在轮次尚未结束",
    ]);
  });

  it("says nothing of a later seat, nor without seats", () => {
    expect(seatHints(member([seat("r3", "2027-03-01", "2027-04-30")]), round, "2026-12-06")).toEqual([]);
    expect(seatHints({ ...member([]), open_seats: undefined }, round, "2026-12-06")).toEqual([]);
  });
});

describe("overlappingRounds", () => {
  const rounds = [
    { jurisdiction: "361000", term_no: 5, round_no: 1, starts_on: "2026-12-14", ends_on: "2027-03-12" },
    { jurisdiction: "361002", term_no: 5, round_no: 1, starts_on: "2026-12-14", ends_on: "2027-02-26" },
    { jurisdiction: "361000", term_no: 5, round_no: 2, starts_on: "2027-04-01", ends_on: "2027-06-30" },
  ];
  it("names the area's rounds whose dates meet the new one's", () => {
    expect(overlappingRounds(rounds, "361000", "2027-03-01", "2027-04-15")).toEqual([
      "第5届第1轮（2026-12-14至2027-03-12）",
      "第5届第2轮（2027-04-01至2027-06-30）",
    ]);
  });
  it("says nothing of another area, of dates apart, or of dates not chosen yet", () => {
    expect(overlappingRounds(rounds, "361002", "2027-03-01", "2027-03-31")).toEqual([]);
    expect(overlappingRounds(rounds, "361000", "2027-03-13", "2027-03-31")).toEqual([]);
    expect(overlappingRounds(rounds, "361000", "", "2027-03-31")).toEqual([]);
  });
});
