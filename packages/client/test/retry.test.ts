import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { AbortError, NetworkError, ProblemError, TimeoutError, type Logger } from "../src/index.js";
import { parseRetryAfter } from "../src/retry.js";
import { hangingFetch, json, problem, testClient } from "./helpers.js";

const START = new Date("2026-03-02T10:00:00.000Z");
const TENANT_PATH = { params: { path: { tenant: "acme" } } };
const BODY = { slug: "acme", displayName: "Acme" };

beforeEach(() => {
  vi.useFakeTimers({ now: START });
  // No jitter: each backoff delay is its ceiling (0.5 s, 1 s, 2 s, …).
  vi.spyOn(Math, "random").mockReturnValue(0);
});

afterEach(() => {
  vi.useRealTimers();
  vi.restoreAllMocks();
});

function gaps(sent: { at: number }[]): number[] {
  return sent.slice(1).map((request, index) => request.at - (sent[index]?.at ?? 0));
}

function recordingLogger() {
  const entries: { level: string; details: Record<string, unknown>; message: string }[] = [];
  const record = (level: string) => (details: Record<string, unknown>, message: string) => entries.push({ level, details, message });
  const logger: Logger = { debug: record("debug"), info: record("info"), warn: record("warn"), error: record("error") };
  return { logger, entries };
}

describe("retries", () => {
  it.each([408, 429, 502, 503, 504])("retries a GET after %i with capped exponential backoff", async (status) => {
    const { client, sent } = testClient([problem(status), problem(status), json({ items: [], totalCount: 0 })], { timeoutMs: 0 });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(1_500);
    const result = await call;

    expect(result.error).toBeUndefined();
    expect(sent).toHaveLength(3);
    expect(gaps(sent)).toEqual([500, 1_000]);
  });

  it.each([400, 401, 404, 409, 500])("does not retry %i", async (status) => {
    const { client, sent } = testClient(() => problem(status), { timeoutMs: 0 });

    const result = await client.GET("/v1/tenants");

    expect(result.error?.status).toBe(status);
    expect(sent).toHaveLength(1);
  });

  it("returns the last response after maxRetries", async () => {
    const { client, sent } = testClient(() => problem(503), { timeoutMs: 0, maxRetries: 3 });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(10_000);
    const result = await call;

    expect(sent).toHaveLength(4);
    expect(gaps(sent)).toEqual([500, 1_000, 2_000]);
    expect(result.error).toBeInstanceOf(ProblemError);
    expect(result.error?.status).toBe(503);
  });

  it("caps the backoff at 8 s and applies jitter below the cap", async () => {
    vi.mocked(Math.random).mockReturnValue(0.5);
    const { client, sent } = testClient(() => problem(503), { timeoutMs: 0, maxRetries: 6 });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(60_000);
    await call;

    expect(gaps(sent)).toEqual([438, 875, 1_750, 3_500, 7_000, 7_000]);
  });

  it("honours the per-call maxRetries", async () => {
    const { client, sent } = testClient(() => problem(503), { timeoutMs: 0 });

    const result = await client.GET("/v1/tenants", { maxRetries: 0 });

    expect(result.error?.status).toBe(503);
    expect(sent).toHaveLength(1);
  });

  it("waits Retry-After given in seconds", async () => {
    const { client, sent } = testClient([problem(429, {}, { "retry-after": "3" }), json({ items: [], totalCount: 0 })], { timeoutMs: 0 });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(2_999);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    await call;

    expect(gaps(sent)).toEqual([3_000]);
  });

  it("waits Retry-After given as an HTTP date", async () => {
    const retryAt = new Date(START.getTime() + 5_000).toUTCString();
    const { client, sent } = testClient([problem(503, {}, { "retry-after": retryAt }), json({ items: [], totalCount: 0 })], { timeoutMs: 0 });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(5_000);
    await call;

    expect(gaps(sent)).toEqual([5_000]);
  });

  it("bounds Retry-After at 60 s", async () => {
    const { client, sent } = testClient([problem(503, {}, { "retry-after": "3600" }), json({ items: [], totalCount: 0 })], { timeoutMs: 0 });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(60_000);
    await call;

    expect(gaps(sent)).toEqual([60_000]);
  });

  it.each([
    ["seconds", "7", 7_000],
    ["fractional seconds", "1.5", 1_500],
    ["a past date", "Mon, 02 Mar 2026 09:00:00 GMT", 0],
    ["a future date", "Mon, 02 Mar 2026 10:00:10 GMT", 10_000],
    ["more than a minute", "120", 60_000],
    ["garbage", "soon", undefined],
    ["a negative number", "-5", undefined],
    ["absent", null, undefined],
  ])("parses Retry-After as %s", (_label, header, expected) => {
    expect(parseRetryAfter(header, START.getTime())).toBe(expected);
  });

  it("retries a network error and then succeeds", async () => {
    const { client, sent } = testClient(
      (_request, index) => (index === 0 ? Promise.reject(new TypeError("fetch failed")) : json({ items: [], totalCount: 0 })),
      { timeoutMs: 0 },
    );

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(500);
    const result = await call;

    expect(result.data).toEqual({ items: [], totalCount: 0 });
    expect(sent).toHaveLength(2);
  });

  it("throws NetworkError with the cause after the last retry", async () => {
    const cause = new TypeError("fetch failed");
    const { client, sent } = testClient(() => Promise.reject(cause), { timeoutMs: 0, maxRetries: 1 });

    const call = client.GET("/v1/tenants");
    const outcome = expect(call).rejects.toSatisfy(
      (error: unknown) => error instanceof NetworkError && error.cause === cause && /fetch failed/.test(error.message),
    );
    await vi.advanceTimersByTimeAsync(500);
    await outcome;

    expect(sent).toHaveLength(2);
  });
});

