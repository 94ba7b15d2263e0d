import { createFruxonClient, type FruxonClient } from "@fruxon/client";

export type { FruxonClient };

export interface ConsoleClientOptions {
  /** Origin of the API. The console calls `/v1` on its own origin unless VITE_API_BASE_URL is set. */
  baseUrl: string;
  getToken: () => string | null;
  /** Injected by tests; the browser's fetch otherwise. */
  fetch?: typeof fetch;
  /** Retries of idempotent requests on 429, 503 and network errors. */
  maxRetries?: number;
}

export function createConsoleClient(options: ConsoleClientOptions): FruxonClient {
  return createFruxonClient({
    baseUrl: options.baseUrl,
    // Without a token the client sends no Authorization header, and the API returns 401.
    getToken: () => options.getToken() ?? undefined,
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
    ...(options.maxRetries === undefined ? {} : { maxRetries: options.maxRetries }),
  });
}

/** Returns the API origin for the browser: the page's own origin by default, so the server can serve the built console. */
export function defaultBaseUrl(): string {
  const configured = import.meta.env.VITE_API_BASE_URL as string | undefined;
  if (configured !== undefined && configured !== "") {
    return configured.replace(/\/$/, "");
  }
  return window.location.origin;
}
