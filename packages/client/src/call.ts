import { TimeoutError, type FruxonError } from "./errors.js";

/**
 * State of one client call across its attempts: the request id, and the attempt's `AbortSignal`,
 * which fires when the attempt's timer runs out or the caller's own signal aborts.
 */
export class Call {
  requestId = "";
  /** Set once the transport returned a response, so later failures happened while reading its body. */
  responded = false;
  // Declared rather than initialized, so the bundle carries no field list that the constructor repeats.
  declare private timer: ReturnType<typeof setTimeout> | undefined;
  declare private unlinkCaller: (() => void) | undefined;
  declare readonly method: string;
  declare readonly path: string;
  declare readonly callerSignal: AbortSignal | undefined;
  declare readonly timeoutMs: number;
  declare readonly maxRetries: number;

  constructor(method: string, path: string, callerSignal: AbortSignal | undefined, timeoutMs: number, maxRetries: number) {
    this.method = method;
    this.path = path;
    this.callerSignal = callerSignal;
    this.timeoutMs = timeoutMs;
    this.maxRetries = maxRetries;
  }

  /** Arms the timer of a new attempt and returns the signal to send it with. */
  startAttempt(): AbortSignal | undefined {
    this.finishAttempt();
    if (this.timeoutMs <= 0) {
      return this.callerSignal;
    }

    const controller = new AbortController();
    this.timer = setTimeout(() => controller.abort(this.error(TimeoutError, `timed out after ${this.timeoutMs} ms`)), this.timeoutMs);

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

  /** Builds an error whose message starts with the method and path and ends with the request id. */
  error(ErrorClass: new (message: string, options: { cause?: unknown; requestId?: string | undefined }) => FruxonError, text: string, cause?: unknown): FruxonError {
    const requestId = this.requestId || undefined;
    return new ErrorClass(`${this.method} ${this.path} ${text}${requestId ? ` (request id ${requestId})` : ""}`, { cause, requestId });
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
