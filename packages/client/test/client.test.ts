import { describe, expect, it } from "vitest";

import { createFruxonClient, FruxonError, ProblemError } from "../src/index.js";
import { BASE_URL, json, problem, scriptedFetch, testClient } from "./helpers.js";

const TENANT = { id: "7d9f8a52-3c1e-4b6a-9f0d-2e5c8b1a4f37", slug: "acme", displayName: "Acme", createdAt: 1, modifiedAt: 1 };

describe("createFruxonClient options", () => {
  it.each([
    ["missing baseUrl", {}, /baseUrl must be an http\(s\) URL/],
    ["relative baseUrl", { baseUrl: "api.example.com" }, /or a path starting with "\/", got api\.example\.com/],
    ["getToken of the wrong type", { baseUrl: BASE_URL, getToken: "token" }, /getToken must be a function/],
    ["token and getToken", { baseUrl: BASE_URL, token: "a", getToken: () => "b" }, /either token or getToken/],
    ["empty token", { baseUrl: BASE_URL, token: "" }, /non-empty string/],
    ["negative timeout", { baseUrl: BASE_URL, timeoutMs: -1 }, /timeoutMs must be an integer/],
    ["fractional retries", { baseUrl: BASE_URL, maxRetries: 1.5 }, /maxRetries must be an integer from 0 to 10, got 1.5/],
    ["too many retries", { baseUrl: BASE_URL, maxRetries: 11 }, /maxRetries must be an integer/],
    ["infinite timeout", { baseUrl: BASE_URL, timeoutMs: Infinity }, /timeoutMs must be an integer from 0 to 2147483647, got Infinity/],
    ["unknown log level", { baseUrl: BASE_URL, logger: console, logLevel: "loud" }, /logLevel must be one of/],
  ])("rejects %s", (_label, options, message) => {
    expect(() => createFruxonClient(options as never)).toThrow(message);
  });

  it("accepts a path as baseUrl", () => {
    expect(() => createFruxonClient({ baseUrl: "/api" })).not.toThrow();
  });
});

describe("request headers", () => {
  it("sends the token, a request id and the user agent", async () => {
    const { client, sent } = testClient([json(TENANT)], { userAgent: "console/1.0" });

    const result = await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    expect(sent[0]?.headers.get("authorization")).toBe("Bearer test-token");
    expect(sent[0]?.headers.get("user-agent")).toBe("console/1.0");
    expect(sent[0]?.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.requestId).toBe(sent[0]?.headers.get("x-request-id"));
  });

  it("keeps a request id given by the caller", async () => {
    const { client, sent } = testClient([json(TENANT)]);

    const result = await client.GET("/v1/tenants/{tenant}", {
      params: { path: { tenant: "acme" }, header: { "x-request-id": "caller-chosen-id" } },
    });

    expect(sent[0]?.headers.get("x-request-id")).toBe("caller-chosen-id");
    expect(result.requestId).toBe("caller-chosen-id");
  });

  it("generates a new request id per call", async () => {
    const { client, sent } = testClient(() => json(TENANT));

    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });
    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    expect(sent[0]?.headers.get("x-request-id")).not.toBe(sent[1]?.headers.get("x-request-id"));
  });

  it("asks getToken for each call and sends no header without a token", async () => {
    let asked = 0;
    const { client, sent } = testClient(() => json(TENANT), { token: undefined, getToken: async () => (++asked === 1 ? "first" : undefined) });

    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });
    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    expect(sent[0]?.headers.get("authorization")).toBe("Bearer first");
    expect(sent[1]?.headers.has("authorization")).toBe(false);
  });
});

