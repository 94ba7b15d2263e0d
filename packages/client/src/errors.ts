import type { FieldError, Problem, ProblemCode } from "@fruxon/api-types";

/** Base class of every error that the client throws or returns, so one `instanceof` catches them all. */
export class FruxonError extends Error {
  // Written out because minifiers rename classes, which would change `constructor.name`.
  override name = "FruxonError";
  /** The `x-request-id` sent with the request, when one was sent. */
  declare requestId: string | undefined;

  constructor(message: string, options?: { cause?: unknown; requestId?: string | undefined }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.requestId = options?.requestId;
  }
}

/**
 * An error response of the API, built from its RFC 9457 `application/problem+json` body.
 *
 * The problem members are copied onto the error, so it also reads as the `Problem` the spec declares.
 * A response without a problem body (a proxy's HTML page, an empty body) still gives a `ProblemError`,
 * with `type` "about:blank", the status text as `title` and the start of the body as `detail`.
 */
export class ProblemError<Status extends number = number, Body = unknown> extends FruxonError {
  override name = "ProblemError";
  declare readonly status: Status;
  declare readonly type: string;
  declare readonly title: string;
  declare readonly detail: string | undefined;
  declare readonly instance: string | undefined;
  /** The catalogue code, such as `LAST_ADMIN`; undefined when the body was not a problem document. */
  declare readonly code: ProblemCode | undefined;
  /** Field errors of a validation problem, each with a JSON pointer into the request. */
  declare readonly errors: FieldError[] | undefined;
  /** The parsed body: the problem document, the text of a non-JSON body, or undefined when empty. */
  declare readonly body: Body;
  declare readonly response: Response;

  constructor(response: Response, body: Body, requestId?: string) {
    const problem = readProblem(body);
    const status = response.status as Status;
    const title = problem?.title ?? (response.statusText || `HTTP ${response.status}`);
    const detail = problem === undefined ? describeBody(body) : problem.detail;
    // The id the client sent comes first: it is known even when the server never saw the request.
    const id = requestId ?? problem?.requestId ?? response.headers.get("x-request-id") ?? undefined;
    super(formatMessage(status, title, detail, problem?.code, id), { requestId: id });

    this.status = status;
    this.type = problem?.type ?? "about:blank";
    this.title = title;
    this.detail = detail;
    this.instance = problem?.instance;
    this.code = problem?.code;
    this.errors = problem?.errors;
    // Not enumerable, so logging or serializing the error prints the problem members only.
    Object.defineProperties(this, { body: { value: body }, response: { value: response } });
  }
}

/** The request never got a response: DNS, connection refused or reset, TLS, or a body cut short. */
export class NetworkError extends FruxonError {
  override name = "NetworkError";
}

/** An attempt, or `waitForOperation`, ran longer than its `timeoutMs`. */
export class TimeoutError extends FruxonError {
  override name = "TimeoutError";
}

/** The caller aborted the request through its `AbortSignal`; `cause` is the signal's reason. */
export class AbortError extends FruxonError {
  override name = "AbortError";
}

/** A long-running operation ended FAILED; `operation.error` gives the server's reason. */
export class OperationFailedError<Operation extends { error?: string } = { error?: string }> extends FruxonError {
  override name = "OperationFailedError";
  declare readonly operation: Operation;

  constructor(operation: Operation & { name: string }) {
    super(`Operation ${operation.name} failed: ${operation.error ?? "the server gave no reason"}`);
    this.operation = operation;
  }
}

const MAX_DETAIL_LENGTH = 200;

function readProblem(body: unknown): Partial<Problem> | undefined {
  if (body === null || typeof body !== "object" || Array.isArray(body)) {
    return undefined;
  }
  const candidate = body as Partial<Problem>;
  return typeof candidate.title === "string" || typeof candidate.type === "string" ? candidate : undefined;
}

function describeBody(body: unknown): string | undefined {
  if (body === undefined || body === null || body === "") {
    return undefined;
  }
  const text = typeof body === "string" ? body.trim() : JSON.stringify(body);
  return text.length > MAX_DETAIL_LENGTH ? `${text.slice(0, MAX_DETAIL_LENGTH)}…` : text;
}

function formatMessage(
  status: number,
  title: string,
  detail: string | undefined,
  code: string | undefined,
  requestId: string | undefined,
): string {
  const context = [code, requestId === undefined ? undefined : `request id ${requestId}`].filter(Boolean).join(", ");
  return `${status} ${title}${detail ? `: ${detail}` : ""}${context ? ` (${context})` : ""}`;
}
