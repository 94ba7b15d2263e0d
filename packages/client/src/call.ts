import { TimeoutError } from "./errors.js";

/**
 * State of one client call across its attempts: the request id, and the attempt's `AbortSignal`,
 * which fires when the attempt's timer runs out or the caller's own signal aborts.
 */
export class Call {
  requestId = "";
  /** Set once the transport returned a response, so later failures happened while reading its body. */
  responded = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private unlinkCaller: (() => void) | undefined;

  constructor(
    readonly method: string,
    readonly path: string,
    readonly callerSignal: AbortSignal | undefined,
    readonly timeoutMs: number,
    readonly maxRetries: number,
  ) {}

  /** Arms the timer of a new attempt and returns the signal to send it with. */
  startAttempt(): AbortSignal | undefined {
    this.finishAttempt();
    if (this.timeoutMs <= 0) {
      return this.callerSignal;
    }

    const controller = new AbortController();
    this.timer = setTimeout(() => {
      const requestId = this.requestId || undefined;
      const suffix = requestId === undefined ? "" : ` (request id ${requestId})`;
      controller.abort(new TimeoutError(`${this.method} ${this.path} timed out after ${this.timeoutMs} ms${suffix}`, { requestId }));
    }, this.timeoutMs);

    const caller = this.callerSignal;
    if (caller !== undefined) {
      if (caller.aborted) {
        controller.abort(caller.reason);
      } else {
        const onAbort = () => controller.abort(caller.reason);
        caller.addEventListener("abort", onAbort, { once: true });
        this.unlinkCaller = () => caller.removeEventListener("abort", onAbort);
      }
    }
    return controller.signal;
  }

  /** Clears the attempt's timer and its link to the caller's signal. */
  finishAttempt(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.unlinkCaller !== undefined) {
      this.unlinkCaller();
      this.unlinkCaller = undefined;
    }
  }
}
