import { setTimeout as delay } from "node:timers/promises";

/** Raised when the run's overall time limit (--timeout) has passed. */
export class BenchTimeoutError extends Error {
  constructor(message) {
    super(message);
    this.name = "BenchTimeoutError";
  }
}

/**
 * The one time limit of a run. Every wait reads the time left from it, and `signal` aborts when the
 * limit passes, which also stops the requests and polls in flight.
 */
export class Deadline {
  #endsAt;
  #timeoutMs;
  #controller = new AbortController();
  #timer;

  constructor(timeoutMs) {
    this.#timeoutMs = timeoutMs;
    this.#endsAt = Date.now() + timeoutMs;
    this.#timer = setTimeout(() => this.#controller.abort(this.error("the run")), timeoutMs);
  }

  get signal() {
    return this.#controller.signal;
  }

  /** Milliseconds left; throws `BenchTimeoutError` naming `step` when none are. */
  remainingMs(step) {
    const left = this.#endsAt - Date.now();
    if (left <= 0) throw this.error(step);
    return left;
  }

  /** Sleeps `ms`, or until the limit when that comes first, and throws `BenchTimeoutError` once the limit has passed. */
  async sleep(ms, step) {
    await delay(Math.min(ms, this.remainingMs(step)));
    this.remainingMs(step);
  }

  error(step) {
    return new BenchTimeoutError(`Timed out: ${step} did not finish within the run's limit of ${this.#timeoutMs / 1000} s; raise --timeout or lower --members/--batch.`);
  }

  dispose() {
    clearTimeout(this.#timer);
  }
}
