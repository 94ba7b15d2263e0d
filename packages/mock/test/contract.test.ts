import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { formatViolation, resolveBundledSpec, startMock, type MockServer } from "../src/index.js";
import { buildExampleRequest, type ExampleRequest } from "./helpers/example-request.js";
import {
  declaredResponse,
  isJsonMediaType,
  listOperations,
  matchMediaType,
  readDocument,
  SchemaValidator,
  type OperationEntry,
} from "./helpers/openapi.js";

// The operations come from the bundle itself, so a new path is covered without editing this file.
const specPath = resolveBundledSpec();
const document = readDocument(specPath);
const operations = listOperations(document);
const validator = new SchemaValidator(document);

// Error statuses to ask Prism for, most telling first.
const PREFERRED_ERROR_STATUSES = [404, 400, 409, 403, 401, 412, 413, 415, 429, 500, 503];

let mock: MockServer;

beforeAll(async () => {
  mock = await startMock({ specPath });
});

afterAll(async () => {
  await mock?.stop();
});

async function send(request: ExampleRequest, extraHeaders: Record<string, string> = {}): Promise<Response> {
  return fetch(`${mock.url}${request.path}`, {
    method: request.method,
    headers: { ...request.headers, ...extraHeaders },
    body: request.body ?? null,
  });
}

function requestFor(operation: OperationEntry): ExampleRequest {
  const built = buildExampleRequest(document, operation);
  if (!built.ok) {
    expect.fail(`${operation.label} cannot be exercised: ${built.reason}. Add the missing example to the spec.`);
  }
  return built.request;
}

/** Checks status, headers and body of a response against what the operation declares. */
async function expectDeclaredResponse(operation: OperationEntry, response: Response): Promise<unknown> {
  const status = response.status;
  const bodyText = await response.text();
  const context = `${operation.label} returned ${status} with body ${bodyText.slice(0, 500)}`;

  const declared = declaredResponse(operation, status);
  expect(declared, `${context}: status ${status} is not declared (declared: ${Object.keys(operation.responses).join(", ")})`).toBeDefined();
  expect(response.headers.get("sl-violations"), `${context}: Prism reported violations`).toBeNull();

  for (const [name, rawHeader] of Object.entries(declared!.response.headers ?? {})) {
    const header = rawHeader as { required?: boolean };
    if (header.required === true) {
      expect(response.headers.get(name), `${context}: required header ${name} is missing`).not.toBeNull();
    }
  }

  const content = declared!.response.content;
  if (content === undefined || Object.keys(content).length === 0) {
    expect(bodyText, `${context}: response ${declared!.key} declares no body`).toBe("");
    return undefined;
  }
  const contentType = response.headers.get("content-type") ?? "";
  const media = matchMediaType(content, contentType);
  expect(media, `${context}: Content-Type "${contentType}" is not one of ${Object.keys(content).join(", ")}`).toBeDefined();
  if (!isJsonMediaType(contentType)) {
    // NOTE: a non-JSON body (a file download) is only checked for its declared media type.
    return bodyText;
  }

  const body: unknown = JSON.parse(bodyText);
  const errors = validator.validate(media!.media.schema, body);
  expect(errors, `${context}: body does not match the schema of ${declared!.key} ${media!.mediaType}`).toEqual([]);
  return body;
}

function errorStatusFor(operation: OperationEntry): number | undefined {
  const declared = new Set(Object.keys(operation.responses).map(Number));
  return PREFERRED_ERROR_STATUSES.find((status) => declared.has(status));
}

describe("mock contract", () => {
  it("bundle lists operations", () => {
    expect(operations.length, `no operation found in ${specPath}`).toBeGreaterThan(0);
  });

  describe.each(operations.map((operation) => [operation.label, operation] as const))("%s", (_label, operation) => {
    it("answers an example request as declared", async () => {
      const request = requestFor(operation);

      const response = await send(request);

      expect(response.status, `${operation.label}: a valid request must succeed`).toBeGreaterThanOrEqual(200);
      expect(response.status, `${operation.label}: a valid request must succeed`).toBeLessThan(300);
      await expectDeclaredResponse(operation, response);
    });

    it("answers a requested error as a problem", async () => {
      const status = errorStatusFor(operation);
      expect(
        status,
        `${operation.label} declares none of the error statuses ${PREFERRED_ERROR_STATUSES.join(", ")}`,
      ).toBeDefined();
      const request = requestFor(operation);

      const response = await send(request, { Prefer: `code=${status!}` });

      expect(response.status, `${operation.label} with Prefer: code=${status!}`).toBe(status);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json\b/);
      const body = await expectDeclaredResponse(operation, response);
      expect(validator.validateComponent("Problem", body), `${operation.label} ${status!} body is not a Problem`).toEqual([]);
      expect((body as { status?: unknown }).status, `${operation.label} ${status!} example states another status`).toBe(status);
    });
  });

  it("Prism logged no violation", async () => {
    expect((await mock.violations()).map(formatViolation)).toEqual([]);
  });
});
