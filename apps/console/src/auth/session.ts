import { useSyncExternalStore } from "react";

/**
 * The signed-in bearer token, kept in sessionStorage: it survives a reload of the tab but not the
 * closing of the browser, and other tabs do not see it.
 */
const TOKEN_KEY = "fruxon.console.token";

type Listener = () => void;

const listeners = new Set<Listener>();
let signOutReason: string | null = null;

function readToken(): string | null {
  try {
    return window.sessionStorage.getItem(TOKEN_KEY);
  } catch {
    // Storage can be disabled by the browser's privacy settings; the console then has no session.
    return null;
  }
}

function notify(): void {
  for (const listener of listeners) {
    listener();
  }
}

export function getToken(): string | null {
  return readToken();
}

/** Stores a token pasted by the user. Surrounding whitespace and a leading "Bearer " are dropped. */
export function signIn(rawToken: string): void {
  const token = normalizeToken(rawToken);
  if (token === "") {
    throw new Error("The token is empty; paste the JWT that `pnpm run token` printed.");
  }
  window.sessionStorage.setItem(TOKEN_KEY, token);
  signOutReason = null;
  notify();
}

/** Forgets the token. `reason`, when given, is shown on the sign-in page. */
export function signOut(reason?: string): void {
  window.sessionStorage.removeItem(TOKEN_KEY);
  signOutReason = reason ?? null;
  notify();
}

export function normalizeToken(rawToken: string): string {
  return rawToken.trim().replace(/^bearer\s+/i, "").trim();
}

function subscribe(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useToken(): string | null {
  return useSyncExternalStore(subscribe, readToken, () => null);
}

export function useSignOutReason(): string | null {
  return useSyncExternalStore(subscribe, () => signOutReason, () => null);
}
