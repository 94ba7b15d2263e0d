import { connect, type AddressInfo } from "node:net";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { fromRouterPath, toPathPattern, toRouterPath } from "../src/contract/paths.js";
import { listOperations, loadSpec } from "../src/contract/spec.js";
import { STATIC_ROUTES } from "../src/static.js";
import { TENANT, USER } from "./fixtures/canned-handlers.js";
import { signToken, startTestApp, type TestApp } from "./fixtures/test-app.js";

const TENANT_ID = "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10";

let test: TestApp;
let auth: { authorization: string };

beforeAll(async () => {
  test = await startTestApp({
    handlers: {
      // Returns a property the Tenant schema does not declare; serialization must drop it.
      getTenant: async () => ({ status: 200, body: { ...TENANT, internalNote: "never sent" } as typeof TENANT }),
      // Returns a property nested in a list item.
      getUser: async () => ({ status: 200, body: { ...USER, passwordHash: "never sent" } as typeof USER }),
      deleteUser: async () => {
        throw new Error("database exploded at /srv/secret/path");
      },
    },
  });
  auth = { authorization: `Bearer ${await signToken()}` };
});

afterAll(async () => {
  await test.close();
});

describe("path translation", () => {
  it.each([
    ["/v1/tenants/{tenant}", "/v1/tenants/:tenant"],
    ["/v1/tenants/{tenant}/users:invite", "/v1/tenants/:tenant/users::invite"],
    ["/v1/me/pendingInvitations/{tenantId}:accept", "/v1/me/pendingInvitations/:tenantId(^[^:]+)::accept"],
    ["/v1/tenants/{tenant}/operations/{operation}:cancel", "/v1/tenants/:tenant/operations/:operation(^[^:]+)::cancel"],
  ])("%s becomes %s and back", (template, routerPath) => {
    expect(toRouterPath(template)).toBe(routerPath);
    expect(fromRouterPath(routerPath)).toBe(template);
  });

  it("path pattern matches one segment per parameter", () => {
    const pattern = toPathPattern("/v1/tenants/{tenant}/users:invite");

    expect(pattern.test("/v1/tenants/acme/users:invite")).toBe(true);
    expect(pattern.test("/v1/tenants/acme/x/users:invite")).toBe(false);
    expect(pattern.test("/v1/tenants/acme/usersXinvite")).toBe(false);
  });
});

describe("router and spec", () => {
  it("registers exactly the spec's operations plus the static routes", () => {
    const operations = listOperations(loadSpec());
    const expected = [...operations.map((operation) => `${operation.method} ${operation.path}`), ...STATIC_ROUTES].sort();

    const registered = test.app.registeredRoutes.map((route) => `${route.method} ${fromRouterPath(route.url)}`).sort();

    expect(registered).toEqual(expected);
    expect(new Set(registered).size).toBe(registered.length);
  });

  it("accept and decline reach different handlers", async () => {
    test.calls.length = 0;

    const accept = await test.app.inject({ method: "POST", url: `/v1/me/pendingInvitations/${TENANT_ID}:accept`, headers: auth });
    const decline = await test.app.inject({ method: "POST", url: `/v1/me/pendingInvitations/${TENANT_ID}:decline`, headers: auth });

    expect(accept.statusCode).toBe(204);
    expect(decline.statusCode).toBe(204);
    expect(test.calls.map((call) => call.operationId)).toEqual(["acceptPendingInvitation", "declinePendingInvitation"]);
    expect(test.calls.map((call) => call.request.path)).toEqual([{ tenantId: TENANT_ID }, { tenantId: TENANT_ID }]);
  });

  it("users:invite is not read as a user id", async () => {
    test.calls.length = 0;

    const invite = await test.app.inject({
      method: "POST",
      url: "/v1/tenants/t1/users:invite",
      headers: auth,
      payload: { email: "ben@example.com", role: "MEMBER" },
    });
    const get = await test.app.inject({ method: "GET", url: "/v1/tenants/t1/users:invite", headers: auth });

    expect(invite.statusCode).toBe(200);
    expect(test.calls.map((call) => [call.operationId, call.request.path])).toEqual([["inviteUser", { tenant: "t1" }]]);
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe("POST");
  });

  it("an unknown custom method is 404", async () => {
    const response = await test.app.inject({ method: "POST", url: `/v1/me/pendingInvitations/${TENANT_ID}:ignore`, headers: auth });

    expect(response.statusCode).toBe(404);
    expect(response.json().code).toBe("NOT_FOUND");
  });
});

