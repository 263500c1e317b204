import { afterEach, describe, expect, it, vi } from "vitest";
import { api, buildUrl, configureClient, request } from "../src/api/client";
import { ApiError } from "../src/api/problem";

function respond(status: number, body: unknown, type = "application/json"): Response {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new Response(status === 204 ? null : text, { status, headers: { "content-type": type } });
}

afterEach(() => configureClient({ token: () => null, fetch: (...a) => fetch(...a) }));

describe("the API client", () => {
  it("builds query strings without empty values", () => {
    expect(buildUrl("/api/v1/clues", { status: "", jurisdiction: "361002", limit: 500, x: null })).toBe(
      "/api/v1/clues?jurisdiction=361002&limit=500",
    );
    expect(buildUrl("/api/v1/me")).toBe("/api/v1/me");
  });

  it("repeats a parameter whose value is an array", () => {
    expect(buildUrl("/api/v1/views/deadlines", { state: ["overdue", "", "running"], x: "1" })).toBe(
      "/api/v1/views/deadlines?state=overdue&state=running&x=1",
    );
    expect(buildUrl("/api/v1/views/deadlines", { state: [] })).toBe("/api/v1/views/deadlines");
  });

  it("sends the bearer token and JSON, on the same origin", async () => {
    const calls: [string, RequestInit][] = [];
    configureClient({
      token: () => "xc_token",
      fetch: async (url, init) => {
        calls.push([String(url), init ?? {}]);
        return respond(201, { id: "1", receipt_code: "XC-AAAA-BBBB-CCCC" });
      },
    });
    const res = await api.post<{ id: string }>("/api/v1/petitions", { unit: "某局" });
    expect(res.id).toBe("1");
    const [url, init] = calls[0];
    expect(url).toBe("/api/v1/petitions");
    expect(init.method).toBe("POST");
    expect((init.headers as Record<string, string>).Authorization).toBe("Bearer xc_token");
    expect(init.body).toBe('{"unit":"某局"}');
  });

  it("turns problem+json into an ApiError with field messages", async () => {
    configureClient({
      token: () => "t",
      fetch: async () =>
        respond(422, { status: 422, title: "Validation failed", errors: [{ field: "body.unit", msg: "Field required", type: "missing" }] }, "application/problem+json"),
    });
    const err = await api.post("/api/v1/feedbacks", {}).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).field("unit")).toBe("必填");
  });

  it("a 401 with a token signs out; without a token it does not", async () => {
    const unauthorized = vi.fn();
    configureClient({ token: () => "t", unauthorized, fetch: async () => respond(401, { status: 401, title: "Unauthorized" }) });
    await expect(api.get("/api/v1/me")).rejects.toBeInstanceOf(ApiError);
    expect(unauthorized).toHaveBeenCalledOnce();
    configureClient({ token: () => null, unauthorized, fetch: async () => respond(401, { status: 401 }) });
    await expect(request("GET", "/api/v1/receipts/x", { anonymous: true })).rejects.toBeInstanceOf(ApiError);
    expect(unauthorized).toHaveBeenCalledOnce();
  });

  it("an HTML error page or no network still gives a Chinese message", async () => {
    configureClient({ token: () => null, fetch: async () => respond(502, "<html>bad gateway</html>", "text/html") });
    const html = (await api.get("/api/v1/clues").catch((e) => e)) as ApiError;
    expect(html.status).toBe(502);
    expect(html.message).toBe("服务暂时不可用，请稍后再试");
    configureClient({ token: () => null, fetch: async () => { throw new TypeError("Failed to fetch"); } });
    const offline = (await api.get("/api/v1/clues").catch((e) => e)) as ApiError;
    expect(offline.status).toBe(0);
    expect(offline.message).toBe("无法连接服务器，请检查网络");
  });
});
