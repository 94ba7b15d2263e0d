import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { createFruxonClient, unwrap, uploadFile, waitForOperation } from "@fruxon/client";
import type { FruxonClient } from "@fruxon/client";
import { formatViolation, startMock } from "@fruxon/mock";
import type { MockServer } from "@fruxon/mock";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startSmtpPeer, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { SmtpPeer, TestServer, TestUser } from "./helpers/index.js";

// Runs the whole scenario through `prism proxy --errors` in front of the real server. Prism checks each
// request and each response against the bundled spec and logs what breaks it. The last test asserts that
// Prism logged nothing and that the scenario called every operation of the spec.

const require = createRequire(import.meta.url);
const bundle = JSON.parse(readFileSync(require.resolve("@fruxon/spec/openapi.json"), "utf8")) as {
  paths: Record<string, Record<string, { operationId?: string }>>;
};

const HTTP_METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"];

/** Every operation of the bundle with a pattern over concrete request paths (a parameter is one non-empty segment). */
const SPEC_OPERATIONS = Object.entries(bundle.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method, operation]) => HTTP_METHODS.includes(method) && typeof operation.operationId === "string")
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      operationId: operation.operationId as string,
      pattern: new RegExp(
        `^${template
          .split(/(\{[^{}]+\})/)
          .map((part) => (part.startsWith("{") ? "[^/]+" : part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")))
          .join("")}$`,
      ),
    })),
);

function operationIdOf(method: string, pathname: string): string | undefined {
  return SPEC_OPERATIONS.find((operation) => operation.method === method && operation.pattern.test(pathname))?.operationId;
}

/** Returns the accept link's ticket from a raw RFC 5322 message, after undoing quoted-printable soft line breaks. */
function ticketIn(raw: string): string | undefined {
  const unfolded = raw.replace(/=\r?\n/g, "");
  return /\/invitations\/([A-Za-z0-9_-]{43})/.exec(unfolded)?.[1];
}