describe("request validation", () => {
  it.each([
    [
      "invalid body fields",
      { method: "POST", url: "/v1/tenants", payload: { slug: "Ab!", displayName: "" } },
      [
        { pointer: "/body/slug", detail: "must match the pattern ^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$" },
        { pointer: "/body/displayName", detail: "must be at least 1 characters long" },
      ],
    ],
    [
      "missing required body fields",
      { method: "POST", url: "/v1/tenants", payload: {} },
      [
        { pointer: "/body/slug", detail: "is required" },
        { pointer: "/body/displayName", detail: "is required" },
      ],
    ],
    [
      "unknown body properties",
      { method: "POST", url: "/v1/tenants/acme/users:invite", payload: { email: "ben@example.com", role: "MEMBER", admin: true } },
      [{ pointer: "/body/admin", detail: "is not a known property; remove it" }],
    ],
    [
      "bad email and unassignable role",
      { method: "POST", url: "/v1/tenants/acme/users:invite", payload: { email: "not-an-email", role: "UNSPECIFIED" } },
      [
        { pointer: "/body/email", detail: "must be an email address" },
        { pointer: "/body/role", detail: 'must be one of "ADMIN", "MEMBER"' },
      ],
    ],
    [
      "nested array items",
      { method: "POST", url: "/v1/tenants/acme/users:batchInvite", payload: { invitations: [{ email: "a@example.com", role: "ADMIN" }, { email: "b@example.com" }] } },
      [{ pointer: "/body/invitations/1/role", detail: "is required" }],
    ],
    [
      "a string where a number is expected in the body",
      { method: "PATCH", url: "/v1/users/me", payload: { firstName: 5 } },
      [{ pointer: "/body/firstName", detail: "must be of type string or null" }],
    ],
    [
      "query bounds and enums",
      { method: "GET", url: "/v1/tenants/acme/users?pageSize=101&status=GONE&role=UNSPECIFIED" },
      [
        { pointer: "/query/pageSize", detail: "must be at most 100" },
        { pointer: "/query/status", detail: 'must be one of "INVITED", "ACTIVE"' },
        { pointer: "/query/role", detail: 'must be one of "ADMIN", "MEMBER"' },
      ],
    ],
    [
      "a path parameter that is not a UUID",
      { method: "GET", url: "/v1/tenants/acme/users/42" },
      [{ pointer: "/path/user", detail: "must be a UUID" }],
    ],
    [
      "a header parameter that is too long",
      { method: "DELETE", url: `/v1/tenants/acme/users/${USER.id}`, headers: { "if-match": "x".repeat(129) } },
      [{ pointer: "/headers/If-Match", detail: "must be at most 128 characters long" }],
    ],
    [
      "errors from several parts at once",
      { method: "PATCH", url: "/v1/tenants/acme/users/nope?", payload: { role: "OWNER" } },
      [
        { pointer: "/path/user", detail: "must be a UUID" },
        { pointer: "/body/role", detail: 'must be one of "ADMIN", "MEMBER"' },
      ],
    ],
  ] as const)("%s", async (_label, request, errors) => {
    test.calls.length = 0;

    const response = await test.app.inject({ ...request, headers: { ...auth, ...("headers" in request ? request.headers : {}) } });

    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const problem = response.json();
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.type).toBe("/problems/validation-failed");
    expect(problem.errors).toEqual(errors);
    expect(test.calls).toEqual([]);
  });

  it.each([
    ["without Content-Type", {}],
    ["with an empty JSON body", { "content-type": "application/json" }],
  ])("missing body %s is reported at /body", async (_label, headers) => {
    const response = await test.app.inject({ method: "POST", url: "/v1/tenants", headers: { ...auth, ...headers }, payload: "" });

    expect(response.statusCode).toBe(400);
    expect(response.json().code).toBe("VALIDATION_FAILED");
    expect(response.json().errors).toEqual([{ pointer: "/body", detail: "The request body is required: send a JSON object." }]);
  });

  it("empty JSON body is fine without a request body", async () => {
    const response = await test.app.inject({
      method: "POST",
      url: `/v1/me/pendingInvitations/${TENANT_ID}:accept`,
      headers: { ...auth, "content-type": "application/json" },
      payload: "",
    });

    expect(response.statusCode).toBe(204);
  });

  it("coerces query values and applies defaults", async () => {
    test.calls.length = 0;

    await test.app.inject({ method: "GET", url: "/v1/tenants/acme/users?pageSize=5&q=ana&ignored=1", headers: auth });
    await test.app.inject({ method: "GET", url: "/v1/tenants/acme/users", headers: auth });

    expect(test.calls.map((call) => call.request.query)).toEqual([{ pageSize: 5, q: "ana" }, { pageSize: 25 }]);
  });

  it("passes header parameters under their spec names", async () => {
    test.calls.length = 0;

    await test.app.inject({
      method: "PATCH",
      url: `/v1/tenants/acme/users/${USER.id}`,
      headers: { ...auth, "if-match": '"3-1"' },
      payload: { role: "MEMBER" },
    });

    expect(test.calls[0]?.request.headers).toMatchObject({ "If-Match": '"3-1"' });
  });

  it("a repeated scalar query parameter is invalid", async () => {
    const response = await test.app.inject({ method: "GET", url: "/v1/tenants/acme/users?q=a&q=b", headers: auth });

    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([{ pointer: "/query/q", detail: "must be of type string" }]);
  });
});

