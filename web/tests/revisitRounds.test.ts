import { describe, expect, it } from "vitest";
import { holdingRounds, targetOf, unitOnlyTarget, type RoundRevisit, type RevisitTarget } from "../src/revisitRounds";

const row = (round_id: string, unit_id: string, revisit_id: string | null = null): RoundRevisit => ({
  round_id, round_name: `第${round_id}轮`, jurisdiction: "361000", starts_on: "2025-10-20", ends_on: "2026-01-23",
  unit_id, unit: `单位${unit_id}`, revisit_id, findings_recorded: false,
});
const target = (unit_id: string, round_id: string): RevisitTarget => ({ key: `${unit_id}/${round_id}`, unit_id, round_id, label: `单位${unit_id} · 第${round_id}轮` });

describe("a revisit held by a round", () => {
  it("offers the rounds revisiting the unit, not the round revisited, not one already recorded", () => {
    const rows = [row("7", "a"), row("5", "a"), row("8", "a", "rv1"), row("7", "b")];
    expect(holdingRounds(rows, target("a", "5")).map((r) => r.round_id)).toEqual(["7"]);
    expect(holdingRounds(rows, target("c", "5"))).toEqual([]);
    expect(holdingRounds(rows, undefined)).toEqual([]);
  });

  it("goes back to the unit's one fed-back round; several or none: the office picks", () => {
    expect(targetOf([target("a", "5"), target("b", "5")], row("7", "a"))?.key).toBe("a/5");
    expect(targetOf([target("a", "5"), target("a", "3")], row("7", "a"))).toBeUndefined();
    expect(targetOf([target("a", "7")], row("7", "a"))).toBeUndefined();
  });

  it("revisits a unit nothing was fed back to here by its round alone", () => {
    const alone = unitOnlyTarget(row("7", "a"));
    expect(alone).toMatchObject({ unit_id: "a", round_id: "", unit: "单位a" });
    expect(alone.label).toBe("单位a · 此前巡察未在系统中反馈问题");
    expect(holdingRounds([row("7", "a")], alone).map((r) => r.round_id)).toEqual(["7"]);
  });
});
