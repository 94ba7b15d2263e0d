import type { Operation, OperationMetadata } from "@fruxon/api-types";

import { AbortError, OperationFailedError, TimeoutError } from "./errors.js";
import { parseRetryAfter, sleep } from "./retry.js";
import type { AnyFruxonClient } from "./types.js";
import { unwrap } from "./unwrap.js";

export interface WaitForOperationOptions {
  /** Stops waiting at once, aborting the poll in flight. */
  signal?: AbortSignal;
  /** Rejects with `TimeoutError` when the operation has not finished after this many milliseconds. */
  timeoutMs?: number;
  /** Called with the operation's metadata each time it changes; metadata is advisory and may move backwards. */
  onProgress?: (metadata: OperationMetadata, operation: Operation) => void;
}

/** The API's polling rule: every 1–5 seconds, and never more than once per second. */
const MIN_POLL_INTERVAL_MS = 1_000;
const MAX_POLL_INTERVAL_MS = 5_000;
const POLL_BACKOFF_FACTOR = 1.5;

/**
 * Polls an operation until it is DONE and returns it. The first poll is immediate. The interval then
 * starts at 1 s and grows by half up to 5 s, with ±20 % jitter and never under 1 s, and a `Retry-After`
 * on the response replaces it. Rejects with `OperationFailedError` when the operation ends FAILED,
 * `TimeoutError` after `timeoutMs`, `AbortError` when `signal` aborts, and `ProblemError` when a poll fails.
 */
export async function waitForOperation(
  client: AnyFruxonClient,
  target: { tenant: string; operation: string },
  options: WaitForOperationOptions = {},
): Promise<Operation> {
  const { signal, timeoutMs, onProgress } = options;
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new TypeError(`waitForOperation: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  const controller = new AbortController();
  let timedOut = false;
  const timer =
    timeoutMs === undefined
      ? undefined
      : setTimeout(() => {
          timedOut = true;
          controller.abort(new TimeoutError(`waitForOperation: operation ${target.operation} did not finish within ${timeoutMs} ms`));
        }, timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  if (signal?.aborted) {
    onAbort();
  }
  signal?.addEventListener("abort", onAbort, { once: true });

  try {
    let interval = MIN_POLL_INTERVAL_MS;
    let lastMetadata: string | undefined;
    for (;;) {
      const result = await client.GET("/v1/tenants/{tenant}/operations/{operation}", {
        params: { path: target },
        signal: controller.signal,
      });
      const operation = await unwrap(result);

      if (operation.metadata !== undefined && onProgress !== undefined) {
        const metadata = JSON.stringify(operation.metadata);
        if (metadata !== lastMetadata) {
          lastMetadata = metadata;
          onProgress(operation.metadata, operation);
        }
      }
      if (operation.status === "DONE") {
        return operation;
      }
      if (operation.status === "FAILED") {
        throw new OperationFailedError(operation);
      }

      const hinted = parseRetryAfter(result.response.headers.get("retry-after"));
      const jittered = Math.min(MAX_POLL_INTERVAL_MS, interval * (0.8 + Math.random() * 0.4));
      await sleep(Math.max(MIN_POLL_INTERVAL_MS, hinted ?? jittered), controller.signal);
      interval = Math.min(MAX_POLL_INTERVAL_MS, interval * POLL_BACKOFF_FACTOR);
    }
  } catch (error) {
    if (timedOut) {
      throw controller.signal.reason;
    }
    if (signal?.aborted) {
      throw new AbortError(`waitForOperation: waiting for operation ${target.operation} was aborted`, { cause: signal.reason });
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}
