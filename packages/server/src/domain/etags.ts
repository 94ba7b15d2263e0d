import { ProblemError } from "../problems.js";

/** Returns the strong ETag of a member row: its version and modification time, quoted. */
export function memberETag(row: { version: number; modified_at: number }): string {
  return `"${row.version}-${row.modified_at}"`;
}

/**
 * Checks an `If-Match` header against the current ETag (RFC 9110, strong comparison). Absent means no
 * condition; `*` matches any existing resource; a list matches when one of its tags does. A weak tag never
 * matches. Throws 412 `PRECONDITION_FAILED` otherwise.
 */
export function checkIfMatch(ifMatch: string | undefined, currentETag: string): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(",").map((tag) => tag.trim());
  if (tags.includes("*") || tags.includes(currentETag)) return;
  throw new ProblemError(
    "PRECONDITION_FAILED",
    `If-Match ${ifMatch} does not match the user's current ETag ${currentETag}; read the user again and retry.`,
  );
}
