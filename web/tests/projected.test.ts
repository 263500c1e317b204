import { describe, expect, it } from "vitest";
import { untilProjected } from "../src/api/projected";

describe("untilProjected", () => {
  it("returns once the projection moved past the version read before the action", async () => {
    const versions = [10, 10, 11];
    const slept: number[] = [];
    const moved = await untilProjected(10, { read: async () => versions.shift() ?? 11, sleep: async (ms) => void slept.push(ms) });
    expect(moved).toBe(true);
    expect(slept).toEqual([400, 400]);
  });

  it("gives up after the longest wait, and never waits for an unknown version", async () => {
    let reads = 0;
    const slept: number[] = [];
    const sleep = async (ms: number) => void slept.push(ms);
    expect(await untilProjected(5, { waitMs: 1000, stepMs: 500, read: async () => (reads++, 5), sleep })).toBe(false);
    expect(reads).toBe(3);
    slept.length = 0;
    expect(await untilProjected(null, { read: async () => 99, sleep })).toBe(false);
    expect(slept).toEqual([400]);
  });
});
