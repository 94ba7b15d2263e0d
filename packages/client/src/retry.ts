/** Statuses that mean "try again later": timeout, rate limit and the gateway family. */
const RETRYABLE_STATUSES = new Set([408, 429, 502, 503, 504]);

/** Methods that RFC 9110 defines as idempotent or safe, so sending them twice does no harm. */
const IDEMPOTENT_METHODS = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

const INITIAL_DELAY_MS = 500;
const MAX_BACKOFF_MS = 8_000;

/** Upper bound on a server's `Retry-After`, so a misconfigured server cannot park a call for hours. */
export const MAX_RETRY_AFTER_MS = 60_000;

/**
 * Returns whether a request may be sent again: idempotent methods always, POST and PATCH only with an
 * `Idempotency-Key`, because the server then returns the first request's result for a repeat.
 */
export function isReplayable(request: Request): boolean {
  return (
    IDEMPOTENT_METHODS.has(request.method) ||
    ((request.method === "POST" || request.method === "PATCH") && request.headers.has("idempotency-key"))
  );
}

export function isRetryableStatus(status: number): boolean {
  return RETRYABLE_STATUSES.has(status);
}

/**
 * Parses `Retry-After` as delay-seconds or an HTTP date into milliseconds from `now`, bounded to
 * 0–60 s. Returns undefined when the header is absent or invalid.
 */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") {
    return undefined;
  }
  const text = value.trim();
  let delayMs: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    delayMs = Number(text) * 1000;
  } else if (/[a-z]/i.test(text)) {
    // An HTTP date names its day and month; requiring letters keeps Date.parse from reading "-5" as a year.
    delayMs = Date.parse(text) - now;
  } else {
    return undefined;
  }
  if (Number.isNaN(delayMs)) {
    return undefined;
  }
  return Math.min(Math.max(delayMs, 0), MAX_RETRY_AFTER_MS);
}

/** Capped exponential backoff with jitter: 0.5 s, 1 s, 2 s, … up to 8 s, each cut by up to a quarter, in whole ms. */
export function backoffDelay(retryNumber: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, INITIAL_DELAY_MS * 2 ** (retryNumber - 1));
  return Math.round(ceiling * (1 - Math.random() * 0.25));
}

/** Resolves after `ms`, or rejects with the signal's reason as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
