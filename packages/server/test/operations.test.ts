import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { JobWorker } from "../src/jobs/worker.js";
import { addMember, createTenant, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

/** Polls an operation through the API until it is DONE or FAILED. */
async function waitForOperation(server: TestServer, user: TestUser, location: string, timeoutMs = 20_000): Promise<any> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await server.request({ method: "GET", url: location, headers: user.headers });
    if (response.statusCode !== 200) throw new Error(`GET ${location} returned ${response.statusCode}: ${response.body}`);
    if (response.json.status === "DONE" || response.json.status === "FAILED") return response.json;
    if (Date.now() > deadline) throw new Error(`operation ${location} still ${response.json.status} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describeEachDatabase("operations on %s", (database) => {
  let server: TestServer;
  let worker: JobWorker;
  let admin: TestUser;
  let member: TestUser;
  let stranger: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, env: { INVITATIONS_PER_TENANT_PER_HOUR: "100000" } });
    worker = new JobWorker(server.context, { pollIntervalMs: 20, concurrency: 2 });
    worker.start();
    admin = await testUser("admin@example.com", { name: "Ada Admin" });
    stranger = await testUser("stranger@example.com");
    await createTenant(server, admin, "acme", "Acme");
    await createTenant(server, stranger, "other", "Other");
    member = await addMember(server, admin, "acme", "member@example.com", "MEMBER", { name: "=cmd Member" });
  });
  afterAll(async () => {
    await worker?.stop();
    await server?.close();
  });

  describe("batch invite", () => {
    it("invites every entry once and counts duplicates once", async () => {
      const invitations = [
        { email: "one@example.com", role: "MEMBER" },
        { email: "Two@Example.com", role: "ADMIN" },
        { email: "ONE@example.com", role: "ADMIN" },
        { email: "member@example.com", role: "MEMBER" },
      ];

      const accepted = await server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers: admin.headers, body: { invitations } });

      expect(accepted.statusCode).toBe(202);
      expect(accepted.json).toMatchObject({ type: "BATCH_INVITE", status: "PENDING", metadata: { total: 3, processed: 0 } });
      expect(accepted.headers.location).toBe(`/v1/tenants/acme/operations/${accepted.json.name}`);
      expect(accepted.headers["retry-after"]).toBe("1");
      const done = await waitForOperation(server, admin, accepted.headers.location as string);
      expect(done.status).toBe("DONE");
      expect(done.metadata).toEqual({
        total: 3,
        processed: 3,
        succeeded: 2,
        failed: 1,
        failures: [{ email: "member@example.com", reason: expect.stringContaining("already an ACTIVE member") }],
      });
      expect(done.startedAt).toBeGreaterThanOrEqual(done.createdAt);
      expect(done.completedAt).toBeGreaterThanOrEqual(done.startedAt);
      expect(done.error).toBeUndefined();
      const invited = await server.context.db.selectFrom("members").select(["email_lower", "role", "status"]).where("email_lower", "in", ["one@example.com", "two@example.com"]).orderBy("email_lower").execute();
      expect(invited).toEqual([
        { email_lower: "one@example.com", role: "MEMBER", status: "INVITED" },
        { email_lower: "two@example.com", role: "ADMIN", status: "INVITED" },
      ]);
      const emails = await server.context.db.selectFrom("outbox").select("recipient").where("dedupe_key", "like", `batch-invite:${done.name}:%`).execute();
      expect(emails.map((email) => email.recipient).sort()).toEqual(["Two@Example.com", "one@example.com"]);
    });

    it("returns the first operation for a repeated Idempotency-Key", async () => {
      const headers = { ...admin.headers, "idempotency-key": "batch-key-0001" };
      const body = { invitations: [{ email: "idem@example.com", role: "MEMBER" }] };

      const first = await server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers, body });
      const second = await server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers, body });
      const otherTenant = await server.request({ method: "POST", url: "/v1/tenants/other/users:batchInvite", headers: { ...stranger.headers, "idempotency-key": "batch-key-0001" }, body });

      expect(first.statusCode).toBe(202);
      expect(second.statusCode).toBe(202);
      expect(second.json.name).toBe(first.json.name);
      expect(otherTenant.json.name).not.toBe(first.json.name);
      const rows = await server.context.db.selectFrom("operations").select("id").where("idempotency_key", "=", "batch-key-0001").execute();
      expect(rows).toHaveLength(2);
      await waitForOperation(server, admin, first.headers.location as string);
      await waitForOperation(server, stranger, otherTenant.headers.location as string);
    });

    it("creates one operation for concurrent requests with one key", async () => {
      const headers = { ...admin.headers, "idempotency-key": "batch-key-concurrent" };
      const body = { invitations: [{ email: "racer@example.com", role: "MEMBER" }] };

      const responses = await Promise.all([1, 2, 3].map(() => server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers, body })));

      expect(responses.map((response) => response.statusCode)).toEqual([202, 202, 202]);
      expect(new Set(responses.map((response) => response.json.name)).size).toBe(1);
      await waitForOperation(server, admin, responses[0]?.headers.location as string);
    });

    it.each([
      ["no entries", { invitations: [] }, "/body/invitations"],
      ["1,001 entries", { invitations: Array.from({ length: 1001 }, (_, index) => ({ email: `u${index}@example.com`, role: "MEMBER" })) }, "/body/invitations"],
      ["an invalid email", { invitations: [{ email: "not-an-email", role: "MEMBER" }] }, "/body/invitations/0/email"],
      ["an unknown property", { invitations: [{ email: "x@example.com", role: "MEMBER" }], extra: 1 }, "/body/extra"],
    ])("rejects %s", async (_label, body, pointer) => {
      const before = await server.context.db.selectFrom("operations").select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirstOrThrow();

      const response = await server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers: admin.headers, body });

      expect(response.statusCode).toBe(400);
      expect(response.json.code).toBe("VALIDATION_FAILED");
      expect(response.json.errors.map((error: { pointer: string }) => error.pointer)).toContain(pointer);
      const after = await server.context.db.selectFrom("operations").select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirstOrThrow();
      expect(Number(after.count)).toBe(Number(before.count));
    });

    it("is for admins only", async () => {
      const response = await server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers: member.headers, body: { invitations: [{ email: "x@example.com", role: "MEMBER" }] } });

      expect(response.statusCode).toBe(403);
      expect(response.json.code).toBe("PERMISSION_DENIED");
    });
  });

  describe("export", () => {
    it("writes a CSV file of the tenant's users", async () => {
      const accepted = await server.request({ method: "POST", url: "/v1/tenants/acme/users:export", headers: admin.headers });

      expect(accepted.statusCode).toBe(202);
      expect(accepted.json).toMatchObject({ type: "EXPORT_USERS", status: "PENDING" });
      const done = await waitForOperation(server, admin, accepted.headers.location as string);
      expect(done).toMatchObject({ status: "DONE", resourceType: "FILE" });
      const download = await server.app.inject({ method: "GET", url: `/v1/tenants/acme/storage/${done.resourceName}` });
      expect(download.statusCode).toBe(200);
      expect(download.headers["content-type"]).toBe("text/csv; charset=utf-8");
      expect(download.headers["content-disposition"]).toBe('attachment; filename="acme-users.csv"');
      const lines = download.body.split("\r\n");
      expect(lines[0]).toBe("id,email,firstName,lastName,role,status,createdAt,modifiedAt");
      expect(lines.at(-1)).toBe("");
      const users = await server.context.db.selectFrom("members").select("id").where("tenant_id", "=", (await server.context.db.selectFrom("tenants").select("id").where("slug", "=", "acme").executeTakeFirstOrThrow()).id).execute();
      expect(lines).toHaveLength(users.length + 2);
      expect(done.metadata).toEqual({ total: users.length, processed: users.length });
      const memberLine = lines.find((line) => line.includes("member@example.com"));
      expect(memberLine).toContain(",'=cmd,Member,MEMBER,ACTIVE,");
    });

    it("is for admins only", async () => {
      const response = await server.request({ method: "POST", url: "/v1/tenants/acme/users:export", headers: member.headers });

      expect(response.statusCode).toBe(403);
    });
  });

  describe("reading operations", () => {
    it("hides another tenant's operation", async () => {
      const accepted = await server.request({ method: "POST", url: "/v1/tenants/other/users:export", headers: stranger.headers });

      const asAdmin = await server.request({ method: "GET", url: `/v1/tenants/acme/operations/${accepted.json.name}`, headers: admin.headers });
      const asStranger = await server.request({ method: "GET", url: `/v1/tenants/other/operations/${accepted.json.name}`, headers: stranger.headers });
      const intoOther = await server.request({ method: "GET", url: `/v1/tenants/other/operations/${accepted.json.name}`, headers: admin.headers });

      expect(asAdmin.statusCode).toBe(404);
      expect(asAdmin.json.code).toBe("NOT_FOUND");
      expect(asStranger.statusCode).toBe(200);
      expect(intoOther.statusCode).toBe(404);
      await waitForOperation(server, stranger, accepted.headers.location as string);
    });

    it("sends Retry-After only while unfinished", async () => {
      await worker.stop();
      const accepted = await server.request({ method: "POST", url: "/v1/tenants/acme/users:export", headers: admin.headers });

      const pending = await server.request({ method: "GET", url: accepted.headers.location as string, headers: admin.headers });
      worker = new JobWorker(server.context, { pollIntervalMs: 20 });
      worker.start();
      const done = await waitForOperation(server, admin, accepted.headers.location as string);
      const finished = await server.request({ method: "GET", url: accepted.headers.location as string, headers: member.headers });

      expect(pending.json.status).toBe("PENDING");
      expect(Number(pending.headers["retry-after"])).toBeGreaterThanOrEqual(1);
      expect(Number(pending.headers["retry-after"])).toBeLessThanOrEqual(5);
      expect(done.status).toBe("DONE");
      expect(finished.statusCode).toBe(200);
      expect(finished.headers["retry-after"]).toBeUndefined();
      expect(finished.headers["cache-control"]).toBe("no-store");
    });

    it("lists newest first across pages with a status filter", async () => {
      const all: string[] = [];
      let pageToken: string | undefined;
      do {
        const query = pageToken === undefined ? "pageSize=2" : `pageSize=2&pageToken=${encodeURIComponent(pageToken)}`;
        const page = await server.request({ method: "GET", url: `/v1/tenants/acme/operations?${query}`, headers: member.headers });
        expect(page.statusCode).toBe(200);
        expect(page.json.items.length).toBeLessThanOrEqual(2);
        all.push(...page.json.items.map((item: { name: string }) => item.name));
        pageToken = page.json.nextPageToken;
      } while (pageToken !== undefined);
      const rows = await server.context.db.selectFrom("operations as o").innerJoin("tenants as t", "t.id", "o.tenant_id").select(["o.id"]).where("t.slug", "=", "acme").orderBy("o.created_at", "desc").orderBy("o.id", "desc").execute();
      const failed = await server.request({ method: "GET", url: "/v1/tenants/acme/operations?status=FAILED", headers: member.headers });
      const done = await server.request({ method: "GET", url: "/v1/tenants/acme/operations?status=DONE&pageSize=100", headers: member.headers });

      expect(all).toEqual(rows.map((row) => row.id));
      expect(failed.json).toEqual({ items: [], totalCount: 0 });
      expect(done.json.totalCount).toBe(rows.length);
      expect(done.json.items.every((item: { status: string }) => item.status === "DONE")).toBe(true);
    });

    it("rejects a page token of another filter", async () => {
      const first = await server.request({ method: "GET", url: "/v1/tenants/acme/operations?pageSize=1", headers: admin.headers });

      const reused = await server.request({ method: "GET", url: `/v1/tenants/acme/operations?status=DONE&pageToken=${encodeURIComponent(first.json.nextPageToken)}`, headers: admin.headers });

      expect(reused.statusCode).toBe(400);
      expect(reused.json.code).toBe("INVALID_PAGE_TOKEN");
    });
  });

  describe("cancel", () => {
    it("fails a pending operation with error cancelled and keeps it so", async () => {
      await worker.stop();
      const accepted = await server.request({ method: "POST", url: "/v1/tenants/acme/users:batchInvite", headers: admin.headers, body: { invitations: [{ email: "never@example.com", role: "MEMBER" }] } });

      const cancelled = await server.request({ method: "POST", url: `${accepted.headers.location}:cancel`, headers: admin.headers });
      worker = new JobWorker(server.context, { pollIntervalMs: 20 });
      worker.start();
      await new Promise((resolve) => setTimeout(resolve, 200));
      const again = await server.request({ method: "POST", url: `${accepted.headers.location}:cancel`, headers: admin.headers });
      const read = await server.request({ method: "GET", url: accepted.headers.location as string, headers: admin.headers });

      expect(cancelled.statusCode).toBe(200);
      expect(cancelled.json).toMatchObject({ status: "FAILED", error: "cancelled" });
      expect(cancelled.json.completedAt).toBeGreaterThanOrEqual(cancelled.json.createdAt);
      expect(again.statusCode).toBe(409);
      expect(again.json.code).toBe("OPERATION_FINISHED");
      expect(read.json).toEqual(cancelled.json);
      const invited = await server.context.db.selectFrom("members").select("id").where("email_lower", "=", "never@example.com").execute();
      expect(invited).toEqual([]);
    });

    it("answers 409 for a DONE operation and leaves it unchanged", async () => {
      const accepted = await server.request({ method: "POST", url: "/v1/tenants/acme/users:export", headers: admin.headers });
      const done = await waitForOperation(server, admin, accepted.headers.location as string);

      const response = await server.request({ method: "POST", url: `${accepted.headers.location}:cancel`, headers: admin.headers });
      const read = await server.request({ method: "GET", url: accepted.headers.location as string, headers: admin.headers });

      expect(response.statusCode).toBe(409);
      expect(response.json.code).toBe("OPERATION_FINISHED");
      expect(read.json).toEqual(done);
    });

    it("is for admins only", async () => {
      const accepted = await server.request({ method: "POST", url: "/v1/tenants/acme/users:export", headers: admin.headers });

      const response = await server.request({ method: "POST", url: `${accepted.headers.location}:cancel`, headers: member.headers });

      expect(response.statusCode).toBe(403);
      await waitForOperation(server, admin, accepted.headers.location as string);
    });
  });
});
