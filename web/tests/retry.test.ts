import { describe, expect, it } from "vitest";
import { ApiError } from "../src/api/problem";
import { isTransient } from "../src/retry";

const failed = (status: number) => new ApiError({ type: "about:blank", title: "", status });

describe("isTransient (a read tried again on its own while its page is open)", () => {
  it("takes a service restarting or the network gone as passing", () => {
    for (const status of [0, 502, 503, 504]) expect(isTransient(failed(status))).toBe(true);
    expect(isTransient(new TypeError("Failed to fetch"))).toBe(true);
  });
  it("never asks again what was refused", () => {
    for (const status of [400, 401, 403, 404, 409, 422, 500]) expect(isTransient(failed(status))).toBe(false);
    expect(isTransient(new Error("bug"))).toBe(false);
  });
});