describe("retry of non-idempotent methods", () => {
  it("does not retry a POST without Idempotency-Key", async () => {
    const { client, sent } = testClient(() => problem(503), { timeoutMs: 0 });

    const result = await client.POST("/v1/tenants", { body: BODY });

    expect(result.error?.status).toBe(503);
    expect(sent).toHaveLength(1);
  });

  it("does not retry a PATCH without Idempotency-Key after a network error", async () => {
    const { client, sent } = testClient(() => Promise.reject(new TypeError("socket hang up")), { timeoutMs: 0 });

    await expect(
      client.PATCH("/v1/users/me", { body: { firstName: "Ada" } }),
    ).rejects.toBeInstanceOf(NetworkError);
    expect(sent).toHaveLength(1);
  });

  it("retries a POST with Idempotency-Key and sends the same bytes", async () => {
    const operation = { name: "5c1e7a2b-8f3d-4a6c-b9e0-1d2f3a4b5c6d", type: "BATCH_INVITE", status: "PENDING", createdAt: 1 };
    const { client, sent } = testClient([problem(502), json(operation, { status: 202 })], { timeoutMs: 0 });

    const call = client.POST("/v1/tenants/{tenant}/users:batchInvite", {
      params: { path: { tenant: "acme" }, header: { "Idempotency-Key": "batch-1" } },
      body: { invitations: [{ email: "ada@example.com", role: "MEMBER" }] },
    });
    await vi.advanceTimersByTimeAsync(500);
    const result = await call;

    expect(result.data?.name).toBe(operation.name);
    expect(sent).toHaveLength(2);
    expect(sent[1]?.body).toBe(sent[0]?.body);
    expect(JSON.parse(sent[1]?.body ?? "")).toEqual({ invitations: [{ email: "ada@example.com", role: "MEMBER" }] });
    expect(sent[1]?.headers.get("idempotency-key")).toBe("batch-1");
    expect(sent[1]?.headers.get("x-request-id")).toBe(sent[0]?.headers.get("x-request-id"));
  });

  it("retries a DELETE, which is idempotent", async () => {
    const { client, sent } = testClient([problem(503), new Response(null, { status: 204 })], { timeoutMs: 0 });

    const call = client.DELETE("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "a", user: "u" } } });
    await vi.advanceTimersByTimeAsync(500);
    const result = await call;

    expect(result.error).toBeUndefined();
    expect(sent.map((request) => request.method)).toEqual(["DELETE", "DELETE"]);
  });
});

describe("abort", () => {
  it("never retries after the caller aborted during the backoff", async () => {
    const controller = new AbortController();
    const { client, sent } = testClient(() => problem(503), { timeoutMs: 0 });

    const call = client.GET("/v1/tenants", { signal: controller.signal });
    const outcome = expect(call).rejects.toBeInstanceOf(AbortError);
    await vi.advanceTimersByTimeAsync(100);
    controller.abort(new Error("user left the page"));
    await outcome;
    await vi.advanceTimersByTimeAsync(10_000);

    expect(sent).toHaveLength(1);
  });

  it("rejects with AbortError keeping the reason as cause", async () => {
    const controller = new AbortController();
    const reason = new Error("navigation");
    const { client, sent } = testClient(hangingFetch);

    const call = client.GET("/v1/tenants", { signal: controller.signal });
    await vi.advanceTimersByTimeAsync(10);
    controller.abort(reason);

    await expect(call).rejects.toSatisfy((error: unknown) => error instanceof AbortError && error.cause === reason);
    expect(sent).toHaveLength(1);
  });

  it("does not send when the signal is already aborted", async () => {
    const { client } = testClient(hangingFetch);

    await expect(client.GET("/v1/tenants", { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(AbortError);
  });
});

describe("timeouts", () => {
  it("rejects with TimeoutError after timeoutMs", async () => {
    const { client, sent } = testClient(hangingFetch, { timeoutMs: 1_000, maxRetries: 0 });

    const call = client.GET("/v1/tenants");
    const outcome = expect(call).rejects.toSatisfy(
      (error: unknown) => error instanceof TimeoutError && /timed out after 1000 ms/.test(error.message) && error.requestId !== undefined,
    );
    await vi.advanceTimersByTimeAsync(1_000);
    await outcome;

    expect(sent).toHaveLength(1);
  });

  it("uses the per-call timeout", async () => {
    const { client } = testClient(hangingFetch, { timeoutMs: 60_000, maxRetries: 0 });

    const call = client.GET("/v1/tenants", { timeoutMs: 250 });
    const outcome = expect(call).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(250);

    await outcome;
  });

  it("retries a timed-out idempotent attempt", async () => {
    const { client, sent } = testClient(
      (request, index) => (index === 0 ? hangingFetch(request) : json({ items: [], totalCount: 0 })),
      { timeoutMs: 1_000, maxRetries: 1 },
    );

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(1_500);
    const result = await call;

    expect(result.data).toEqual({ items: [], totalCount: 0 });
    expect(gaps(sent)).toEqual([1_500]);
  });

  it("covers reading the body", async () => {
    // Sends the start of a body and then stalls; like undici, an abort errors the body stream.
    const stalledBody = (signal: AbortSignal) =>
      new ReadableStream({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"items":['));
          signal.addEventListener("abort", () => controller.error(signal.reason), { once: true });
        },
      });
    const { client } = testClient(
      (request) => new Response(stalledBody(request.signal), { headers: { "content-type": "application/json" } }),
      { timeoutMs: 1_000, maxRetries: 0 },
    );

    const call = client.GET("/v1/tenants");
    const outcome = expect(call).rejects.toBeInstanceOf(TimeoutError);
    await vi.advanceTimersByTimeAsync(1_000);

    await outcome;
  });
});

describe("token refresh", () => {
  it("refreshes the token after 401", async () => {
    const asked: boolean[] = [];
    const getToken = async ({ forceRefresh }: { forceRefresh: boolean }) => {
      asked.push(forceRefresh);
      return forceRefresh ? "fresh" : "stale";
    };
    const tenant = { id: "7d9f8a52-3c1e-4b6a-9f0d-2e5c8b1a4f37", slug: "acme", displayName: "Acme", createdAt: 1, modifiedAt: 1 };
    const { client, sent } = testClient([problem(401, { code: "UNAUTHENTICATED" }), json(tenant, { status: 201 })], {
      token: undefined,
      getToken,
      timeoutMs: 0,
    });

    const result = await client.POST("/v1/tenants", { body: BODY });

    expect(result.data).toEqual(tenant);
    expect(asked).toEqual([false, true]);
    expect(sent.map((request) => request.headers.get("authorization"))).toEqual(["Bearer stale", "Bearer fresh"]);
    expect(sent[1]?.body).toBe(sent[0]?.body);
  });

  it("refreshes only once when the fresh token is rejected too", async () => {
    let asked = 0;
    const { client, sent } = testClient(() => problem(401), {
      token: undefined,
      getToken: () => `token-${++asked}`,
    });

    const result = await client.GET("/v1/tenants");

    expect(result.error?.status).toBe(401);
    expect(asked).toBe(2);
    expect(sent).toHaveLength(2);
  });

  it("drops the header when no fresh token comes", async () => {
    const { client, sent } = testClient([problem(401), json({ items: [], totalCount: 0 })], {
      token: undefined,
      getToken: ({ forceRefresh }) => (forceRefresh ? undefined : "expired"),
    });

    await client.GET("/v1/tenants");

    expect(sent[0]?.headers.get("authorization")).toBe("Bearer expired");
    expect(sent[1]?.headers.has("authorization")).toBe(false);
  });

  it("does not re-send after 401 with a fixed token", async () => {
    const { client, sent } = testClient(() => problem(401));

    const result = await client.GET("/v1/tenants");

    expect(result.error?.status).toBe(401);
    expect(sent).toHaveLength(1);
  });
});

describe("logging", () => {
  it("logs each retry at warn with the request id", async () => {
    const { logger, entries } = recordingLogger();
    const { client, sent } = testClient([problem(503), problem(503), json({ items: [], totalCount: 0 })], { timeoutMs: 0, logger });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(1_500);
    await call;

    const retries = entries.filter((entry) => entry.level === "warn");
    expect(retries).toHaveLength(2);
    expect(retries[0]?.details).toMatchObject({ requestId: sent[0]?.headers.get("x-request-id"), retry: 1, delayMs: 500, reason: "status 503" });
    expect(retries[1]?.message).toBe("Retrying GET /v1/tenants after status 503");
    expect(retries[1]?.details).toMatchObject({ retry: 2, maxRetries: 2, delayMs: 1_000 });
  });

  it("redacts Authorization in debug entries", async () => {
    const { logger, entries } = recordingLogger();
    const { client } = testClient([json({ items: [], totalCount: 0 })], { logger, logLevel: "debug" });

    await client.GET("/v1/tenants");

    const received = entries.find((entry) => entry.message === "Received response");
    expect(received?.details).toMatchObject({ status: 200, attempt: 1, headers: { authorization: "[redacted]" } });
    expect(JSON.stringify(entries)).not.toContain("test-token");
  });

  it("drops entries below the level", async () => {
    const { logger, entries } = recordingLogger();
    const { client } = testClient([problem(503), json({ items: [], totalCount: 0 })], { timeoutMs: 0, logger, logLevel: "error" });

    const call = client.GET("/v1/tenants");
    await vi.advanceTimersByTimeAsync(500);
    await call;

    expect(entries).toEqual([]);
  });
});
