import { readFileSync } from "node:fs";

import { resolveBundledSpec, startMock, type MockServer } from "@fruxon/mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { createFruxonClient, ProblemError, uploadFile, type FruxonClient } from "../src/index.js";

// Every operation of the bundled spec, called through the client against Prism. Prism checks each
// request against the spec, and answers with the declared example of the status asked for with
// `Prefer: code=…`, so each declared response goes through the client's parsing once.

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  example?: unknown;
  schema?: { example?: unknown };
}
interface Operation {
  operationId: string;
  parameters?: (Parameter | { $ref: string })[];
  requestBody?: { content: Record<string, { examples?: Record<string, { $ref?: string; value?: unknown }>; example?: unknown }> };
  responses: Record<string, { content?: Record<string, unknown> }>;
}
interface Spec {
  paths: Record<string, Record<string, Operation> & { parameters?: (Parameter | { $ref: string })[] }>;
  components: { parameters: Record<string, Parameter>; examples: Record<string, { value: unknown }> };
}

const spec = JSON.parse(readFileSync(resolveBundledSpec(), "utf8")) as Spec;
const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

function resolve<T>(value: T | { $ref: string }): T {
  if (typeof value === "object" && value !== null && "$ref" in value) {
    const [, , section, name] = value.$ref.split("/");
    return (spec.components as unknown as Record<string, Record<string, T>>)[section!]![name!]!;
  }
  return value;
}

const operations = Object.entries(spec.paths).flatMap(([path, item]) =>
  METHODS.filter((method) => item[method] !== undefined).map((method) => {
    const operation = item[method]!;
    const parameters = [...(item.parameters ?? []), ...(operation.parameters ?? [])].map((parameter) => resolve(parameter));
    const statuses = Object.keys(operation.responses).map(Number);
    return { path, method, operation, parameters, statuses };
  }),
);

function exampleOf(parameter: Parameter): unknown {
  const example = parameter.example ?? parameter.schema?.example;
  if (example === undefined) {
    throw new Error(`The spec gives no example for parameter "${parameter.name}"; add one so the contract test can call it`);
  }
  return example;
}

function requestParams(parameters: Parameter[]) {
  const params: Record<"path" | "query", Record<string, unknown>> = { path: {}, query: {} };
  for (const parameter of parameters) {
    if (parameter.in === "path" || (parameter.in === "query" && parameter.required)) {
      params[parameter.in as "path" | "query"][parameter.name] = exampleOf(parameter);
    }
  }
  return params;
}

function jsonBodyOf(operation: Operation): unknown {
  const media = operation.requestBody?.content["application/json"];
  if (media === undefined) {
    return undefined;
  }
  const first = Object.values(media.examples ?? {})[0];
  return first === undefined ? media.example : resolve(first as { value: unknown }).value;
}

function isJson(contentType: string): boolean {
  return contentType === "application/json" || contentType.endsWith("+json");
}

let mock: MockServer;
let client: FruxonClient;

beforeAll(async () => {
  mock = await startMock();
  // No retries: Prism's 429 and 503 examples carry Retry-After, and each status must arrive as sent.
  client = createFruxonClient({ baseUrl: mock.url, token: "contract-test-token", maxRetries: 0, timeoutMs: 10_000 });
});

afterAll(async () => {
  await mock?.stop();
});

beforeEach(async () => {
  await mock.clearLogs();
});

async function call(entry: (typeof operations)[number], status: number) {
  const { path, method, operation, parameters } = entry;
  const params = requestParams(parameters);
  const headers = { Prefer: `code=${status}` };
  const response = operation.responses[String(status)];
  const successContent = Object.keys(response?.content ?? {})[0];
  const parseAs = successContent !== undefined && !isJson(successContent) && status < 400 ? "text" : "json";

  if (operation.requestBody?.content["multipart/form-data"] !== undefined) {
    const tenant = String(params.path.tenant);
    if (status < 400) {
      return { data: await uploadFile(client, { tenant, file: new Blob(["id,email\n"], { type: "text/csv" }), filename: "users.csv" }) };
    }
    const form = new FormData();
    form.append("file", new Blob(["x"], { type: "text/plain" }), "x.txt");
    return client.request(method as "post", path as "/v1/tenants/{tenant}/storage", {
      params: { path: { tenant } },
      body: form as never,
      headers,
    });
  }
  return client.request(method as "get", path as "/v1/tenants", { params, body: jsonBodyOf(operation), headers, parseAs } as never);
}

async function requestViolations() {
  const violations = await mock.violations();
  return violations.filter((violation) => violation.severity === "error" && violation.location.startsWith("request"));
}

it("covers every operation of the spec", () => {
  expect(operations.length).toBeGreaterThanOrEqual(20);
  expect(new Set(operations.map((entry) => entry.operation.operationId)).size).toBe(operations.length);
});

it("sees Prism report an invalid request", async () => {
  const result = await client.POST("/v1/tenants", { body: { slug: "Not A Slug!" } as never });

  expect(result.error).toBeInstanceOf(ProblemError);
  expect((await requestViolations()).map((violation) => violation.location)).toContain("request.body");
});

describe.each(operations.map((entry) => [`${entry.method.toUpperCase()} ${entry.path}`, entry] as const))("%s", (_label, entry) => {
  const successStatuses = entry.statuses.filter((status) => status < 400);
  const errorStatuses = entry.statuses.filter((status) => status >= 400);

  it.each(successStatuses)("parses the declared %i response", async (status) => {
    const result = await call(entry, status);

    expect(await requestViolations()).toEqual([]);
    expect("error" in result ? result.error : undefined).toBeUndefined();
    if ("response" in result) {
      expect(result.response.status).toBe(status);
    }
    const declared = entry.operation.responses[String(status)]?.content;
    if (declared === undefined) {
      expect(result.data).toBeUndefined();
    } else {
      expect(result.data).toBeDefined();
      expect(result.data).not.toBe("");
    }
  });

  it.each(errorStatuses)("turns the declared %i response into a ProblemError", async (status) => {
    const result = await call(entry, status);

    expect(await requestViolations()).toEqual([]);
    const response = "response" in result ? result.response : undefined;
    expect(response?.status).toBe(status);
    const error = "error" in result ? result.error : undefined;
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toMatchObject({ status, type: expect.any(String), title: expect.any(String), code: expect.any(String) });
    expect((error as ProblemError).message).toMatch(new RegExp(`^${status} `));
  });
});
