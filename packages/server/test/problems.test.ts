import { describe, expect, it } from "vitest";

import { loadSpec } from "../src/contract/spec.js";
import { PROBLEM_TYPES, ProblemError, problemDocument, problemTypeUri } from "../src/problems.js";

interface CodeSchema {
  enum: string[];
  description: string;
}

const codeSchema = loadSpec().components?.schemas?.ProblemCode as CodeSchema;

/** Reads the `| code | status | meaning |` table of the spec's ProblemCode description. */
function documentedStatuses(): Map<string, number> {
  const statuses = new Map<string, number>();
  for (const match of codeSchema.description.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)) {
    statuses.set(match[1] ?? "", Number(match[2]));
  }
  return statuses;
}

describe("problem catalogue", () => {
  it("covers exactly the spec's codes", () => {
    expect(Object.keys(PROBLEM_TYPES).sort()).toEqual([...codeSchema.enum].sort());
  });

  it.each(Object.entries(PROBLEM_TYPES))("%s has the documented status", (code, type) => {
    expect(documentedStatuses().get(code)).toBe(type.status);
  });

  it("builds the problem document", () => {
    const error = new ProblemError("VALIDATION_FAILED", "1 value of the request is invalid; see errors.", {
      errors: [{ pointer: "/body/email", detail: "must be an email address" }],
    });

    expect(error.status).toBe(400);
    expect(error.toProblem("/v1/tenants/acme/users:invite", "req-1")).toEqual({
      type: "/problems/validation-failed",
      title: "Invalid request",
      status: 400,
      code: "VALIDATION_FAILED",
      detail: "1 value of the request is invalid; see errors.",
      instance: "/v1/tenants/acme/users:invite",
      requestId: "req-1",
      errors: [{ pointer: "/body/email", detail: "must be an email address" }],
    });
  });

  it("leaves out undefined members", () => {
    expect(problemDocument("NOT_FOUND")).toEqual({ type: "/problems/not-found", title: "Not found", status: 404, code: "NOT_FOUND" });
    expect(problemTypeUri("UNSUPPORTED_MEDIA_TYPE")).toBe("/problems/unsupported-media-type");
  });
});