describe("response serialization", () => {
  it("drops properties the schema does not declare", async () => {
    const tenant = await test.app.inject({ method: "GET", url: "/v1/tenants/acme", headers: auth });
    const user = await test.app.inject({ method: "GET", url: `/v1/tenants/acme/users/${USER.id}`, headers: auth });

    expect(tenant.statusCode).toBe(200);
    expect(tenant.json()).toEqual(TENANT);
    expect(tenant.body).not.toContain("internalNote");
    expect(user.json()).toEqual(USER);
    expect(user.body).not.toContain("passwordHash");
  });

  it("sets x-request-id and no-store on authenticated responses", async () => {
    const response = await test.app.inject({ method: "GET", url: "/v1/tenants", headers: { ...auth, "x-request-id": "trace-abc-123" } });

    expect(response.statusCode).toBe(200);
    expect(response.headers["x-request-id"]).toBe("trace-abc-123");
    expect(response.headers["cache-control"]).toBe("no-store");
  });

  it("generates a request id when the header is invalid", async () => {
    const response = await test.app.inject({ method: "GET", url: "/nowhere", headers: { "x-request-id": "has spaces" } });

    expect(response.headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/);
    expect(response.json().requestId).toBe(response.headers["x-request-id"]);
  });

  it("leaves unauthenticated operations cacheable", async () => {
    const response = await test.app.inject({ method: "GET", url: "/healthz" });

    expect(response.statusCode).toBe(200);
    expect(response.headers["cache-control"]).toBeUndefined();
    expect(response.headers["x-request-id"]).toBeDefined();
  });
});

