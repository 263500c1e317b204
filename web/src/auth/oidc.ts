// OIDC sign-in: authorization code with PKCE (S256) in the browser, by oidc-client-ts. The
// workbench is a public client (no secret); the provider's access token (a JWT with the
// xuncha_role / xuncha_jurisdiction claims) is what the services verify (XUNCHA_AUTH_MODE=oidc).
import { UserManager, WebStorageStateStore } from "oidc-client-ts";
import { session } from "./session";

let manager: UserManager | null = null;

function userManager(): UserManager {
  const cfg = session.config.oidc;
  if (!cfg) throw new Error("OIDC is not configured (/config.json)");
  manager ??= new UserManager({
    authority: cfg.issuer,
    client_id: cfg.client_id,
    redirect_uri: `${location.origin}/oidc/callback`,
    post_logout_redirect_uri: `${location.origin}/login`,
    response_type: "code",
    scope: cfg.scope,
    userStore: new WebStorageStateStore({ store: sessionStorage }),
    automaticSilentRenew: false,
    loadUserInfo: false,
  });
  return manager;
}

/** To the provider's login page; `back` is where to return after sign-in. */
export async function startSignIn(back: string): Promise<void> {
  await userManager().signinRedirect({ state: { back } });
}

/** On /oidc/callback: exchange the code (with the PKCE verifier) for tokens. */
export async function finishSignIn(): Promise<{ token: string; back: string }> {
  const user = await userManager().signinRedirectCallback();
  const state = (user.state ?? {}) as { back?: string };
  return { token: user.access_token, back: state.back ?? "/" };
}

export async function currentAccessToken(): Promise<string | null> {
  const user = await userManager().getUser();
  return user && !user.expired ? user.access_token : null;
}

export async function forgetUser(): Promise<void> {
  await userManager().removeUser();
}
