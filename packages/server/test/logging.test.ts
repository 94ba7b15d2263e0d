import { randomBytes } from "node:crypto";
import { Writable } from "node:stream";

import { describe, expect, it } from "vitest";

import { censorSecrets, createLogger, redactUrl } from "../src/logger.js";
import { signToken, startTestApp } from "./fixtures/test-app.js";
import { addMember, createTenant, startTestServer, testUser } from "./helpers/index.js";

describe("redactUrl", () => {
  it.each([
    ["/v1/invitations/abcDEF123_-", "/v1/invitations/[redacted]"],
    ["/v1/invitations/abc?x=1", "/v1/invitations/[redacted]?x=1"],
    ["/v1/tenants?pageSize=5&pageToken=eyJrIjpb", "/v1/tenants?pageSize=5&pageToken=[redacted]"],
    ["/callback?access_token=abc&ticket=xyz&password=p", "/callback?access_token=[redacted]&ticket=[redacted]&password=[redacted]"],
    ["/v1/tenants/acme/users?q=ana", "/v1/tenants/acme/users?q=ana"],
  ])("%s logs as %s", (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe("censorSecrets", () => {
  it("censors secrets down to three levels", () => {
    const logged = {
      token: "t1",
      headers: { authorization: "Bearer a1", cookie: "c1", accept: "*/*" },
      invite: { ticket: "k1", tenant: { password: "p1", id: "acme" } },
      list: [{ token: "t2" }],
      deep: { one: { two: { token: "kept at depth four" } } },
    };

    expect(censorSecrets(logged)).toEqual({
      token: "[redacted]",
      headers: { authorization: "[redacted]", cookie: "[redacted]", accept: "*/*" },
      invite: { ticket: "[redacted]", tenant: { password: "[redacted]", id: "acme" } },
      list: [{ token: "[redacted]" }],
      deep: { one: { two: { token: "kept at depth four" } } },
    });
  });

  it("copies instead of changing the object", () => {
    const invite = { ticket: "k1" };
    const logged = { invite, other: { id: 1 } };

    const censored = censorSecrets(logged);

    expect(invite.ticket).toBe("k1");
    expect(censored.other).toBe(logged.other);
    expect(censorSecrets(logged.other)).toBe(logged.other);
  });

  it("leaves class instances and undefined fields alone", () => {
    const url = new URL("https://example.com/?token=x");
    const logged = { url, token: undefined };

    expect(censorSecrets(logged)).toBe(logged);
  });
});

describe("logger", () => {
  it("censors fields named token, ticket or password", () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString("utf8"));
        callback();
      },
    });
    const log = createLogger({ level: "info", destination });

    log.info({ token: "t-secret", invite: { ticket: "k-secret" }, headers: { authorization: "Bearer a-secret" }, password: "p-secret" }, "values");
    log.child({ session: { token: "b-secret" } }).info("bound");
    log.error({ err: Object.assign(new Error("failed"), { details: { password: "e-secret" } }) }, "error");
    log.info({ job: { input: { ticket: "n-secret" } }, id: "visible-id" }, "nested");

    const output = lines.join("");
    expect(output).toContain("[redacted]");
    expect(output).toContain("visible-id");
    expect(output).toContain("failed");
    for (const secret of ["t-secret", "k-secret", "a-secret", "p-secret", "b-secret", "e-secret", "n-secret"]) expect(output).not.toContain(secret);
  });

  it("never writes the token or the ticket of a request", async () => {
    const app = await startTestApp({ env: { LOG_LEVEL: "trace" } });
    const token = await signToken();
    const ticket = randomBytes(32).toString("base64url");

    const response = await app.app.inject({
      method: "POST",
      url: `/v1/invitations/${ticket}`,
      headers: { authorization: `Bearer ${token}`, "x-request-id": "ticket-1" },
    });
    await app.close();

    expect(response.statusCode).toBe(204);
    const output = app.logs.join("\n");
    expect(output).toContain("ticket-1");
    expect(output).toContain("/v1/invitations/[redacted]");
    expect(output).not.toContain(ticket);
    expect(output).not.toContain(token);
  });

  it("logs one info line per request", async () => {
    const app = await startTestApp({ env: { LOG_LEVEL: "info" } });

    await app.app.inject({ method: "GET", url: "/healthz?probe=1", headers: { "x-request-id": "probe-7" } });
    await app.close();

    const entries = app.logs.map((line) => JSON.parse(line) as { requestId?: string; msg: string; req?: { method: string; url: string }; res?: { statusCode: number }; responseTime?: number });
    const lines = entries.filter((entry) => entry.requestId === "probe-7");
    expect(lines.map((entry) => entry.msg)).toEqual(["request completed"]);
    expect(lines[0]).toMatchObject({ req: { method: "GET", url: "/healthz?probe=1" }, res: { statusCode: 200 } });
    expect(lines[0]?.responseTime).toBeGreaterThanOrEqual(0);
  });

  it("logs the request start at debug", async () => {
    const app = await startTestApp({ env: { LOG_LEVEL: "debug" } });

    await app.app.inject({ method: "GET", url: "/healthz", headers: { "x-request-id": "probe-8" } });
    await app.close();

    const entries = app.logs.map((line) => JSON.parse(line) as { requestId?: string; msg: string });
    expect(entries.filter((entry) => entry.requestId === "probe-8").map((entry) => entry.msg)).toEqual(["incoming request", "request completed"]);
  });

  it("logs a role change only when it happens", async () => {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        lines.push(chunk.toString("utf8"));
        callback();
      },
    });
    const server = await startTestServer({ logger: createLogger({ level: "info", destination }), dispatchEmail: false });
    try {
      const admin = await testUser("admin@example.com");
      await createTenant(server, admin, "acme", "Acme");
      const ana = await addMember(server, admin, "acme", "ana@example.com", "MEMBER");
      const patch = (role: string) => server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${ana.memberId}`, headers: admin.headers, body: { role } });
      const changes = () => lines.filter((line) => line.includes('"msg":"user role changed"')).length;

      expect((await patch("MEMBER")).statusCode).toBe(200);
      expect(changes()).toBe(0);
      expect((await patch("ADMIN")).statusCode).toBe(200);
      expect(changes()).toBe(1);
    } finally {
      await server.close();
    }
  });
});
