import { generateKeyPairSync, randomUUID } from "node:crypto";

import { SignJWT } from "jose";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";

import { addMember, createTenant, latestTicket, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

// Asserts over HTTP the items of the OWASP API Security Top 10 (2023) that apply to this API: API1 object
// level authorization, API2 authentication, API3 object property level authorization, API4 resource
// consumption, API5 function level authorization and API8 security misconfiguration.
// The others are left out. API6: the only flow worth automating is sending invitations, which has a
// per-tenant hourly cap tested in invitations.test.ts. API7: the server fetches no URL that a caller
// sends. API9: every route comes from the spec and other paths are 404. API10: the only upstream is the
// configured identity provider.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a problem document must never contain: stack frames, source or install paths, database errors. */
const INTERNALS = /\bat \S+ \(|\.(ts|js|mjs):\d+|node_modules|\/work\/|\/tmp\/|SQLITE|sqlite|no such table|relation "|members_moved|stack/i;

interface HttpResult {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

describeEachDatabase("OWASP API Security Top 10 on %s", (database) => {
  let server: TestServer;
  let baseUrl: string;
  let ada: TestUser; // ADMIN of acme
  let mia: TestUser & { memberId: string }; // MEMBER of acme
  let sam: TestUser; // ADMIN of globex
  let gus: TestUser & { memberId: string }; // MEMBER of globex
  let adaMemberId: string;
  let globexOperationId: string;
  let acmeOperationId: string;
  let globexFileId: string;
  let acmeHtmlFileId: string;

  async function call(method: string, path: string, options: { user?: TestUser; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {}): Promise<HttpResult> {
    const headers: Record<string, string> = { ...options.user?.headers, ...options.headers };
    let body: string | undefined = options.rawBody;
    if (options.body !== undefined) body = JSON.stringify(options.body);
    if (body !== undefined) headers["content-type"] ??= "application/json";
    const response = await fetch(`${baseUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, text, json };
  }

  async function upload(user: TestUser, tenant: string, content: string, type: string, name: string): Promise<HttpResult> {
    const form = new FormData();
    form.append("file", new Blob([content], { type }), name);
    const response = await fetch(`${baseUrl}/v1/tenants/${tenant}/storage`, { method: "POST", body: form, headers: user.headers });
    const text = await response.text();
    return { status: response.status, headers: response.headers, text, json: JSON.parse(text) };
  }

  /** Reads the rows an attack could change: every tenant, member, invitation, operation and outbox entry. */
  async function snapshot(): Promise<unknown> {
    const { db } = server.context;
    return {
      tenants: await db.selectFrom("tenants").select(["id", "slug", "display_name", "modified_at"]).orderBy("id").execute(),
      members: await db.selectFrom("members").select(["id", "tenant_id", "email_lower", "role", "status", "version", "modified_at"]).orderBy("id").execute(),
      invitations: await db.selectFrom("invitations").select(["id", "role", "ticket_hash"]).orderBy("id").execute(),
      operations: await db.selectFrom("operations").select(["id", "status", "error"]).orderBy("id").execute(),
      outbox: await db.selectFrom("outbox").select(["id"]).orderBy("id").execute(),
    };
  }

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, env: { RATE_LIMIT_PER_MINUTE: "100000" } });
    baseUrl = await server.app.listen({ host: "127.0.0.1", port: 0 });
    ada = await testUser("ada@example.com");
    sam = await testUser("sam@example.com");
    await createTenant(server, ada, "acme", "Acme");
    await createTenant(server, sam, "globex", "Globex");
    mia = await addMember(server, ada, "acme", "mia@example.com", "MEMBER");
    gus = await addMember(server, sam, "globex", "gus@example.com", "MEMBER");
    const adaRow = await server.context.db.selectFrom("members").select("id").where("email_lower", "=", "ada@example.com").executeTakeFirstOrThrow();
    adaMemberId = adaRow.id;

    // With WORKER=off the operations stay PENDING, so a cancel would change them.
    globexOperationId = (await call("POST", "/v1/tenants/globex/users:export", { user: sam })).json.name;
    acmeOperationId = (await call("POST", "/v1/tenants/acme/users:export", { user: ada })).json.name;
    globexFileId = (await upload(gus, "globex", "globex secret\n", "text/plain", "secret.txt")).json.fileId;
    acmeHtmlFileId = (await upload(mia, "acme", "<script>alert(1)</script>", "text/html", "page.html")).json.fileId;
    expect([globexOperationId, acmeOperationId, globexFileId, acmeHtmlFileId].every((id) => UUID.test(id))).toBe(true);
  });

  afterAll(async () => {
    await server?.close();
  });

  describe("API1 broken object level authorization", () => {
    it("answers 404 without data for another tenant's objects, by id or by slug", async () => {
      const before = await snapshot();
      const attempts: [method: string, path: string, body?: unknown][] = [
        ["GET", "/v1/tenants/globex"],
        ["GET", "/v1/tenants/globex/users"],
        ["GET", `/v1/tenants/globex/users/${gus.memberId}`],
        ["PATCH", `/v1/tenants/globex/users/${gus.memberId}`, { role: "ADMIN" }],
        ["DELETE", `/v1/tenants/globex/users/${gus.memberId}`],
        ["POST", "/v1/tenants/globex/users:invite", { email: "spy@example.com", role: "ADMIN" }],
        ["GET", "/v1/tenants/globex/operations"],
        ["GET", `/v1/tenants/globex/operations/${globexOperationId}`],
        ["POST", `/v1/tenants/globex/operations/${globexOperationId}:cancel`],
        // another tenant's ids under the caller's own tenant path
        ["GET", `/v1/tenants/acme/users/${gus.memberId}`],
        ["PATCH", `/v1/tenants/acme/users/${gus.memberId}`, { role: "ADMIN" }],
        ["DELETE", `/v1/tenants/acme/users/${gus.memberId}`],
        ["GET", `/v1/tenants/acme/operations/${globexOperationId}`],
        ["POST", `/v1/tenants/acme/operations/${globexOperationId}:cancel`],
        ["POST", `/v1/me/pendingInvitations/${(await globexId())}:accept`],
      ];
      for (const [method, path, body] of attempts) {
        const response = await call(method, path, { user: ada, ...(body === undefined ? {} : { body }) });
        expect(response.status, `${method} ${path}`).toBe(404);
        expect(response.json.code, `${method} ${path}`).toBe("NOT_FOUND");
        expect(response.text, `${method} ${path}`).not.toMatch(/gus@example\.com|sam@example\.com|Globex/);
      }
      expect(await snapshot()).toEqual(before);
    });

    it("serves a stored file only under the tenant that owns it", async () => {
      const foreign = await call("GET", `/v1/tenants/acme/storage/${globexFileId}`);
      expect(foreign.status).toBe(404);
      expect(foreign.text).not.toContain("globex secret");
      const unknownTenant = await call("GET", `/v1/tenants/nowhere/storage/${globexFileId}`);
      expect(unknownTenant.status).toBe(404);
      const own = await call("GET", `/v1/tenants/globex/storage/${globexFileId}`);
      expect(own.text).toBe("globex secret\n");
    });

    it("refuses another user's file as the caller's avatar", async () => {
      const png = "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR";
      const gusAvatar = (await upload(gus, "globex", png, "image/png", "gus.png")).json.fileId as string;
      const response = await call("PATCH", "/v1/users/me", { user: ada, body: { avatarFileId: gusAvatar } });
      expect(response.status).toBe(400);
      expect((await call("GET", "/v1/users/me", { user: ada })).json.avatarFileId).toBeUndefined();
    });

    it("rejects another email's ticket with 403", async () => {
      await call("POST", "/v1/tenants/acme/users:invite", { user: ada, body: { email: "ivy@example.com", role: "ADMIN" } });
      const ticket = await latestTicket(server, "ivy@example.com");
      const response = await call("POST", `/v1/invitations/${ticket}`, { user: gus });
      expect(response.status).toBe(403);
      expect(response.json.code).toBe("EMAIL_MISMATCH");
      const gusInAcme = await server.context.db.selectFrom("members").select("id").where("email_lower", "=", "gus@example.com").execute();
      expect(gusInAcme).toHaveLength(1); // only the globex membership
    });

    async function globexId(): Promise<string> {
      return (await server.context.db.selectFrom("tenants").select("id").where("slug", "=", "globex").executeTakeFirstOrThrow()).id;
    }
  });

  describe("API5 broken function level authorization", () => {
    it("answers 403 to a MEMBER on every ADMIN operation and changes nothing", async () => {
      const before = await snapshot();
      const adminOperations: [operationId: string, method: string, path: string, body?: unknown, headers?: Record<string, string>][] = [
        ["updateUser", "PATCH", `/v1/tenants/acme/users/${adaMemberId}`, { role: "MEMBER" }],
        ["updateUser (self-promotion)", "PATCH", `/v1/tenants/acme/users/${mia.memberId}`, { role: "ADMIN" }],
        ["deleteUser", "DELETE", `/v1/tenants/acme/users/${adaMemberId}`],
        ["inviteUser", "POST", "/v1/tenants/acme/users:invite", { email: "friend@example.com", role: "ADMIN" }],
        ["batchInviteUsers", "POST", "/v1/tenants/acme/users:batchInvite", { invitations: [{ email: "friend@example.com", role: "ADMIN" }] }, { "idempotency-key": "bfla-batch-0001" }],
        ["exportUsers", "POST", "/v1/tenants/acme/users:export"],
        ["cancelOperation", "POST", `/v1/tenants/acme/operations/${acmeOperationId}:cancel`],
      ];
      for (const [operationId, method, path, body, headers] of adminOperations) {
        const response = await call(method, path, { user: mia, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
        expect(response.status, operationId).toBe(403);
        expect(response.json.code, operationId).toBe("PERMISSION_DENIED");
      }
      expect(await snapshot()).toEqual(before);
    });

    it("still lets a MEMBER read", async () => {
      expect((await call("GET", `/v1/tenants/acme/users/${adaMemberId}`, { user: mia })).status).toBe(200);
      expect((await call("GET", `/v1/tenants/acme/operations/${acmeOperationId}`, { user: mia })).status).toBe(200);
    });
  });

  describe("API3 broken object property level authorization (mass assignment)", () => {
    const userPatches: [name: string, body: Record<string, unknown>, pointer: string][] = [
      ["id", { role: "ADMIN", id: randomUUID() }, "/body/id"],
      ["email", { role: "ADMIN", email: "mallory@example.com" }, "/body/email"],
      ["status", { role: "MEMBER", status: "ACTIVE" }, "/body/status"],
      ["createdAt", { role: "MEMBER", createdAt: 0 }, "/body/createdAt"],
      ["an unknown field", { role: "MEMBER", tenantId: "globex" }, "/body/tenantId"],
      ["role UNSPECIFIED", { role: "UNSPECIFIED" }, "/body/role"],
    ];
    it.each(userPatches)("rejects PATCH user with %s (400) and leaves the row unchanged", async (_name, body, pointer) => {
      const before = await server.context.db.selectFrom("members").selectAll().where("id", "=", mia.memberId).executeTakeFirstOrThrow();
      const response = await call("PATCH", `/v1/tenants/acme/users/${mia.memberId}`, { user: ada, body });
      expect(response.status).toBe(400);
      expect(response.json.code).toBe("VALIDATION_FAILED");
      expect(response.json.errors.map((error: { pointer: string }) => error.pointer)).toContain(pointer);
      const after = await server.context.db.selectFrom("members").selectAll().where("id", "=", mia.memberId).executeTakeFirstOrThrow();
      expect(after).toEqual(before);
    });

    const profilePatches: [name: string, body: Record<string, unknown>, pointer: string][] = [
      ["email", { firstName: "Mia", email: "mallory@example.com" }, "/body/email"],
      ["id", { id: "someone-else" }, "/body/id"],
      ["emailVerified", { emailVerified: true }, "/body/emailVerified"],
      ["createdAt", { createdAt: 0 }, "/body/createdAt"],
    ];
    it.each(profilePatches)("rejects PATCH profile with %s (400) and leaves the profile unchanged", async (_name, body, pointer) => {
      const before = (await call("GET", "/v1/users/me", { user: mia })).json;
      const response = await call("PATCH", "/v1/users/me", { user: mia, body });
      expect(response.status).toBe(400);
      expect(response.json.errors.map((error: { pointer: string }) => error.pointer)).toContain(pointer);
      expect((await call("GET", "/v1/users/me", { user: mia })).json).toEqual(before);
    });

    it("rejects a tenant created with its own id", async () => {
      const response = await call("POST", "/v1/tenants", { user: ada, body: { slug: "chosen", displayName: "Chosen", id: randomUUID() } });
      expect(response.status).toBe(400);
      expect(await server.context.db.selectFrom("tenants").select("id").where("slug", "=", "chosen").execute()).toEqual([]);
    });

    it("writes only declared properties in responses", async () => {
      const response = await call("GET", `/v1/tenants/acme/users/${mia.memberId}`, { user: ada });
      expect(Object.keys(response.json).sort()).toEqual(expect.arrayContaining(["createdAt", "email", "id", "modifiedAt", "role", "status"]));
      expect(response.text).not.toMatch(/email_lower|account_sub|tenant_id|version|ticket/);
    });
  });

  describe("API4 unrestricted resource consumption", () => {
    it("answers 413 to a JSON body over 1 MiB", async () => {
      const response = await call("POST", "/v1/tenants", { user: ada, body: { slug: "huge", displayName: "x".repeat(1_100_000) } });
      expect(response.status).toBe(413);
      expect(response.json.code).toBe("PAYLOAD_TOO_LARGE");
    });

    const pageSizes = ["0", "101", "-1", "abc", "1.5", "1e9"];
    const lists = ["/v1/tenants", "/v1/tenants/acme/users", "/v1/tenants/acme/operations"];
    it.each(lists.flatMap((list) => pageSizes.map((size) => [list, size] as const)))("rejects %s?pageSize=%s with 400", async (list, size) => {
      const response = await call("GET", `${list}?pageSize=${size}`, { user: ada });
      expect(response.status).toBe(400);
      expect(response.json.errors.map((error: { pointer: string }) => error.pointer)).toContain("/query/pageSize");
    });

    const tooLong: [name: string, method: string, path: string, body: unknown, pointer: string, headers?: Record<string, string>][] = [
      ["displayName of 101", "POST", "/v1/tenants", { slug: "long-name", displayName: "x".repeat(101) }, "/body/displayName"],
      ["slug of 64", "POST", "/v1/tenants", { slug: "a".repeat(64), displayName: "Long slug" }, "/body/slug"],
      ["email of 255", "POST", "/v1/tenants/acme/users:invite", { email: `${"a".repeat(243)}@example.com`, role: "MEMBER" }, "/body/email"],
      ["firstName of 101", "PATCH", "/v1/users/me", { firstName: "x".repeat(101) }, "/body/firstName"],
      ["q of 101", "GET", `/v1/tenants/acme/users?q=${"x".repeat(101)}`, undefined, "/query/q"],
      ["pageToken of 1025", "GET", `/v1/tenants/acme/users?pageToken=${"x".repeat(1025)}`, undefined, "/query/pageToken"],
      ["If-Match of 129", "PATCH", `/v1/tenants/acme/users/${"00000000-0000-4000-8000-000000000000"}`, { role: "MEMBER" }, "/headers/If-Match", { "if-match": `"${"x".repeat(127)}"` }],
      ["Idempotency-Key of 129", "POST", "/v1/tenants/acme/users:export", undefined, "/headers/Idempotency-Key", { "idempotency-key": "k".repeat(129) }],
    ];
    it.each(tooLong)("rejects a %s (over the spec's maxLength) with 400", async (_name, method, path, body, pointer, headers) => {
      const before = await snapshot();
      const response = await call(method, path, { user: ada, ...(body === undefined ? {} : { body }), ...(headers === undefined ? {} : { headers }) });
      expect(response.status).toBe(400);
      expect(response.json.errors.map((error: { pointer: string }) => error.pointer.toLowerCase())).toContain(pointer.toLowerCase());
      expect(await snapshot()).toEqual(before);
    });

    it("rejects a batch invite of 1001 entries and of none with 400", async () => {
      const before = await snapshot();
      const invitations = Array.from({ length: 1001 }, (_, index) => ({ email: `bulk${index}@example.com`, role: "MEMBER" }));
      const tooMany = await call("POST", "/v1/tenants/acme/users:batchInvite", { user: ada, body: { invitations } });
      expect(tooMany.status).toBe(400);
      expect(tooMany.json.errors.map((error: { pointer: string }) => error.pointer)).toContain("/body/invitations");
      const none = await call("POST", "/v1/tenants/acme/users:batchInvite", { user: ada, body: { invitations: [] } });
      expect(none.status).toBe(400);
      expect(await snapshot()).toEqual(before);
    });
  });

  describe("API8 security misconfiguration", () => {
    it("sends Cache-Control: no-store on authenticated responses, errors included", async () => {
      const requests: [method: string, path: string, user: TestUser | undefined, status: number][] = [
        ["GET", "/v1/tenants", ada, 200],
        ["GET", `/v1/tenants/acme/users/${mia.memberId}`, ada, 200],
        ["GET", "/v1/users/me", mia, 200],
        ["GET", "/v1/tenants/globex", ada, 404],
        ["DELETE", `/v1/tenants/acme/users/${adaMemberId}`, mia, 403],
        ["GET", "/v1/tenants?pageSize=0", ada, 400],
        ["GET", "/v1/tenants", undefined, 401],
      ];
      for (const [method, path, user, status] of requests) {
        const response = await call(method, path, user === undefined ? {} : { user });
        expect(response.status, `${method} ${path}`).toBe(status);
        expect(response.headers.get("cache-control"), `${method} ${path}`).toBe("no-store");
      }
    });

    it("sandboxes uploaded HTML downloads", async () => {
      const response = await call("GET", `/v1/tenants/acme/storage/${acmeHtmlFileId}`);
      expect(response.status).toBe(200);
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("content-security-policy")).toMatch(/default-src 'none'.*sandbox/);
    });

    it("reveals no framework in headers and no internals in client errors", async () => {
      const responses = [
        await call("GET", "/v1/tenants", { user: ada }),
        await call("GET", "/v1/nowhere", { user: ada }),
        await call("DELETE", "/v1/tenants", { user: ada }),
        await call("POST", "/v1/tenants", { user: ada, rawBody: '{"slug": "acme",' }),
        await call("POST", "/v1/tenants", { user: ada, rawBody: "slug=acme", headers: { "content-type": "application/x-www-form-urlencoded" } }),
      ];
      expect(responses.map((response) => response.status)).toEqual([200, 404, 405, 400, 415]);
      for (const response of responses) {
        expect(response.headers.get("x-powered-by")).toBeNull();
        expect(response.headers.get("server")).toBeNull();
        expect(response.text).not.toMatch(INTERNALS);
      }
      for (const response of responses.slice(1)) expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    });
  });
});

describeEachDatabase("OWASP API2 broken authentication on %s", (database) => {
  const ISSUER = "https://login.fruxon.test/";
  const AUDIENCE = "https://api.fruxon.test";
  const trusted = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const untrusted = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const untrustedRsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const publicPem = trusted.publicKey.export({ type: "spki", format: "pem" }).toString();
  let server: TestServer;

  const base64url = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString("base64url");

  /** Signs a token with the trusted key and valid claims, changed by `change` before signing. */
  async function token(change: (jwt: SignJWT, now: number) => SignJWT = (jwt) => jwt, key: Parameters<SignJWT["sign"]>[0] = trusted.privateKey, alg = "ES256"): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ email: "kim@example.com", email_verified: true })
      .setProtectedHeader({ alg, typ: "JWT" })
      .setSubject("test|kim")
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + 600);
    return change(jwt, now).sign(key);
  }

  async function profile(authorization: string | undefined): Promise<{ statusCode: number; headers: Record<string, unknown>; body: string; json: any }> {
    return server.request({ method: "GET", url: "/v1/users/me", headers: authorization === undefined ? {} : { authorization } });
  }

  beforeAll(async () => {
    server = await startTestServer({
      database,
      dispatchEmail: false,
      env: { AUTH_PUBLIC_KEY: publicPem, AUTH_ISSUER: ISSUER, AUTH_AUDIENCE: AUDIENCE, AUTH_ALGORITHMS: "ES256,RS256" },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("accepts a valid token (the control case)", async () => {
    const response = await profile(`Bearer ${await token()}`);
    expect(response.statusCode).toBe(200);
    expect(response.json.id).toBe("test|kim");
  });

  const now = () => Math.floor(Date.now() / 1000);
  const matrix: [name: string, authorization: () => Promise<string | undefined>][] = [
    ["no Authorization header", async () => undefined],
    ["an empty Bearer", async () => "Bearer "],
    ["the Basic scheme", async () => `Basic ${Buffer.from("kim:secret").toString("base64")}`],
    ["a malformed token", async () => "Bearer not.a.jwt"],
    ["a token with a changed payload", async () => {
      const [header, , signature] = (await token()).split(".");
      return `Bearer ${header}.${base64url({ sub: "test|admin", email: "admin@example.com", email_verified: true, iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.${signature}`;
    }],
    ["alg none", async () => `Bearer ${base64url({ alg: "none", typ: "JWT" })}.${base64url({ sub: "test|kim", email: "kim@example.com", iss: ISSUER, aud: AUDIENCE, exp: now() + 600 })}.`],
    ["HS256 signed with the public key's bytes", async () => `Bearer ${await token((jwt) => jwt, new TextEncoder().encode(publicPem), "HS256")}`],
    ["an expired token", async () => `Bearer ${await token((jwt, at) => jwt.setIssuedAt(at - 7200).setExpirationTime(at - 3600))}`],
    ["a token not valid yet", async () => `Bearer ${await token((jwt, at) => jwt.setNotBefore(at + 3600))}`],
    ["a wrong issuer", async () => `Bearer ${await token((jwt) => jwt.setIssuer("https://evil.example/"))}`],
    ["a wrong audience", async () => `Bearer ${await token((jwt) => jwt.setAudience("https://other-api.example"))}`],
    ["a token signed with another key", async () => `Bearer ${await token((jwt) => jwt, untrusted.privateKey)}`],
    ["an RS256 token signed with another key", async () => `Bearer ${await token((jwt) => jwt, untrustedRsa.privateKey, "RS256")}`],
    ["a token without exp", async () => {
      const at = now();
      return `Bearer ${await new SignJWT({ email: "kim@example.com" }).setProtectedHeader({ alg: "ES256" }).setSubject("test|kim").setIssuer(ISSUER).setAudience(AUDIENCE).setIssuedAt(at).sign(trusted.privateKey)}`;
    }],
    ["a token without sub", async () => {
      const at = now();
      return `Bearer ${await new SignJWT({ email: "kim@example.com" }).setProtectedHeader({ alg: "ES256" }).setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(at + 600).sign(trusted.privateKey)}`;
    }],
    ["a token without an email", async () => {
      const at = now();
      return `Bearer ${await new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setSubject("test|nomail").setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime(at + 600).sign(trusted.privateKey)}`;
    }],
  ];

  it.each(matrix)("rejects %s with 401 and a Bearer challenge", async (_name, authorization) => {
    const header = await authorization();
    const response = await profile(header);
    expect(response.statusCode).toBe(401);
    expect(response.json).toMatchObject({ status: 401, code: "UNAUTHENTICATED" });
    expect(String(response.headers["www-authenticate"])).toMatch(/^Bearer realm="fruxon"/);
    expect(response.headers["cache-control"]).toBe("no-store");
    const tokenPart = header?.split(" ")[1];
    if (tokenPart !== undefined && tokenPart.length > 10) expect(response.body).not.toContain(tokenPart);
  });

  it("rejects an accepted token once expired", async () => {
    const issuedAt = Math.floor(Date.now() / 1000);
    const shortLived = `Bearer ${await token((jwt) => jwt.setIssuedAt(issuedAt).setExpirationTime(issuedAt + 10))}`;
    expect((await profile(shortLived)).statusCode).toBe(200);

    // Only Date moves, by more than the 10 s lifetime plus 30 s of clock tolerance and less than the
    // minute for which a verified token is remembered, so the token's exp must end the remembered entry.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 45_000 });
    try {
      const late = await profile(shortLived);
      expect(late.statusCode).toBe(401);
      expect(late.json.detail).toMatch(/expired/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("created no profile for any rejected token", async () => {
    const accounts = await server.context.db.selectFrom("accounts").select("sub").execute();
    expect(accounts.map((account) => account.sub)).toEqual(["test|kim"]);
  });
});

describeEachDatabase("OWASP API4 and API8 under failure on %s", (database) => {
  let server: TestServer;
  let baseUrl: string;
  let ada: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, env: { UPLOAD_LIMIT_BYTES: "1024", RATE_LIMIT_PER_MINUTE: "5" } });
    baseUrl = await server.app.listen({ host: "127.0.0.1", port: 0 });
    ada = await testUser("ada@example.com");
    await createTenant(server, ada, "acme", "Acme");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 413 to an upload over the configured limit and stores nothing", async () => {
    const form = new FormData();
    form.append("file", new Blob(["x".repeat(4096)], { type: "text/plain" }), "big.txt");
    const response = await fetch(`${baseUrl}/v1/tenants/acme/storage`, { method: "POST", body: form, headers: ada.headers });
    expect(response.status).toBe(413);
    expect(((await response.json()) as { code: string }).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await server.context.db.selectFrom("files").select("id").execute()).toEqual([]);
  });

  it("answers 429 with Retry-After once a caller exceeds the rate limit", async () => {
    const kim = await testUser("kim@example.com");
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    for (let attempt = 0; attempt < 6; attempt++) {
      const response = await fetch(`${baseUrl}/v1/users/me`, { headers: kim.headers });
      statuses.push(response.status);
      if (response.status === 429) retryAfter = response.headers.get("retry-after");
      await response.arrayBuffer();
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
  });

  it("hides internals in 500 problems", async () => {
    await sql`ALTER TABLE members RENAME TO members_moved`.execute(server.context.db);
    try {
      const response = await fetch(`${baseUrl}/v1/tenants/acme/users`, { headers: ada.headers });
      const text = await response.text();
      expect(response.status).toBe(500);
      expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
      expect(JSON.parse(text)).toMatchObject({ status: 500, code: "INTERNAL" });
      expect(text).not.toMatch(INTERNALS);
    } finally {
      await sql`ALTER TABLE members_moved RENAME TO members`.execute(server.context.db);
    }

    // Statements prepared before the rename work again once the table is back.
    const recovered = await fetch(`${baseUrl}/v1/tenants/acme/users`, { headers: ada.headers });
    expect(recovered.status).toBe(200);
  });
});