describe("path parameters", () => {
  it.each([
    ["slash", "a/b", "a%2Fb"],
    ["question mark", "a?b", "a%3Fb"],
    ["hash", "a#b", "a%23b"],
    ["percent", "100%", "100%25"],
    ["space", "a b", "a%20b"],
    ["colon", "a:accept", "a%3Aaccept"],
    ["unicode", "zürich", "z%C3%BCrich"],
  ])("encodes a %s as one segment", async (_label, tenant, encoded) => {
    const { client, sent } = testClient([json(TENANT)]);

    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant } } });

    expect(sent[0]?.url).toBe(`${BASE_URL}/v1/tenants/${encoded}`);
  });

  it.each([
    ["invite", "/v1/tenants/{tenant}/users:invite", { tenant: "acme" }, "/v1/tenants/acme/users:invite"],
    ["accept", "/v1/me/pendingInvitations/{tenantId}:accept", { tenantId: "t/1" }, "/v1/me/pendingInvitations/t%2F1:accept"],
    ["decline", "/v1/me/pendingInvitations/{tenantId}:decline", { tenantId: "t1" }, "/v1/me/pendingInvitations/t1:decline"],
    ["cancel", "/v1/tenants/{tenant}/operations/{operation}:cancel", { tenant: "a", operation: "o" }, "/v1/tenants/a/operations/o:cancel"],
  ])("keeps the colon of the %s custom method", async (_label, path, params, expected) => {
    const { client, sent } = testClient([new Response(null, { status: 204 })]);

    await client.POST(path as "/v1/tenants/{tenant}/users:export", { params: { path: params as { tenant: string } } });

    expect(sent[0]?.url).toBe(`${BASE_URL}${expected}`);
  });

  it.each([
    ["missing", undefined, /Path parameter "tenant" of https:\/\/api\.fruxon\.test\/v1\/tenants\/\{tenant\} is missing or invalid.*got undefined$/],
    ["empty", "", /is missing or invalid.*got ""$/],
    ["dot segment", "..", /is missing or invalid.*got "\.\."$/],
    ["object", { id: 1 }, /is missing or invalid.*got \{"id":1\}$/],
  ])("rejects a %s value before sending", async (_label, tenant, message) => {
    const { client, sent } = testClient([json(TENANT)]);

    const call = client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: tenant as string } } });

    await expect(call).rejects.toThrow(message);
    expect(sent).toHaveLength(0);
  });

  it("rejects a call without params.path", async () => {
    const { client } = testClient([json(TENANT)]);

    await expect(client.GET("/v1/tenants/{tenant}", {} as never)).rejects.toThrow(/params\.path\.tenant/);
  });
});

