import { fileURLToPath } from "node:url";

import { describe, expect, it } from "vitest";

import { buildExampleRequest } from "./helpers/example-request.js";
import { listOperations, matchMediaType, readDocument, SchemaValidator } from "./helpers/openapi.js";

const fixture = readDocument(fileURLToPath(new URL("./fixtures/mini-openapi.json", import.meta.url)));
const operations = listOperations(fixture);

function operation(label: string) {
  const found = operations.find((entry) => entry.label === label);
  expect(found, `fixture has no operation ${label}`).toBeDefined();
  return found!;
}

describe("contract test helpers", () => {
  it("lists every fixture operation", () => {
    expect(operations.map((entry) => entry.label)).toEqual([
      "GET /v1/tenants",
      "POST /v1/tenants",
      "GET /v1/tenants/{tenant}/users/{user}",
      "POST /v1/tenants/{tenant}/users:invite",
      "POST /v1/me/pendingInvitations/{tenantId}:accept",
      "POST /v1/me/pendingInvitations/{tenantId}:decline",
      "GET /healthz",
    ]);
  });

  it("fills path parameters from examples", () => {
    const built = buildExampleRequest(fixture, operation("GET /v1/tenants/{tenant}/users/{user}"));

    expect(built).toEqual({
      ok: true,
      request: {
        method: "GET",
        path: "/v1/tenants/acme/users/0b7e3c1a-2f4d-4e5a-8b6c-7d8e9f0a1b2c",
        headers: { Authorization: "Bearer x" },
      },
    });
  });

  it("takes the body from a referenced example", () => {
    const built = buildExampleRequest(fixture, operation("POST /v1/tenants"));

    expect(built.ok).toBe(true);
    const { request } = built as Extract<typeof built, { ok: true }>;
    expect(request.body).toBe(JSON.stringify({ slug: "acme", displayName: "Acme Corp" }));
    expect(request.headers["Content-Type"]).toBe("application/json");
  });

  it("sends no token to an open operation", () => {
    const built = buildExampleRequest(fixture, operation("GET /healthz"));

    expect(built.ok).toBe(true);
    expect((built as Extract<typeof built, { ok: true }>).request.headers).toEqual({});
  });

  it("explains a missing example", () => {
    const entry = operation("POST /v1/tenants/{tenant}/users:invite");
    const withoutExample = {
      ...entry,
      requestBody: { content: { "application/json": { schema: { type: "object" } } } },
    };

    const built = buildExampleRequest(fixture, withoutExample);

    expect(built).toEqual({ ok: false, reason: "request body application/json has no example to send" });
  });

  it("matches media types with wildcards", () => {
    const content = { "application/json": {}, "*/*": {} };

    expect(matchMediaType(content, "application/json; charset=utf-8")?.mediaType).toBe("application/json");
    expect(matchMediaType(content, "text/csv")?.mediaType).toBe("*/*");
    expect(matchMediaType({ "application/json": {} }, "text/csv")).toBeUndefined();
  });

  it("validates against component schemas", () => {
    const validator = new SchemaValidator(fixture);
    const tenant = { id: "6f1c2d4e-8a9b-4c3d-9e2f-1a2b3c4d5e6f", slug: "acme", displayName: "Acme", createdAt: 1, modifiedAt: 1 };

    expect(validator.validateComponent("Tenant", tenant)).toEqual([]);
    expect(validator.validateComponent("Tenant", { ...tenant, createdAt: 1.5 })).toEqual([
      '/createdAt must be integer (type: "integer")',
      '/createdAt must match format "int64" (format: "int64")',
    ]);
    expect(validator.validateComponent("TenantPage", { items: [{ ...tenant, id: "x" }], totalCount: 1 })).toEqual([
      '/items/0/id must match format "uuid" (format: "uuid")',
    ]);
    expect(validator.validateComponent("Problem", { title: "t", status: 404 })).toEqual([
      "/ must have required property 'type' (missingProperty: \"type\")",
    ]);
  });
});
