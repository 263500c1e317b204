// The one way the workbench talks to the services: same origin (nginx routes /api/v1/<prefix>
// to the owning service), bearer token from the session, problem+json turned into ApiError.
import { ApiError, type Problem } from "./problem";

/** A query's values; an array is the parameter repeated (`state=a&state=b`). */
export type Query = Record<string, string | number | boolean | readonly string[] | null | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /** no Authorization header (e.g. receipt status) */
  anonymous?: boolean;
}

let tokenOf: () => string | null = () => null;
let onUnauthorized: (() => void) | null = null;
let fetchImpl: typeof fetch = (...args) => fetch(...args);

/** Where the bearer token comes from (the session), and what to do on a 401. */
export function configureClient(opts: {
  token: () => string | null;
  unauthorized?: () => void;
  fetch?: typeof fetch;
}): void {
  tokenOf = opts.token;
  onUnauthorized = opts.unauthorized ?? null;
  if (opts.fetch) fetchImpl = opts.fetch;
}

export function buildUrl(path: string, query?: Query): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === "") continue;
    if (Array.isArray(value)) {
      for (const item of value) if (item !== "") params.append(key, item);
    } else {
      params.set(key, String(value));
    }
  }
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

async function problemOf(resp: Response): Promise<Problem> {
  const type = resp.headers.get("content-type") ?? "";
  if (type.includes("json")) {
    try {
      const doc = (await resp.json()) as Partial<Problem>;
      return { ...doc, status: resp.status } as Problem;
    } catch {
      /* fall through: an unreadable body */
    }
  }
  // e.g. nginx's own 502 page while a service restarts
  return { status: resp.status, title: resp.statusText };
}

export async function request<T>(
  method: string,
  path: string,
  opts: RequestOptions = {},
): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = opts.anonymous ? null : tokenOf();
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.body);
  }
  let resp: Response;
  try {
    resp = await fetchImpl(buildUrl(path, opts.query), {
      method,
      headers,
      body,
      signal: opts.signal,
      cache: "no-store",
    });
  } catch (err) {
    if ((err as Error)?.name === "AbortError") throw err;
    throw new ApiError({ status: 0, title: "network error" });
  }
  if (!resp.ok) {
    const problem = await problemOf(resp);
    if (resp.status === 401 && token && onUnauthorized) onUnauthorized();
    throw new ApiError(problem);
  }
  if (resp.status === 204) return undefined as T;
  return (await resp.json()) as T;
}

/** POST a multipart form (an evidence upload): the browser sets the boundary. */
export async function upload<T>(path: string, form: FormData): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  const token = tokenOf();
  if (token) headers.Authorization = `Bearer ${token}`;
  let resp: Response;
  try {
    resp = await fetchImpl(path, { method: "POST", headers, body: form, cache: "no-store" });
  } catch {
    throw new ApiError({ status: 0, title: "network error" });
  }
  if (!resp.ok) throw new ApiError(await problemOf(resp));
  return (await resp.json()) as T;
}

/** GET a file with the bearer token and hand it to the browser as a download. */
export async function download(path: string, query: Query, filename: string): Promise<void> {
  const headers: Record<string, string> = {};
  const token = tokenOf();
  if (token) headers.Authorization = `Bearer ${token}`;
  const resp = await fetchImpl(buildUrl(path, query), { headers, cache: "no-store" });
  if (!resp.ok) throw new ApiError(await problemOf(resp));
  const url = URL.createObjectURL(await resp.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export const api = {
  get: <T>(path: string, query?: Query, signal?: AbortSignal) =>
    request<T>("GET", path, { query, signal }),
  post: <T>(path: string, body?: unknown) => request<T>("POST", path, { body }),
};