describe("framework errors", () => {
  it("unknown route is 404 problem", async () => {
    const response = await test.app.inject({ method: "GET", url: "/v2/things?x=1" });

    expect(response.statusCode).toBe(404);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: "/problems/not-found", title: "Not found", status: 404, code: "NOT_FOUND", instance: "/v2/things" });
  });

  it("known path with another method is 405 with Allow", async () => {
    const response = await test.app.inject({ method: "PUT", url: "/v1/tenants/acme/users/" + USER.id, headers: auth });

    expect(response.statusCode).toBe(405);
    expect(response.headers.allow).toBe("DELETE, GET, PATCH");
    expect(response.json()).toMatchObject({ status: 405, code: "METHOD_NOT_ALLOWED" });
  });

  it("body over the limit is 413", async () => {
    const response = await test.app.inject({
      method: "POST",
      url: "/v1/tenants",
      headers: { ...auth, "content-type": "application/json" },
      payload: JSON.stringify({ slug: "acme", displayName: "x".repeat(test.config.bodyLimitBytes) }),
    });

    expect(response.statusCode).toBe(413);
    expect(response.json()).toMatchObject({ status: 413, code: "PAYLOAD_TOO_LARGE" });
  });

  it.each([
    ["text/plain", "slug=acme"],
    ["application/x-www-form-urlencoded", "slug=acme"],
    ["multipart/form-data; boundary=x", "--x\r\nContent-Disposition: form-data; name=\"slug\"\r\n\r\nacme\r\n--x--\r\n"],
  ])("%s body on a JSON operation is 415", async (contentType, payload) => {
    const response = await test.app.inject({ method: "POST", url: "/v1/tenants", headers: { ...auth, "content-type": contentType }, payload });

    expect(response.statusCode).toBe(415);
    expect(response.json()).toMatchObject({ status: 415, code: "UNSUPPORTED_MEDIA_TYPE" });
  });

  it.each([
    ["truncated JSON", '{"slug": "acme"'],
    ["prototype poisoning", '{"slug":"acme","displayName":"A","__proto__":{"admin":true}}'],
  ])("%s is 400 MALFORMED_BODY", async (_label, payload) => {
    const response = await test.app.inject({ method: "POST", url: "/v1/tenants", headers: { ...auth, "content-type": "application/json" }, payload });

    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ status: 400, code: "MALFORMED_BODY" });
  });

  it("handler crash is a generic 500", async () => {
    const response = await test.app.inject({ method: "DELETE", url: `/v1/tenants/acme/users/${USER.id}`, headers: { ...auth, "x-request-id": "crash-1" } });

    expect(response.statusCode).toBe(500);
    const problem = response.json();
    expect(problem).toMatchObject({ status: 500, code: "INTERNAL", requestId: "crash-1" });
    expect(problem.detail).toContain("crash-1");
    expect(response.body).not.toContain("exploded");
    expect(response.body).not.toContain("/srv/secret");
    expect(response.body).not.toContain("at ");
    const logged = test.logs.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry.msg === "request failed" && entry.requestId === "crash-1");
    expect(logged).toMatchObject({ requestId: "crash-1", level: 50, code: "INTERNAL" });
    expect(JSON.stringify(logged)).toContain("exploded");
  });

  it("malformed URL encoding is a problem", async () => {
    const response = await test.app.inject({ method: "GET", url: "/v1/tenants/%E0%A4%A", headers: { ...auth, "x-request-id": "bad-url-1" } });

    expect(response.statusCode).toBe(400);
    expect(response.headers["content-type"]).toMatch(/^application\/problem\+json/);
    expect(response.headers["x-request-id"]).toBe("bad-url-1");
    expect(response.json()).toMatchObject({ code: "VALIDATION_FAILED", requestId: "bad-url-1", errors: [{ pointer: "/path" }] });
  });
});

