import { describe, expect, it } from "vitest";

import { formatViolation, ViolationCollector, type PrismViolation } from "../src/violations.js";

// Lines as Prism 5.14 prints them with colours off.
const received = (method: string, path: string) =>
  `[7:54:35 PM] › [HTTP SERVER] ${method} ${path} ℹ  info      Request received`;

describe.each<[string, { given: string[]; want: PrismViolation[] }]>([
  [
    "response violation",
    {
      given: [
        received("get", "/healthz"),
        "[7:54:35 PM] ›     [VALIDATOR] ✖  error     Violation: response.body.status Response body property status must be equal to one of the allowed values: OK",
      ],
      want: [
        {
          severity: "error",
          location: "response.body.status",
          message: "Response body property status must be equal to one of the allowed values: OK",
          request: "GET /healthz",
        },
      ],
    },
  ],
  [
    "warning without location",
    {
      given: [received("get", "/nowhere"), "[7:54:35 PM] ›     [VALIDATOR] ⚠  warning   Violation:  Selected route not found"],
      want: [{ severity: "warning", location: "request", message: "Selected route not found", request: "GET /nowhere" }],
    },
  ],
  [
    "summary line under --errors",
    {
      given: [
        "[7:54:35 PM] › [HTTP SERVER] post /v1/tenants ✖  error     Request terminated with error: https://stoplight.io/prism/errors#VIOLATIONS: Request/Response not valid",
      ],
      want: [
        {
          severity: "error",
          location: "response",
          message: 'Request/Response not valid (Prism sent a 500 problem whose "validation" member lists each violation)',
          request: "POST /v1/tenants",
        },
      ],
    },
  ],
  [
    "coloured line",
    {
      given: ["\u001b[31m[VALIDATOR] ✖  error     Violation: request.query.pagesize Request query parameter pagesize must be <= 100\u001b[39m"],
      want: [{ severity: "error", location: "request.query.pagesize", message: "Request query parameter pagesize must be <= 100" }],
    },
  ],
  [
    "lines that are not violations",
    {
      given: [
        "[7:52:04 PM] › [CLI] ▶  start     Prism is listening on http://127.0.0.1:4731",
        "[7:52:08 PM] ›     [VALIDATOR] ✔  success   The request passed the validation rules. Looking for the best response",
        "[7:52:08 PM] › [HTTP SERVER] get /nowhere ✖  error     Request terminated with error: https://stoplight.io/prism/errors#NO_PATH_MATCHED_ERROR: Route not resolved, no path matched",
      ],
      want: [],
    },
  ],
  [
    "requests Prism answered itself",
    {
      given: [
        "[7:52:08 PM] › [HTTP SERVER] get /v1/tenants ✖  error     Request terminated with error: https://stoplight.io/prism/errors#UNAUTHORIZED: Invalid security scheme used",
        "[7:52:08 PM] › [HTTP SERVER] post /v1/me/pendingInvitations/x:decline ✖  error     Request terminated with error: https://stoplight.io/prism/errors#UNPROCESSABLE_ENTITY: Invalid request",
      ],
      want: [
        {
          severity: "error",
          location: "request",
          message: "Invalid security scheme used (Prism sent a 401 problem and did not forward the request)",
          request: "GET /v1/tenants",
        },
        {
          severity: "error",
          location: "request",
          message: 'Invalid request (Prism sent a 422 problem whose "validation" member lists each violation)',
          request: "POST /v1/me/pendingInvitations/x:decline",
        },
      ],
    },
  ],
])("ViolationCollector: %s", (_label, { given, want }) => {
  it("collects the expected violations", () => {
    const collector = new ViolationCollector();

    for (const line of given) {
      collector.push(line);
    }

    expect(collector.list()).toEqual(want);
  });
});

describe("ViolationCollector", () => {
  it("clear forgets earlier violations", () => {
    const collector = new ViolationCollector();
    collector.push("[VALIDATOR] ✖  error     Violation: request Invalid security scheme used");

    collector.clear();

    expect(collector.list()).toEqual([]);
  });

  it("formats a violation on one line", () => {
    const line = formatViolation({ severity: "error", location: "response.body", message: "must be object", request: "GET /x" });

    expect(line).toBe("error response.body: must be object (GET /x)");
  });
});
