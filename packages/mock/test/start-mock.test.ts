import { writeFileSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createNetServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";

import { formatViolation, startMock, type MockServer, type StartMockOptions } from "../src/index.js";

const fixtureSpec = fileURLToPath(new URL("./fixtures/mini-openapi.json", import.meta.url));
const tenantId = "6f1c2d4e-8a9b-4c3d-9e2f-1a2b3c4d5e6f";

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    expect((error as NodeJS.ErrnoException).code).toBe("ESRCH");
    return false;
  }
}

function groupIsAlive(pgid: number): boolean {
  return isAlive(-pgid);
}

async function listen(server: Server | ReturnType<typeof createNetServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

describe("startMock lifecycle", () => {
  it("starts, answers and leaves no process", async () => {
    const mock = await startMock({ specPath: fixtureSpec });
    const { pid } = mock;

    const response = await fetch(`${mock.url}/healthz`);
    const body: unknown = await response.json();
    await mock.stop();

    expect(mock.url).toBe(`http://127.0.0.1:${mock.port}`);
    expect(response.status).toBe(200);
    expect(body).toEqual({ status: "OK" });
    expect(isAlive(pid), `Prism (pid ${pid}) is still running after stop()`).toBe(false);
    expect(groupIsAlive(pid), `a process of Prism's group ${pid} is still running after stop()`).toBe(false);
    expect(await mock.exited).toMatchObject({ signal: "SIGTERM" });
  });

  it("stop is idempotent", async () => {
    const mock = await startMock({ specPath: fixtureSpec });

    await Promise.all([mock.stop(), mock.stop()]);
    await mock.stop();

    expect(isAlive(mock.pid)).toBe(false);
  });

  it("reports Prism's output when it cannot start", async () => {
    const emptySpec = join(tmpdir(), `mock-empty-${process.pid}.json`);
    writeFileSync(emptySpec, JSON.stringify({ openapi: "3.1.0", info: { title: "empty", version: "1" }, paths: {} }));

    const start = startMock({ specPath: emptySpec });

    await expect(start).rejects.toThrow(/Prism exited \(code 1[\s\S]*No operations found in the current file/);
  });

  it("rejects a port in use", async () => {
    const blocker = createNetServer();
    const port = await listen(blocker);

    try {
      await expect(startMock({ specPath: fixtureSpec, port })).rejects.toThrow(`port ${port} on 127.0.0.1 is already in use`);
    } finally {
      blocker.close();
    }
  });

  it("times out with Prism's output", async () => {
    const start = startMock({ specPath: fixtureSpec, timeoutMs: 50 });

    await expect(start).rejects.toThrow(/did not respond to HTTP on http:\/\/127\.0\.0\.1:\d+ within 50 ms[\s\S]*Prism output:/);
  });

  describe.each<[string, StartMockOptions, RegExp]>([
    ["port zero", { port: 0 }, /port must be an integer from 1 to 65535, got 0/],
    ["port too large", { port: 70_000 }, /port must be an integer from 1 to 65535, got 70000/],
    ["negative timeout", { timeoutMs: -1 }, /timeoutMs must be a positive number/],
    ["relative proxy URL", { proxy: "localhost:8080" }, /proxy must use http or https|proxy must be an absolute http\(s\) URL/],
    ["ftp proxy URL", { proxy: "ftp://127.0.0.1/" }, /proxy must use http or https, got "ftp:\/\/127\.0\.0\.1\/"/],
    ["validateRequest without proxy", { validateRequest: false }, /validateRequest applies to proxy mode only/],
    ["dynamic with proxy", { dynamic: true, proxy: "http://127.0.0.1:1" }, /dynamic applies to mock mode only/],
    ["missing spec file", { specPath: "/nonexistent/openapi.json" }, /the spec file \/nonexistent\/openapi\.json does not exist/],
  ])("option check: %s", (_label, options, message) => {
    it("rejects before starting Prism", async () => {
      await expect(startMock({ specPath: fixtureSpec, ...options })).rejects.toThrow(message);
    });
  });
});

describe("startMock mock mode", () => {
  let mock: MockServer;

  beforeAll(async () => {
    mock = await startMock({ specPath: fixtureSpec });
  });

  afterAll(async () => {
    await mock?.stop();
  });

  afterEach(async () => {
    await mock.clearLogs();
  });

  it("routes colon custom methods", async () => {
    const accept = await fetch(`${mock.url}/v1/me/pendingInvitations/${tenantId}:accept`, {
      method: "POST",
      headers: { Authorization: "Bearer x" },
    });
    const invite = await fetch(`${mock.url}/v1/tenants/acme/users:invite`, {
      method: "POST",
      headers: { Authorization: "Bearer x", "Content-Type": "application/json" },
      body: JSON.stringify({ email: "grace@example.com", role: "MEMBER" }),
    });

    expect(accept.status).toBe(204);
    expect(invite.status).toBe(200);
    expect(await invite.json()).toMatchObject({ userEmail: "grace@example.com", role: "MEMBER" });
    expect((await mock.violations()).map(formatViolation)).toEqual([]);
  });

  it("extracts the parameter before the colon", async () => {
    const response = await fetch(`${mock.url}/v1/me/pendingInvitations/not-a-uuid:decline`, {
      method: "POST",
      headers: { Authorization: "Bearer x" },
    });
    const problem = (await response.json()) as { validation?: Array<{ location: string[]; message: string }> };

    // The value checked against format "uuid" is "not-a-uuid", so ":decline" was not captured.
    expect(response.status).toBe(422);
    expect(problem.validation).toEqual([
      expect.objectContaining({ location: ["path", "tenantid"], message: 'Request path parameter tenantid must match format "uuid"' }),
    ]);
    expect(await mock.violations()).toEqual([
      expect.objectContaining({ location: "request", request: "POST /v1/me/pendingInvitations/not-a-uuid:decline" }),
    ]);
  });

  it("does not match a custom method on another verb", async () => {
    const response = await fetch(`${mock.url}/v1/me/pendingInvitations/${tenantId}:reject`, {
      method: "POST",
      headers: { Authorization: "Bearer x" },
    });

    expect(response.status).toBe(404);
  });

  it("logs request violations", async () => {
    const response = await fetch(`${mock.url}/v1/tenants`);

    expect(response.status).toBe(401);
    expect(await mock.violations()).toEqual([
      { severity: "error", location: "request", message: "Invalid security scheme used", request: "GET /v1/tenants" },
    ]);
    expect(mock.logs()).toContain("Invalid security scheme used");
  });
});

describe("startMock proxy mode", () => {
  let upstream: Server;
  let upstreamUrl: string;
  const forwarded: string[] = [];

  beforeAll(async () => {
    // A tiny upstream: /healthz breaks the spec (unknown status value, extra field), /v1/tenants keeps it.
    upstream = createHttpServer((request, response) => {
      forwarded.push(`${request.method} ${request.url}`);
      response.setHeader("Content-Type", "application/json");
      if (request.url === "/healthz") {
        response.end(JSON.stringify({ status: "BROKEN", extra: 1 }));
      } else {
        response.end(JSON.stringify({ items: [], totalCount: 0 }));
      }
    });
    upstreamUrl = `http://127.0.0.1:${await listen(upstream)}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => upstream.close(resolve));
  });

  afterEach(() => {
    forwarded.length = 0;
  });

  it("collects response violations", async () => {
    const mock = await startMock({ specPath: fixtureSpec, proxy: upstreamUrl });
    try {
      const valid = await fetch(`${mock.url}/v1/tenants`, { headers: { Authorization: "Bearer x" } });
      await valid.text();
      const violationsAfterValid = await mock.violations();
      const broken = await fetch(`${mock.url}/healthz`);
      const brokenBody: unknown = await broken.json();

      expect(valid.status).toBe(200);
      expect(violationsAfterValid).toEqual([]);
      expect(broken.status).toBe(200);
      expect(brokenBody).toEqual({ status: "BROKEN", extra: 1 });
      expect(forwarded).toEqual(["GET /v1/tenants", "GET /healthz"]);
      expect(await mock.violations()).toEqual([
        {
          severity: "error",
          location: "response.body",
          message: "Response body must NOT have additional properties; found 'extra'",
          request: "GET /healthz",
        },
        {
          severity: "error",
          location: "response.body.status",
          message: "Response body property status must be equal to one of the allowed values: OK",
          request: "GET /healthz",
        },
      ]);
    } finally {
      await mock.stop();
    }
  });

  it("turns violations into errors with errors: true", async () => {
    const mock = await startMock({ specPath: fixtureSpec, proxy: upstreamUrl, errors: true });
    try {
      const broken = await fetch(`${mock.url}/healthz`);
      const problem = (await broken.json()) as { type?: string; validation?: unknown[] };
      const unauthenticated = await fetch(`${mock.url}/v1/tenants`);
      await unauthenticated.text();

      expect(broken.status).toBe(500);
      expect(problem.type).toBe("https://stoplight.io/prism/errors#VIOLATIONS");
      expect(problem.validation).toHaveLength(2);
      // With --errors, Prism responds to an invalid request itself and never forwards it.
      expect(unauthenticated.status).toBe(401);
      expect(forwarded).toEqual(["GET /healthz"]);
      expect(await mock.violations()).toEqual([
        expect.objectContaining({ severity: "error", location: "response", request: "GET /healthz" }),
        expect.objectContaining({ severity: "error", location: "request", request: "GET /v1/tenants" }),
      ]);
    } finally {
      await mock.stop();
    }
  });

  it("forwards invalid requests with validateRequest: false", async () => {
    const mock = await startMock({ specPath: fixtureSpec, proxy: upstreamUrl, errors: true, validateRequest: false });
    try {
      const response = await fetch(`${mock.url}/v1/tenants?pageSize=1000`, { headers: { Authorization: "Bearer x" } });
      await response.text();
      const unauthenticated = await fetch(`${mock.url}/v1/tenants`);
      await unauthenticated.text();

      expect(response.status).toBe(200);
      // Prism still checks the security scheme itself and responds 401 without forwarding.
      expect(unauthenticated.status).toBe(401);
      expect(forwarded).toEqual(["GET /v1/tenants?pageSize=1000"]);
      expect((await mock.violations()).map(formatViolation)).toEqual([
        "error request: Invalid security scheme used (Prism sent a 401 problem and did not forward the request) (GET /v1/tenants)",
      ]);
    } finally {
      await mock.stop();
    }
  });
});