describe("handler results and uploads", () => {
  it("a status the spec does not declare is 500", async () => {
    const app = await startTestApp({ handlers: { getTenant: async () => ({ status: 201, body: TENANT }) as never } });

    const response = await app.app.inject({ method: "GET", url: "/v1/tenants/acme", headers: auth });
    await app.close();

    expect(response.statusCode).toBe(500);
    expect(response.json().code).toBe("INTERNAL");
    expect(app.logs.join("\n")).toContain("returned status 201, which the spec does not declare");
  });

  it("thrown ProblemError keeps its headers", async () => {
    const { ProblemError } = await import("../src/problems.js");
    const app = await startTestApp({
      handlers: {
        updateUser: async () => {
          throw new ProblemError("PRECONDITION_FAILED", "The user changed since you read it.", { headers: { ETag: '"4-2"' } });
        },
      },
    });

    const response = await app.app.inject({ method: "PATCH", url: `/v1/tenants/acme/users/${USER.id}`, headers: auth, payload: { role: "MEMBER" } });
    await app.close();

    expect(response.statusCode).toBe(412);
    expect(response.headers.etag).toBe('"4-2"');
    expect(response.json()).toEqual({
      type: "/problems/precondition-failed",
      title: "Precondition failed",
      status: 412,
      code: "PRECONDITION_FAILED",
      detail: "The user changed since you read it.",
      instance: `/v1/tenants/acme/users/${USER.id}`,
      requestId: response.headers["x-request-id"],
    });
  });

  it("multipart upload and its limit", async () => {
    const app = await startTestApp({
      env: { UPLOAD_LIMIT_BYTES: "2048" },
      handlers: {
        uploadFile: async (request) => {
          const file = await request.raw.file();
          const bytes = file === undefined ? Buffer.alloc(0) : await file.toBuffer();
          return { status: 201, body: { fileId: USER.id, fileType: file?.mimetype ?? "", sizeBytes: bytes.length, createdAt: 1 } };
        },
      },
    });
    const form = (size: number) => {
      const body = new FormData();
      body.set("file", new Blob([Buffer.alloc(size, 97)], { type: "text/plain" }), "notes.txt");
      return new Request("http://localhost/", { method: "POST", body });
    };
    const send = async (size: number) => {
      const request = form(size);
      return app.app.inject({
        method: "POST",
        url: "/v1/tenants/acme/storage",
        headers: { ...auth, "content-type": request.headers.get("content-type") ?? "" },
        payload: Buffer.from(await request.arrayBuffer()),
      });
    };

    const small = await send(100);
    const large = await send(4096);
    const json = await app.app.inject({ method: "POST", url: "/v1/tenants/acme/storage", headers: auth, payload: { file: "x" } });
    await app.close();

    expect(small.statusCode).toBe(201);
    expect(small.json()).toMatchObject({ fileType: "text/plain", sizeBytes: 100 });
    expect(large.statusCode).toBe(413);
    expect(large.json().code).toBe("PAYLOAD_TOO_LARGE");
    expect(json.statusCode).toBe(415);
  });

  it("failed readiness check is 503", async () => {
    let ready = false;
    const app = await startTestApp({ readiness: async () => ready });

    const down = await app.app.inject({ method: "GET", url: "/readyz" });
    ready = true;
    const up = await app.app.inject({ method: "GET", url: "/readyz" });
    await app.close();

    expect(down.statusCode).toBe(503);
    expect(down.json().code).toBe("UNAVAILABLE");
    expect(up.statusCode).toBe(200);
  });
});

describe("shutdown", () => {
  it("new requests while closing are 503 problems", async () => {
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    const app = await startTestApp({
      handlers: {
        checkLiveness: async () => {
          await slow;
          return { status: 200, body: { status: "ok" } };
        },
      },
    });
    await app.app.listen({ host: "127.0.0.1", port: 0 });
    const { port } = app.app.server.address() as AddressInfo;

    // Both requests share one keep-alive connection, so the second arrives after closing has begun.
    const socket = connect(port, "127.0.0.1");
    let received = "";
    socket.on("data", (chunk: Buffer) => (received += chunk.toString("utf8")));
    const socketClosed = new Promise((resolve) => socket.once("close", resolve));
    socket.write("GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n");
    await new Promise((resolve) => setTimeout(resolve, 100));
    const closing = app.close();
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.write(`GET /v1/tenants HTTP/1.1\r\nHost: localhost\r\nAuthorization: ${auth.authorization}\r\n\r\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    release();
    await closing;
    await socketClosed;

    const responses = received.split(/(?=HTTP\/1\.1 )/);
    expect(responses[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(responses[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(responses[1]).toMatch(/content-type: application\/problem\+json/i);
    expect(responses[1]).toContain('"code":"UNAVAILABLE"');
  });
});