describe("empty responses", () => {
  it.each([
    ["204", () => new Response(null, { status: 204 })],
    ["Content-Length 0", () => new Response("", { status: 200, headers: { "content-length": "0" } })],
    ["200 without body or length", () => new Response(null, { status: 200 })],
    ["200 with an empty chunked body", () => new Response(new ReadableStream({ start: (c) => c.close() }), { status: 200 })],
  ])("gives data undefined for %s", async (_label, respond) => {
    const { client } = testClient(() => respond());

    const result = await client.DELETE("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "a", user: "u" } } });

    expect(result.error).toBeUndefined();
    expect(result.data).toBeUndefined();
    expect(result.response.ok).toBe(true);
  });

  it("gives data undefined for HEAD", async () => {
    const { client } = testClient(() => new Response(null, { status: 200, headers: { "content-length": "42" } }));

    const result = await client.request("head" as "get", "/healthz");

    expect(result.data).toBeUndefined();
  });

  it.each([
    ["empty body", () => new Response(null, { status: 404 })],
    ["Content-Length 0", () => new Response("", { status: 403, headers: { "content-length": "0" } })],
  ])("gives a truthy ProblemError for an error with an %s", async (_label, respond) => {
    const { client } = testClient(() => respond());

    const result = await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    expect(result.error).toBeInstanceOf(ProblemError);
    expect(result.error).toBeTruthy();
    expect(result.error?.status).toBe(result.response.status);
    expect(result.error?.message).toMatch(new RegExp(`^${result.response.status} `));
  });
});

describe("error results", () => {
  it("builds a ProblemError from application/problem+json", async () => {
    const body = {
      type: "https://fruxon.test/problems/validation-failed",
      title: "Validation failed",
      status: 400,
      detail: "The request body is invalid.",
      code: "VALIDATION_FAILED",
      requestId: "server-id",
      errors: [{ pointer: "/slug", detail: "must match ^[a-z]+$" }],
    };
    const { client, sent } = testClient([problem(400, body)]);

    const { data, error, response } = await client.POST("/v1/tenants", { body: { slug: "Bad Slug", displayName: "Acme" } });
    const requestId = sent[0]?.headers.get("x-request-id");

    expect(data).toBeUndefined();
    expect(error).toBeInstanceOf(ProblemError);
    expect(error).toBeInstanceOf(FruxonError);
    expect(error).toMatchObject({ status: 400, type: body.type, title: body.title, detail: body.detail, code: "VALIDATION_FAILED" });
    expect(error?.requestId).toBe(requestId);
    expect(error?.errors).toEqual(body.errors);
    expect(error?.response).toBe(response);
    expect(error?.body).toEqual(body);
    expect(error?.message).toBe(`400 Validation failed: The request body is invalid. (VALIDATION_FAILED, request id ${requestId})`);
  });

  it("describes a non-problem text body", async () => {
    const { client } = testClient([new Response("<html>upstream timed out</html>", { status: 502, statusText: "Bad Gateway" })], {
      maxRetries: 0,
    });

    const { error } = await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    expect(error?.status).toBe(502);
    expect(error?.title).toBe("Bad Gateway");
    expect(error?.type).toBe("about:blank");
    expect(error?.code).toBeUndefined();
    expect(error?.detail).toBe("<html>upstream timed out</html>");
    expect(error?.message).toMatch(/^502 Bad Gateway: <html>upstream timed out<\/html> \(request id [0-9a-f-]+\)$/);
  });

  it("keeps the sent request id when the problem has none", async () => {
    const { client, sent } = testClient([problem(404, { title: "Not found" })]);

    const { error } = await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    expect(error?.requestId).toBe(sent[0]?.headers.get("x-request-id"));
  });

  it("prints only problem members when serialized", async () => {
    const { client } = testClient([problem(409, { title: "Conflict", code: "LAST_ADMIN" })]);

    const { error } = await client.PATCH("/v1/tenants/{tenant}/users/{user}", {
      params: { path: { tenant: "a", user: "u" } },
      body: { role: "MEMBER" },
    });
    const printed = JSON.parse(JSON.stringify(error)) as Record<string, unknown>;

    expect(printed.code).toBe("LAST_ADMIN");
    expect(printed).not.toHaveProperty("response");
    expect(printed).not.toHaveProperty("body");
  });

  it("rejects invalid JSON in a success body with a clear error", async () => {
    const { client } = testClient([new Response("{not json", { status: 200, headers: { "content-type": "application/json" } })]);

    const call = client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } });

    await expect(call).rejects.toThrow(/returned a body that is not valid JSON/);
  });
});

describe("bodies", () => {
  it("sends JSON with its content type", async () => {
    const { client, sent } = testClient([json(TENANT, { status: 201 })]);

    await client.POST("/v1/tenants", { body: { slug: "acme", displayName: "Acme" } });

    expect(sent[0]?.headers.get("content-type")).toBe("application/json");
    expect(JSON.parse(sent[0]?.body ?? "")).toEqual({ slug: "acme", displayName: "Acme" });
  });

  it("uses a per-call fetch when given", async () => {
    const { client, sent } = testClient([json(TENANT)]);
    const own = scriptedFetch([json(TENANT)]);

    await client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } }, fetch: own.fetch });

    expect(sent).toHaveLength(0);
    expect(own.sent).toHaveLength(1);
    expect(own.sent[0]?.headers.get("authorization")).toBe("Bearer test-token");
  });
});
