import type { FieldError, Problem, ProblemCode } from "@fruxon/api-types";

/** The media type of every error response (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = "application/problem+json";

export interface ProblemType {
  status: number;
  title: string;
}

/**
 * The closed catalogue of problem types: each stable code has exactly one HTTP status and one title.
 * The `Record` over the spec's `ProblemCode` enum makes a code added to the spec fail the type check here.
 */
export const PROBLEM_TYPES: Record<ProblemCode, ProblemType> = {
  VALIDATION_FAILED: { status: 400, title: "Invalid request" },
  MALFORMED_BODY: { status: 400, title: "Malformed request body" },
  INVALID_PAGE_TOKEN: { status: 400, title: "Invalid page token" },
  ALREADY_MEMBER: { status: 400, title: "Already a member" },
  INVITATION_EXPIRED: { status: 400, title: "Invitation expired" },
  INVALID_AVATAR: { status: 400, title: "Invalid avatar" },
  UNAUTHENTICATED: { status: 401, title: "Unauthenticated" },
  PERMISSION_DENIED: { status: 403, title: "Permission denied" },
  EMAIL_MISMATCH: { status: 403, title: "Email mismatch" },
  NOT_FOUND: { status: 404, title: "Not found" },
  METHOD_NOT_ALLOWED: { status: 405, title: "Method not allowed" },
  LAST_ADMIN: { status: 409, title: "Last admin" },
  SLUG_TAKEN: { status: 409, title: "Slug taken" },
  OPERATION_FINISHED: { status: 409, title: "Operation finished" },
  PRECONDITION_FAILED: { status: 412, title: "Precondition failed" },
  PAYLOAD_TOO_LARGE: { status: 413, title: "Payload too large" },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, title: "Unsupported media type" },
  RATE_LIMITED: { status: 429, title: "Too many requests" },
  INTERNAL: { status: 500, title: "Internal error" },
  UNAVAILABLE: { status: 503, title: "Service unavailable" },
};

export interface ProblemExtra {
  /** For `VALIDATION_FAILED`: one entry per invalid value. */
  errors?: FieldError[];
  /** Response headers to send with the problem, such as `Retry-After` or `WWW-Authenticate`. */
  headers?: Record<string, string>;
  cause?: unknown;
}

/**
 * An error that a handler or hook throws to send a problem document as the response.
 * The status and title come from `PROBLEM_TYPES`, so a code always maps to the same status.
 */
export class ProblemError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ProblemCode, detail?: string, extra: ProblemExtra = {}) {
    super(detail ?? PROBLEM_TYPES[code].title, extra.cause === undefined ? undefined : { cause: extra.cause });
    this.name = "ProblemError";
    this.code = code;
    this.status = PROBLEM_TYPES[code].status;
    this.title = PROBLEM_TYPES[code].title;
    this.detail = detail;
    this.errors = extra.errors;
    this.headers = extra.headers ?? {};
  }

  /** Builds the response body: the problem document for this error at `instance` for request `requestId`. */
  toProblem(instance: string, requestId: string): Problem {
    return problemDocument(this.code, { detail: this.detail, instance, requestId, errors: this.errors });
  }
}

/** Returns the `type` URI of a code: `/problems/` followed by the code in kebab case. */
export function problemTypeUri(code: ProblemCode): string {
  return `/problems/${code.toLowerCase().replaceAll("_", "-")}`;
}

/** Builds a problem document for `code`, leaving out the optional members that are undefined. */
export function problemDocument(
  code: ProblemCode,
  fields: { detail?: string | undefined; instance?: string | undefined; requestId?: string | undefined; errors?: FieldError[] | undefined } = {},
): Problem {
  const { status, title } = PROBLEM_TYPES[code];
  const problem: Problem = { type: problemTypeUri(code), title, status, code };
  if (fields.detail !== undefined) problem.detail = fields.detail;
  if (fields.instance !== undefined) problem.instance = fields.instance;
  if (fields.requestId !== undefined) problem.requestId = fields.requestId;
  if (fields.errors !== undefined) problem.errors = fields.errors;
  return problem;
}

export function isProblemError(error: unknown): error is ProblemError {
  return error instanceof ProblemError;
}
