import type { Caller, HandlerRequest, OperationId } from "../contract/handler-types.js";
import { ProblemError } from "../problems.js";

/** Returns the verified caller of an authenticated operation. */
export function callerOf(request: HandlerRequest<OperationId>): Caller {
  // The app verifies the bearer token before any operation that declares security, so this only guards misuse.
  if (request.caller === null) throw new ProblemError("UNAUTHENTICATED", "This operation needs a bearer token.");
  return request.caller;
}