describeEachDatabase("the API through prism proxy --errors on %s", (database) => {
  let server: TestServer;
  let smtp: SmtpPeer;
  /** Validates requests and responses; invalid requests would get Prism's own 422. */
  let proxy: MockServer;
  /** Forwards invalid requests to the server and validates only the responses. */
  let lenientProxy: MockServer;
  const calls: { operationId: string | undefined; method: string; path: string; status: number }[] = [];

  let ada: TestUser; // creates acme, its first ADMIN
  let mia: TestUser; // MEMBER of acme
  let ben: TestUser; // invited as ADMIN, accepts from the pending list, later removed
  let cy: TestUser; // invited, declines
  let sam: TestUser; // creates globex, its only ADMIN
  let acmeId: string;
  let globexId: string;

  /** Sends a request and records which operation it called and the status that came back. */
  async function recordedFetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    const response = await fetch(request);
    calls.push({ operationId: operationIdOf(request.method, pathname), method: request.method, path: pathname, status: response.status });
    return response;
  }

  function clientFor(user: TestUser | undefined, baseUrl = proxy.url): FruxonClient {
    return createFruxonClient({ baseUrl, fetch: recordedFetch, maxRetries: 0, timeoutMs: 20_000, ...(user === undefined ? {} : { token: user.token }) });
  }

  /** Plain fetch through a proxy, for requests the typed client refuses to build. */
  async function send(target: MockServer, method: string, path: string, options: { token?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["content-type"] ??= "application/json";
    return recordedFetch(new Request(`${target.url}${path}`, { method, headers, ...(options.body === undefined ? {} : { body: options.body }) }));
  }

  async function ticketFor(email: string, after: number): Promise<string> {
    const messages = await smtp.waitForMessages(after + 1, 15_000);
    const message = messages.slice(after).find((candidate) => candidate.to.includes(email));
    const ticket = message === undefined ? undefined : ticketIn(message.raw);
    if (ticket === undefined) throw new Error(`no invitation email with an accept link reached ${email}`);
    return ticket;
  }

  beforeAll(async () => {
    smtp = await startSmtpPeer();
    server = await startTestServer({
      database,
      env: { SMTP_URL: smtp.url, WORKER: "in-process", RATE_LIMIT_PER_MINUTE: "100000" },
      worker: { pollIntervalMs: 20 },
    });
    await server.app.listen({ host: "127.0.0.1", port: 0 });
    const address = server.app.server.address();
    const upstream = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
    [proxy, lenientProxy] = await Promise.all([
      startMock({ proxy: upstream, errors: true }),
      startMock({ proxy: upstream, errors: true, validateRequest: false }),
    ]);

    ada = await testUser("ada@example.com", { name: "Ada Admin" });
    mia = await testUser("mia@example.com", { name: "Mia Member" });
    ben = await testUser("ben@example.com");
    cy = await testUser("cy@example.com");
    sam = await testUser("sam@example.com");
  });

  afterAll(async () => {
    await Promise.all([proxy?.stop(), lenientProxy?.stop()]);
    await server?.close();
    await smtp?.stop();
  });

  it("answers liveness and readiness", async () => {
    const anonymous = clientFor(undefined);
    expect((await anonymous.GET("/healthz")).response.status).toBe(200);
    const ready = await anonymous.GET("/readyz");
    expect(ready.response.status).toBe(200);
  });

  it("creates, lists and reads tenants", async () => {
    const created = await clientFor(ada).POST("/v1/tenants", { body: { slug: "acme", displayName: "Acme" } });
    expect(created.response.status).toBe(201);
    acmeId = created.data!.id;
    globexId = (await unwrap(clientFor(sam).POST("/v1/tenants", { body: { slug: "globex", displayName: "Globex" } }))).id;

    const duplicate = await clientFor(sam).POST("/v1/tenants", { body: { slug: "acme", displayName: "Another Acme" } });
    expect(duplicate.error?.status).toBe(409);

    const list = await unwrap(clientFor(ada).GET("/v1/tenants", { params: { query: { pageSize: 10 } } }));
    expect(list.items.map((tenant) => tenant.slug)).toEqual(["acme"]);
    expect(list.totalCount).toBe(1);
    const bySlug = await unwrap(clientFor(ada).GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } }));
    const byId = await unwrap(clientFor(ada).GET("/v1/tenants/{tenant}", { params: { path: { tenant: acmeId } } }));
    expect(byId).toEqual(bySlug);
  });

  it("invites by email and accepts with the ticket from the received message", async () => {
    const before = smtp.messages.length;
    const invitation = await unwrap(
      clientFor(ada).POST("/v1/tenants/{tenant}/users:invite", { params: { path: { tenant: "acme" } }, body: { email: mia.email, role: "MEMBER" } }),
    );
    expect(invitation).toMatchObject({ userEmail: mia.email, slug: "acme", role: "MEMBER" });

    const ticket = await ticketFor(mia.email, before);
    const accepted = await clientFor(mia).POST("/v1/invitations/{ticket}", { params: { path: { ticket } } });
    expect(accepted.response.status).toBe(204);
    // idempotent for the account that accepted it, unknown to any other
    const again = await clientFor(mia).POST("/v1/invitations/{ticket}", { params: { path: { ticket } } });
    expect(again.response.status).toBe(204);
    const other = await clientFor(await testUser(mia.email)).POST("/v1/invitations/{ticket}", { params: { path: { ticket } } });
    expect(other.error?.status).toBe(404);
    const tenants = await unwrap(clientFor(mia).GET("/v1/tenants"));
    expect(tenants.items.map((tenant) => tenant.slug)).toEqual(["acme"]);
  });

  it("lists pending invitations and accepts or declines them", async () => {
    for (const [user, role] of [[ben, "ADMIN"], [cy, "MEMBER"]] as const) {
      await unwrap(clientFor(ada).POST("/v1/tenants/{tenant}/users:invite", { params: { path: { tenant: "acme" } }, body: { email: user.email, role } }));
    }
    const pending = await unwrap(clientFor(ben).GET("/v1/me/pendingInvitations"));
    expect(pending).toEqual([expect.objectContaining({ tenantId: acmeId, tenantSlug: "acme", role: "ADMIN" })]);

    const accepted = await clientFor(ben).POST("/v1/me/pendingInvitations/{tenantId}:accept", { params: { path: { tenantId: acmeId } } });
    expect(accepted.response.status).toBe(204);
    const declined = await clientFor(cy).POST("/v1/me/pendingInvitations/{tenantId}:decline", { params: { path: { tenantId: acmeId } } });
    expect(declined.response.status).toBe(204);
    expect(await unwrap(clientFor(cy).GET("/v1/me/pendingInvitations"))).toEqual([]);
    const none = await clientFor(cy).POST("/v1/me/pendingInvitations/{tenantId}:accept", { params: { path: { tenantId: acmeId } } });
    expect(none.error?.status).toBe(404);
  });

  it("filters and pages the member list", async () => {
    const users = clientFor(ada);
    const admins = await unwrap(users.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { role: "ADMIN", status: "ACTIVE" } } }));
    expect(admins.items.map((user) => user.email).sort()).toEqual([ada.email, ben.email]);
    const search = await unwrap(users.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { q: "MIA@" } } }));
    expect(search.items.map((user) => user.email)).toEqual([mia.email]);

    const seen: string[] = [];
    let pageToken: string | undefined;
    do {
      const page = await unwrap(users.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { pageSize: 1, ...(pageToken === undefined ? {} : { pageToken }) } } }));
      expect(page.items.length).toBe(1);
      expect(page.totalCount).toBe(3);
      seen.push(page.items[0]!.email);
      pageToken = page.nextPageToken;
    } while (pageToken !== undefined);
    expect(seen.sort()).toEqual([ada.email, ben.email, mia.email].sort());
  });

  it("changes a role with If-Match and refuses a stale ETag with 412", async () => {
    const users = clientFor(ada);
    const list = await unwrap(users.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { q: "mia" } } }));
    const miaId = list.items[0]!.id;
    const read = await users.GET("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "acme", user: miaId } } });
    const etag = read.response.headers.get("etag");
    expect(etag).toMatch(/^"[^"]+"$/);

    const promoted = await users.PATCH("/v1/tenants/{tenant}/users/{user}", {
      params: { path: { tenant: "acme", user: miaId }, header: { "If-Match": etag! } },
      body: { role: "ADMIN" },
    });
    expect(promoted.data?.role).toBe("ADMIN");
    expect(promoted.response.headers.get("etag")).not.toBe(etag);

    const stale = await users.PATCH("/v1/tenants/{tenant}/users/{user}", {
      params: { path: { tenant: "acme", user: miaId }, header: { "If-Match": etag! } },
      body: { role: "MEMBER" },
    });
    expect(stale.error?.status).toBe(412);
    await unwrap(users.PATCH("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "acme", user: miaId } }, body: { role: "MEMBER" } }));
  });

  it("keeps the last ACTIVE admin (409) and removes a member", async () => {
    const globexUsers = await unwrap(clientFor(sam).GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "globex" } } }));
    const samId = globexUsers.items[0]!.id;
    const demote = await clientFor(sam).PATCH("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "globex", user: samId } }, body: { role: "MEMBER" } });
    expect(demote.error?.status).toBe(409);
    expect(demote.error?.code).toBe("LAST_ADMIN");
    const remove = await clientFor(sam).DELETE("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "globex", user: samId } } });
    expect(remove.error?.status).toBe(409);

    const acmeUsers = await unwrap(clientFor(ada).GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "acme" }, query: { q: "ben" } } }));
    const removed = await clientFor(ada).DELETE("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "acme", user: acmeUsers.items[0]!.id } } });
    expect(removed.response.status).toBe(204);
  });

  it("reads and patches the profile, clearing a field with null", async () => {
    const me = clientFor(ada);
    const profile = await unwrap(me.GET("/v1/users/me"));
    expect(profile).toMatchObject({ id: ada.sub, email: ada.email });
    const named = await unwrap(me.PATCH("/v1/users/me", { body: { firstName: "Ada", lastName: "Lovelace" } }));
    expect(named).toMatchObject({ firstName: "Ada", lastName: "Lovelace" });
    const cleared = await unwrap(me.PATCH("/v1/users/me", { body: { lastName: null } }));
    expect(cleared.firstName).toBe("Ada");
    expect(cleared.lastName).toBeUndefined();
  });

  it("runs batch invite and export", async () => {
    const admin = clientFor(ada);
    const batch = await admin.POST("/v1/tenants/{tenant}/users:batchInvite", {
      params: { path: { tenant: "acme" }, header: { "Idempotency-Key": `batch-${database}-0001` } },
      body: { invitations: [{ email: "dan@example.com", role: "MEMBER" }, { email: "eve@example.com", role: "ADMIN" }, { email: mia.email, role: "MEMBER" }] },
    });
    expect(batch.response.status).toBe(202);
    const batchDone = await waitForOperation(admin, { tenant: "acme", operation: batch.data!.name }, { timeoutMs: 25_000 });
    expect(batchDone.metadata).toMatchObject({ total: 3, processed: 3, succeeded: 2, failed: 1 });

    const exported = await unwrap(admin.POST("/v1/tenants/{tenant}/users:export", { params: { path: { tenant: "acme" } } }));
    const exportDone = await waitForOperation(admin, { tenant: "acme", operation: exported.name }, { timeoutMs: 25_000 });
    expect(exportDone.resourceName).toBeDefined();

    const csv = await send(proxy, "GET", `/v1/tenants/acme/storage/${exportDone.resourceName!}`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text).toContain(ada.email);
    expect(text).toContain("dan@example.com");

    const operations = await unwrap(admin.GET("/v1/tenants/{tenant}/operations", { params: { path: { tenant: "acme" }, query: { status: "DONE" } } }));
    expect(operations.items.map((operation) => operation.name)).toEqual([exported.name, batch.data!.name]);
    const read = await unwrap(admin.GET("/v1/tenants/{tenant}/operations/{operation}", { params: { path: { tenant: "acme", operation: exported.name } } }));
    expect(read.status).toBe("DONE");
    const cancel = await admin.POST("/v1/tenants/{tenant}/operations/{operation}:cancel", { params: { path: { tenant: "acme", operation: exported.name } } });
    expect(cancel.error?.status).toBe(409);
  });

  it("uploads a small file and downloads the same bytes", async () => {
    const content = "hello from the contract run\n";
    const link = await uploadFile(clientFor(mia), { tenant: "acme", file: new Blob([content], { type: "text/plain" }), filename: "hello.txt" });
    expect(link).toMatchObject({ fileType: "text/plain", sizeBytes: Buffer.byteLength(content) });
    const download = await clientFor(undefined).GET("/v1/tenants/{tenant}/storage/{file}", { params: { path: { tenant: "acme", file: link.fileId } }, parseAs: "text" });
    expect(download.response.status).toBe(200);
    expect(download.data).toBe(content);
  });

  it("answers 404, 403 and 401", async () => {
    const foreign = await clientFor(ada).GET("/v1/tenants/{tenant}", { params: { path: { tenant: globexId } } });
    expect(foreign.error?.status).toBe(404);
    const globexUsers = await unwrap(clientFor(sam).GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: "globex" } } }));
    const foreignUser = await clientFor(ada).GET("/v1/tenants/{tenant}/users/{user}", { params: { path: { tenant: "acme", user: globexUsers.items[0]!.id } } });
    expect(foreignUser.error?.status).toBe(404);

    const forbidden = await clientFor(mia).POST("/v1/tenants/{tenant}/users:invite", { params: { path: { tenant: "acme" } }, body: { email: "zed@example.com", role: "MEMBER" } });
    expect(forbidden.error?.status).toBe(403);

    const badToken = await send(proxy, "GET", "/v1/tenants", { token: "not-a-jwt" });
    expect(badToken.status).toBe(401);
    expect(badToken.headers.get("www-authenticate")).toMatch(/^Bearer /);
    expect((await badToken.json()) as object).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
  });

  it("answers 400 problems for invalid input, forwarded by the lenient proxy", async () => {
    const invalid: [method: string, path: string, body: string | undefined, pointer: string][] = [
      ["GET", "/v1/tenants/acme/users?pageSize=0", undefined, "/query/pageSize"],
      ["GET", "/v1/tenants?pageSize=abc", undefined, "/query/pageSize"],
      ["POST", "/v1/tenants", JSON.stringify({ slug: "Not A Slug", displayName: "x" }), "/body/slug"],
      ["POST", "/v1/tenants/acme/users:invite", JSON.stringify({ email: "not-an-email", role: "MEMBER" }), "/body/email"],
      ["PATCH", "/v1/users/me", JSON.stringify({ email: "mallory@example.com" }), "/body/email"],
    ];
    for (const [method, path, body, pointer] of invalid) {
      const response = await send(lenientProxy, method, path, { token: ada.token, ...(body === undefined ? {} : { body }) });
      const problem = (await response.json()) as { status: number; code: string; errors?: { pointer: string }[] };
      expect(response.status, `${method} ${path}`).toBe(400);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(problem.code, `${method} ${path}`).toBe("VALIDATION_FAILED");
      expect(problem.errors?.map((error) => error.pointer), `${method} ${path}`).toContain(pointer);
    }
    const responseViolations = (await lenientProxy.violations()).filter((violation) => violation.location.startsWith("response"));
    expect(responseViolations.map(formatViolation)).toEqual([]);
  });

  it("called every operation of the spec and Prism reported no violation", async () => {
    const called = new Set(calls.map((call) => call.operationId));
    const missing = SPEC_OPERATIONS.map((operation) => operation.operationId).filter((operationId) => !called.has(operationId));
    expect(missing, "operations the scenario never called").toEqual([]);
    expect(calls.filter((call) => call.operationId === undefined), "requests that match no operation of the spec").toEqual([]);

    const violations = await proxy.violations();
    expect(violations.map(formatViolation), `Prism reported violations:\n${violations.map(formatViolation).join("\n")}`).toEqual([]);
  });
});
