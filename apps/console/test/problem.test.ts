import { describe, expect, it } from "vitest";

import { AbortError, NetworkError, ProblemError } from "@fruxon/client";

import { fieldErrorsAt, toProblemView, unplacedFieldErrors, type ProblemView } from "../src/api/problem.js";

const view: ProblemView = {
  status: 400,
  code: "VALIDATION_FAILED",
  title: "Invalid request",
  detail: "3 fields of the request are invalid.",
  requestId: undefined,
  fieldErrors: [
    { pointer: "/body/email", detail: "must be a valid email address" },
    { pointer: "/body/invitations/2/email", detail: "must be a valid email address" },
    { pointer: "/body/emailAddress", detail: "is not allowed" },
  ],
};

describe("fieldErrorsAt", () => {
  it.each([
    ["exact pointer", "/body/email", ["must be a valid email address"]],
    ["pointer prefix", "/body/invitations", ["must be a valid email address"]],
    ["sibling with same start", "/body/emailAddress", ["is not allowed"]],
    ["no match", "/body/role", []],
  ] as const)("%s", (_label, pointer, expected) => {
    expect(fieldErrorsAt(view, pointer)).toEqual(expected);
  });

  it("no problem", () => {
    expect(fieldErrorsAt(null, "/body/email")).toEqual([]);
  });
});

describe("unplacedFieldErrors", () => {
  it("keeps pointers no field shows", () => {
    expect(unplacedFieldErrors(view, ["/body/email", "/body/invitations"]).map((error) => error.pointer)).toEqual([
      "/body/emailAddress",
    ]);
  });
});

describe("toProblemView", () => {
  it("problem error fields", () => {
    const body = {
      type: "/problems/last-admin",
      title: "Last admin",
      status: 409,
      detail: "Make another member ADMIN first.",
      code: "LAST_ADMIN",
      requestId: "req-1",
    };
    const error = new ProblemError(new Response(JSON.stringify(body), { status: 409 }), body);

    const result = toProblemView(error);

    expect(result.status).toBe(409);
    expect(result.code).toBe("LAST_ADMIN");
    expect(result.title).toBe("Last admin");
    expect(result.detail).toBe("Make another member ADMIN first.");
    expect(result.requestId).toBe("req-1");
    expect(result.fieldErrors).toEqual([]);
  });

  it("network error", () => {
    const result = toProblemView(new NetworkError("GET /v1/users/me failed: connection refused"));

    expect(result.status).toBeUndefined();
    expect(result.title).toBe("The request failed before the server answered.");
    expect(result.detail).toBe("GET /v1/users/me failed: connection refused");
  });

  it("aborted request", () => {
    expect(toProblemView(new AbortError("aborted")).title).toBe("The request was cancelled.");
  });
});
