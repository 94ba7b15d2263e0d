import type { paths } from "@fruxon/api-types";
import createClient, { type HeadersOptions } from "openapi-fetch";

import { Call } from "./call.js";
import { FruxonError, ProblemError } from "./errors.js";
import { createGatedLogger, type Logger, type LogLevel } from "./logger.js";
import { serializePath } from "./path.js";
import { classifyFailure, send, type FetchFunction, type GetToken, type TransportSettings } from "./transport.js";
import type { FruxonClient } from "./types.js";

export interface FruxonClientOptions {
  /** Root of the API, such as `https://api.example.com` or `/api` in a browser; paths start with `/v1`. */
  baseUrl: string;
  /** A fixed bearer token. Give either `token` or `getToken`, or neither for unauthenticated calls. */
  token?: string;
  /** Returns the bearer token for each call; asked again with `forceRefresh: true` once after a 401. */
  getToken?: GetToken;
  /** The `fetch` to send requests with. Default: `globalThis.fetch` at the time of each call. */
  fetch?: FetchFunction;
  /** Maximum time for one attempt, in whole milliseconds, including reading the body; 0 disables it. Default 60 000. */
  timeoutMs?: number;
  /** Retries of a failed idempotent call (network error, 408, 429, 502, 503, 504, timeout). Default 2. */
  maxRetries?: number;
  /** Receives retries (warn), token refreshes (info) and, at debug, every attempt with its headers redacted. */
  logger?: Logger;
  /** Lowest level passed to `logger`. Default "warn". */
  logLevel?: LogLevel;
  /** `User-Agent` to send, for example `my-app/1.2`. Browsers may ignore it. */
  userAgent?: string;
  /** Headers sent with every request. */
  headers?: HeadersOptions;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RETRIES = 2;
const MAX_RETRIES_LIMIT = 10;

type CallInit = {
  params?: { path?: Record<string, unknown> };
  middleware?: unknown;
  signal?: AbortSignal | null;
  fetch?: FetchFunction;
  timeoutMs?: unknown;
  maxRetries?: unknown;
  [key: string]: unknown;
};

type CallResult = { data?: unknown; error?: unknown; response: Response; requestId?: string };

/**
 * Creates the Fruxon API client: openapi-fetch's `Client<paths>` with authentication, request ids,
 * timeouts, retries, `ProblemError` errors and path encoding added. Throws on invalid options.
 */
export function createFruxonClient(options: FruxonClientOptions): FruxonClient {
  const settings = checkOptions(options);
  let headers: Headers | undefined;
  if (options.headers !== undefined || options.token !== undefined) {
    headers = new Headers(options.headers as HeadersInit | undefined);
  }
  if (options.token !== undefined) {
    headers?.set("authorization", `Bearer ${options.token}`);
  }
  const client = createClient<paths>({ baseUrl: options.baseUrl, headers, pathSerializer: serializePath });
  // openapi-fetch's methods do not use `this`. Middleware must receive real Requests, so the client
  // keeps a copy of the list that `use` adds to and `eject` removes from.
  const { use, eject } = client;
  const request = client.request as unknown as (method: string, url: string, init: CallInit) => Promise<CallResult>;
  const hooks: unknown[] = [];
  client.use = (...middleware) => {
    // Counted first: when `use` rejects an invalid entry, the ones before it are registered already.
    hooks.push(...middleware);
    use(...middleware);
  };
  client.eject = (...middleware) => {
    eject(...middleware);
    for (const hook of middleware) {
      // An index of -1 becomes 2^32 - 1, past the end, where splice removes nothing.
      hooks.splice(hooks.indexOf(hook) >>> 0, 1);
    }
  };

  async function call(method: string, url: string, init: CallInit | undefined): Promise<CallResult> {
    if (init?.params?.path === undefined && url.includes("{")) {
      serializePath(url, undefined); // throws the missing-parameter error that openapi-fetch would skip
    }
    const callerSignal = init?.signal ?? undefined;
    const state = new Call(
      method,
      url,
      callerSignal,
      readCallOption(init?.timeoutMs, "timeoutMs", settings.timeoutMs),
      readCallOption(init?.maxRetries, "maxRetries", settings.maxRetries),
    );
    const callFetch = init?.fetch;

    try {
      const result = await request(method, url, {
        Request: hooks.length > 0 || init?.middleware ? undefined : draftRequest,
        ...init,
        // The transport attaches the attempt's signal, which follows this one, when it sends.
        signal: undefined,
        fetch: (attemptRequest: Request) => send(attemptRequest, state, settings, callFetch),
      });
      result.requestId = state.requestId;
      if (!result.response.ok && !(result.error instanceof ProblemError)) {
        result.error = new ProblemError(result.response, result.error, state.requestId);
      }
      return result;
    } catch (error) {
      throw state.responded ? classifyBodyFailure(error, state) : error;
    } finally {
      state.finishAttempt();
    }
  }

  const fruxon = client as unknown as Record<string, unknown>;
  // Replaces GET, POST and the other upper-case method functions; `use` and `eject` keep the wrappers above.
  for (const method of Object.keys(fruxon)) {
    if (method === method.toUpperCase()) {
      fruxon[method] = (url: string, init?: CallInit) => call(method, url, init);
    }
  }
  fruxon.request = (method: string, url: string, init?: CallInit) => call(method.toUpperCase(), url, init);
  return client as unknown as FruxonClient;
}

/**
 * Replaces the Request that openapi-fetch builds when no middleware will see it: returns the init that
 * openapi-fetch built for this call alone, with the URL added, which the built-in fetch turns into its
 * only Request, as `fetch(url, init)` does. Each Request on Node 20 (undici) costs CPU time, more when
 * it follows another's signal (see `send`). Bodies other than a string (JSON) still get a Request.
 */
function draftRequest(url: string, init: RequestInit & { url?: string }): Request {
  if (typeof init.body === "string" || init.body == null) {
    init.url = url;
    return init as unknown as Request;
  }
  return new Request(url, init);
}

/** Maps a failure while openapi-fetch read the response body: abort, timeout, a cut connection or bad JSON. */
function classifyBodyFailure(error: unknown, state: Call): unknown {
  if (error instanceof SyntaxError) {
    return state.error(FruxonError, `returned a body that is not valid JSON: ${error.message}`, error);
  }
  // A cut connection rejects with TypeError, an aborted body read with the signal's reason.
  return error instanceof TypeError || error instanceof FruxonError || state.callerSignal?.aborted ? classifyFailure(error, state) : error;
}

interface Settings extends TransportSettings {
  timeoutMs: number;
  maxRetries: number;
}

function checkOptions(options: FruxonClientOptions): Settings {
  const { baseUrl, token, getToken, fetch } = options ?? {};
  if (typeof baseUrl !== "string" || !/^(\/|https?:\/\/[^/])/.test(baseUrl)) {
    fail(`baseUrl must be an http(s) URL such as "https://api.example.com" or a path starting with "/", got ${String(baseUrl)}`);
  }
  if (token !== undefined && getToken !== undefined) {
    fail("give either token or getToken, not both");
  }
  if (token !== undefined && (typeof token !== "string" || token === "")) {
    fail("token must be a non-empty string");
  }
  for (const [name, value] of [["getToken", getToken], ["fetch", fetch]] as const) {
    if (value !== undefined && typeof value !== "function") {
      fail(`${name} must be a function`);
    }
  }
  return {
    timeoutMs: readCallOption(options.timeoutMs, "timeoutMs", DEFAULT_TIMEOUT_MS),
    maxRetries: readCallOption(options.maxRetries, "maxRetries", DEFAULT_MAX_RETRIES),
    fetch,
    getToken,
    userAgent: options.userAgent,
    logger: createGatedLogger(options.logger, options.logLevel ?? "warn"),
  };
}

function fail(message: string): never {
  throw new TypeError(`createFruxonClient: ${message}`);
}

function readCallOption(value: unknown, name: "timeoutMs" | "maxRetries", fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  // setTimeout fires at once for delays above 2^31 - 1 ms, so that is the largest timeout.
  const limit = name === "timeoutMs" ? 2 ** 31 - 1 : MAX_RETRIES_LIMIT;
  if (!(Number.isInteger(value) && (value as number) >= 0 && (value as number) <= limit)) {
    throw new TypeError(`${name} must be an integer from 0 to ${limit}, got ${String(value)}`);
  }
  return value as number;
}
