// The signed-in principal. Two ways in: a bearer token pasted on the sign-in page (kept in
// localStorage), or OIDC (authorization code + PKCE, oidc-client-ts) when the deployment's
// /config.json says auth_mode=oidc; then the provider's access token is the bearer token.
import { reactive } from "vue";
import { api, configureClient } from "../api/client";
import { ApiError, errorText } from "../api/problem";
import { isTransient } from "../retry";

export interface Me {
  id: string;
  role: string;
  role_label: string;
  jurisdiction: string;
  jurisdiction_name: string;
  department: string | null;
  department_label: string | null;
  unit_id?: string | null;
  /** a unit's token: the name intake registered for its unit (本单位) */
  unit_name?: string | null;
  /** a group member's token bound to a group */
  group_id?: string | null;
}

export interface OidcConfig {
  issuer: string;
  client_id: string;
  scope: string;
}

export interface WorkbenchConfig {
  auth_mode: "token" | "oidc";
  oidc?: OidcConfig;
}

export const TOKEN_KEY = "xuncha.workbench.token";

export const session = reactive({
  config: { auth_mode: "token" } as WorkbenchConfig,
  token: null as string | null,
  me: null as Me | null,
  /** the kept sign-in could not be checked (the services down, the network gone): why, in
   *  words; the token is kept and tried again (the sign-in page retries on its own) */
  unavailable: "",
});

let configLoaded: Promise<WorkbenchConfig> | null = null;

export function loadConfig(): Promise<WorkbenchConfig> {
  configLoaded ??= fetch("/config.json", { cache: "no-store" })
    .then((r) => (r.ok ? r.json() : { auth_mode: "token" }))
    .catch(() => ({ auth_mode: "token" }))
    .then((cfg: WorkbenchConfig) => {
      session.config = cfg;
      return cfg;
    });
  return configLoaded;
}

configureClient({
  token: () => session.token,
  unauthorized: () => {
    void signOut(false);
    if (!location.pathname.startsWith("/login")) location.assign("/login?expired=1");
  },
});

/** Sign in with a token: kept only when the services accept it (GET /api/v1/me). */
export async function signInWithToken(token: string): Promise<Me> {
  const previous = session.token;
  session.token = token.trim();
  try {
    const me = await api.get<Me>("/api/v1/me");
    session.me = me;
    localStorage.setItem(TOKEN_KEY, session.token);
    return me;
  } catch (err) {
    session.token = previous;
    throw err;
  }
}

/** At start-up: the kept token (or the OIDC user), checked against the services. */
export async function restore(): Promise<Me | null> {
  if (session.me) return session.me;
  await loadConfig();
  let token = localStorage.getItem(TOKEN_KEY);
  if (session.config.auth_mode === "oidc") {
    const { currentAccessToken } = await import("./oidc");
    token = (await currentAccessToken()) ?? token;
  }
  if (!token) {
    session.unavailable = ""; // nothing kept: nothing to try again
    return null;
  }
  try {
    const me = await signInWithToken(token);
    session.unavailable = "";
    return me;
  } catch (err) {
    // refused (401): signed out; a failure that passes (a 503 while a service restarts, no
    // network) leaves the sign-in kept, to be tried again; anything else is said on sign-in
    if (err instanceof ApiError && err.status === 401) localStorage.removeItem(TOKEN_KEY);
    session.unavailable = isTransient(err) ? errorText(err) : "";
    session.token = null;
    return null;
  }
}

/** Whether a sign-in is kept on this browser (a token, or an OIDC user's). */
export function hasKeptSignIn(): boolean {
  return localStorage.getItem(TOKEN_KEY) !== null || session.config.auth_mode === "oidc";
}

export async function signOut(redirect = true): Promise<void> {
  localStorage.removeItem(TOKEN_KEY);
  session.token = null;
  session.me = null;
  if (session.config.auth_mode === "oidc") {
    const { forgetUser } = await import("./oidc");
    await forgetUser();
  }
  if (redirect) location.assign("/login");
}
