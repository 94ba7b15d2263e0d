import type { ProblemCode } from "@fruxon/api-types";
import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";

import { PROBLEM_CONTENT_TYPE, ProblemError } from "../problems.js";

/** Problem codes for framework errors that carry only an HTTP status. */
const CODE_OF_STATUS: Partial<Record<number, ProblemCode>> = {
  400: "MALFORMED_BODY",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  405: "METHOD_NOT_ALLOWED",
  412: "PRECONDITION_FAILED",
  413: "PAYLOAD_TOO_LARGE",
  406: "UNSUPPORTED_MEDIA_TYPE",
  415: "UNSUPPORTED_MEDIA_TYPE",
  429: "RATE_LIMITED",
  503: "UNAVAILABLE",
};

/**
 * Maps any error to a `ProblemError`. Framework errors with a 4xx status keep their status and get a
 * fixed detail; everything else becomes `INTERNAL`, whose detail never carries the error's message.
 */
export function toProblemError(error: unknown, requestId: string): ProblemError {
  if (error instanceof ProblemError) return error;

  const fastifyError = error as Partial<FastifyError> & { status?: number };
  const status = fastifyError.statusCode ?? fastifyError.status;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
    case "FST_REQ_FILE_TOO_LARGE":
      return new ProblemError("PAYLOAD_TOO_LARGE", "The request body is larger than this operation accepts.", { cause: error });
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new ProblemError("UNSUPPORTED_MEDIA_TYPE", "The body's Content-Type is not accepted; send application/json.", { cause: error });
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return new ProblemError("MALFORMED_BODY", "The body is not valid JSON.", { cause: error });
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return new ProblemError("MALFORMED_BODY", "The Content-Type is application/json but the body is empty.", { cause: error });
    case "FST_ERR_CTP_INVALID_CONTENT_LENGTH":
      return new ProblemError("MALFORMED_BODY", "The Content-Length header does not match the body.", { cause: error });
    case "FST_ERR_BAD_URL":
      return new ProblemError("VALIDATION_FAILED", "The URL path is not valid percent-encoded UTF-8.", {
        errors: [{ pointer: "/path", detail: "must be valid percent-encoded UTF-8" }],
        cause: error,
      });
    default:
      break;
  }
  if (error instanceof SyntaxError && status === 400) {
    return new ProblemError("MALFORMED_BODY", "The body is not valid JSON.", { cause: error });
  }
  if (status !== undefined && status >= 400 && status < 500) {
    const code = CODE_OF_STATUS[status] ?? "MALFORMED_BODY";
    return new ProblemError(code, undefined, { cause: error });
  }
  return new ProblemError("INTERNAL", `An unexpected error occurred; quote the request id ${requestId} when reporting it.`, { cause: error });
}

/**
 * Sends a problem document for `problem`, with its headers, as `application/problem+json`. It sets
 * `x-request-id` itself because Fastify skips the `onSend` hooks for errors raised by the router.
 */
export function sendProblem(request: FastifyRequest, reply: FastifyReply, problem: ProblemError): FastifyReply {
  return reply
    .code(problem.status)
    .header("x-request-id", request.id)
    .headers(problem.headers)
    .type(PROBLEM_CONTENT_TYPE)
    .send(problem.toProblem(pathOf(request.url), request.id));
}

/** Returns the path of a request URL, without the query, for the problem's `instance`. */
function pathOf(url: string): string {
  const index = url.indexOf("?");
  return index === -1 ? url : url.slice(0, index);
}
