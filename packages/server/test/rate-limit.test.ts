import { randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { signToken, startTestApp } from "./fixtures/test-app.js";

const REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379";

describe("rate limit", () => {
  it("answers 429 problem with Retry-After past the limit", async () => {
    const app = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: "3" } });
    const headers = { authorization: `Bearer ${await signToken({ sub: "busy" })}` };

    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      statuses.push((await app.app.inject({ method: "GET", url: "/v1/tenants", headers })).statusCode);
    }
    const limited = await app.app.inject({ method: "GET", url: "/v1/tenants", headers: { ...headers, "x-request-id": "limited-1" } });
    await app.close();

    expect(statuses).toEqual([200, 200, 200]);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers["content-type"]).toMatch(/^application\/problem\+json/);
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.json()).toMatchObject({ status: 429, code: "RATE_LIMITED", requestId: "limited-1" });
    expect(limited.json().detail).toContain(`retry after ${retryAfter} seconds`);
  });

  it("counts each caller separately, and anonymous requests by IP", async () => {
    const app = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: "2" } });
    const first = { authorization: `Bearer ${await signToken({ sub: "first" })}` };
    const second = { authorization: `Bearer ${await signToken({ sub: "second" })}` };

    await app.app.inject({ method: "GET", url: "/v1/tenants", headers: first });
    await app.app.inject({ method: "GET", url: "/v1/tenants", headers: first });
    const firstLimited = await app.app.inject({ method: "GET", url: "/v1/tenants", headers: first });
    const secondAllowed = await app.app.inject({ method: "GET", url: "/v1/tenants", headers: second });
    const anonymous = [];
    for (let index = 0; index < 3; index += 1) {
      anonymous.push((await app.app.inject({ method: "GET", url: `/v1/tenants/acme/storage/${randomUUID()}` })).statusCode);
    }
    await app.close();

    expect(firstLimited.statusCode).toBe(429);
    expect(secondAllowed.statusCode).toBe(200);
    expect(anonymous[0]).not.toBe(429);
    expect(anonymous[1]).not.toBe(429);
    expect(anonymous[2]).toBe(429);
  });

  it("never limits the health probes", async () => {
    const app = await startTestApp({ env: { RATE_LIMIT_PER_MINUTE: "1" } });

    const statuses: number[] = [];
    for (let index = 0; index < 3; index += 1) {
      statuses.push((await app.app.inject({ method: "GET", url: "/healthz" })).statusCode);
      statuses.push((await app.app.inject({ method: "GET", url: "/readyz" })).statusCode);
    }
    await app.close();

    expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it("shares counters between processes through Redis", async () => {
    const env = { RATE_LIMIT_PER_MINUTE: "3", REDIS_URL };
    const one = await startTestApp({ env });
    const two = await startTestApp({ env });
    // A fresh subject per run, so counters left from another run within the minute do not count.
    const headers = { authorization: `Bearer ${await signToken({ sub: `shared-${randomUUID()}` })}` };

    const statuses: number[] = [];
    for (const app of [one, two, one, two]) {
      statuses.push((await app.app.inject({ method: "GET", url: "/v1/tenants", headers })).statusCode);
    }
    await one.close();
    await two.close();

    expect(statuses).toEqual([200, 200, 200, 429]);
  });
});
