import { describe, expect, it } from "vitest";
import { newest } from "../src/newest";

/** A question answered when the test says so. */
function deferred<T>() {
  let settle!: (v: T) => void;
  let refuse!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    settle = res;
    refuse = rej;
  });
  return { promise, settle, refuse };
}

describe("newest (an older answer never shows over a newer one)", () => {
  it("drops the answer of a question asked before the newest, whichever comes first", async () => {
    const ask = newest();
    const older = deferred<string>();
    const newer = deferred<string>();
    const first = ask(() => older.promise);
    const second = ask(() => newer.promise);
    newer.settle("四风");
    older.settle("未选择主题");
    expect(await second).toBe("四风");
    expect(await first).toBeUndefined();
  });
  it("gives the answer when no later question was asked", async () => {
    const ask = newest();
    expect(await ask(async () => 3)).toBe(3);
    expect(await ask(async () => 4)).toBe(4);
  });
  it("throws the newest question's refusal and drops an outdated one's", async () => {
    const ask = newest();
    const older = deferred<string>();
    const first = ask(() => older.promise);
    const second = ask(() => Promise.reject(new Error("503")));
    older.refuse(new Error("timeout"));
    expect(await first).toBeUndefined();
    await expect(second).rejects.toThrow("503");
  });
  it("keeps each list's questions apart", async () => {
    const clues = newest();
    const feed = newest();
    const a = deferred<number>();
    const pending = clues(() => a.promise);
    expect(await feed(async () => 1)).toBe(1);
    a.settle(2);
    expect(await pending).toBe(2);
  });
});
