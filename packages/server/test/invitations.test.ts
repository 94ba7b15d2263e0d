import { createHash } from "node:crypto";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addMember, createTenant, invite, latestTicket, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

const HOUR_MS = 60 * 60 * 1000;

describeEachDatabase("invitations on %s", (database) => {
  let server: TestServer;
  let now = Date.now();
  let admin: TestUser;
  let member: TestUser;
  let tenantId: string;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, clock: () => now, env: { INVITATIONS_PER_TENANT_PER_HOUR: "1000" } });
    admin = await testUser("admin@acme.example", { name: "Ada Admin" });
    tenantId = await createTenant(server, admin, "acme", "Acme <Corp>");
    member = await addMember(server, admin, "acme", "member@acme.example");
  });
  afterAll(async () => {
    await server?.close();
  });

  function inviteRequest(caller: TestUser, email: string, role = "MEMBER", tenant = "acme", headers: Record<string, string> = {}) {
    return server.request({ method: "POST", url: `/v1/tenants/${tenant}/users:invite`, headers: { ...caller.headers, ...headers }, body: { email, role } });
  }

  function accept(caller: TestUser, ticket: string) {
    return server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: caller.headers });
  }

  describe("invite", () => {
    it("returns the invitation and lists the user as INVITED", async () => {
      const response = await inviteRequest(admin, "Newbie@Example.com", "ADMIN");

      expect(response.statusCode).toBe(200);
      expect(response.headers["cache-control"]).toBe("no-store");
      expect(response.json).toEqual({
        id: expect.any(String),
        userEmail: "Newbie@Example.com",
        slug: "acme",
        displayName: "Acme <Corp>",
        role: "ADMIN",
        expiresAt: now + 168 * HOUR_MS,
      });
      const user = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${response.json.id}`, headers: admin.headers });
      expect(user.json).toMatchObject({ status: "INVITED", role: "ADMIN", email: "Newbie@Example.com" });
      expect(user.json.username).toBeUndefined();
    });

    it("stores only the SHA-256 of the ticket", async () => {
      await invite(server, admin, "acme", "hashed@example.com");
      const ticket = await latestTicket(server, "hashed@example.com");

      const row = await server.context.db.selectFrom("invitations").selectAll().where("email_lower", "=", "hashed@example.com").executeTakeFirstOrThrow();

      expect(ticket).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(row.ticket_hash).toBe(createHash("sha256").update(ticket).digest("base64url"));
      expect(JSON.stringify(row)).not.toContain(ticket);
    });

    it("builds the link from PUBLIC_URL, not from the Host header", async () => {
      await inviteRequest(admin, "host@example.com", "MEMBER", "acme", { host: "attacker.example" });

      const row = await server.context.db.selectFrom("outbox").selectAll().where("recipient", "=", "host@example.com").executeTakeFirstOrThrow();

      expect(row.link).toMatch(/^https:\/\/fruxon\.test\/invitations\/[A-Za-z0-9_-]{43}$/);
      expect(row.text_body).toContain(row.link);
      expect(row.html_body).not.toContain("attacker.example");
      expect(row.html_body).toContain("Acme &lt;Corp&gt;");
      expect(row.html_body).not.toContain("Acme <Corp>");
    });

    it("rejects the email of an ACTIVE member, ignoring case", async () => {
      const response = await inviteRequest(admin, "MEMBER@acme.example");

      expect(response.statusCode).toBe(400);
      expect(response.json.code).toBe("ALREADY_MEMBER");
    });

    it("replaces the outstanding invitation and its link", async () => {
      const firstId = await invite(server, admin, "acme", "twice@example.com", "MEMBER");
      const oldTicket = await latestTicket(server, "twice@example.com");
      now += 1000;

      const second = await inviteRequest(admin, "TWICE@example.com", "ADMIN");
      const newTicket = await latestTicket(server, "TWICE@example.com");

      expect(second.statusCode).toBe(200);
      expect(second.json.id).toBe(firstId);
      expect(second.json.role).toBe("ADMIN");
      expect(newTicket).not.toBe(oldTicket);
      const list = await server.request({ method: "GET", url: "/v1/tenants/acme/users?q=twice", headers: admin.headers });
      expect(list.json.totalCount).toBe(1);

      const invitee = await testUser("twice@example.com");
      const stale = await accept(invitee, oldTicket);
      expect(stale.statusCode).toBe(404);
      const fresh = await accept(invitee, newTicket);
      expect(fresh.statusCode).toBe(204);
      const user = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${firstId}`, headers: admin.headers });
      expect(user.json).toMatchObject({ status: "ACTIVE", role: "ADMIN" });
    });

    it("forbids a MEMBER and hides the tenant from outsiders", async () => {
      const outsider = await testUser("outsider@example.com");

      const byMember = await inviteRequest(member, "x@example.com");
      const byOutsider = await inviteRequest(outsider, "x@example.com");

      expect(byMember.statusCode).toBe(403);
      expect(byMember.json.code).toBe("PERMISSION_DENIED");
      expect(byOutsider.statusCode).toBe(404);
      const rows = await server.context.db.selectFrom("members").select("id").where("email_lower", "=", "x@example.com").execute();
      expect(rows).toEqual([]);
    });

    it("rejects an invalid email", async () => {
      const response = await inviteRequest(admin, "not-an-email");

      expect(response.statusCode).toBe(400);
      expect(response.json.code).toBe("VALIDATION_FAILED");
    });
  });

  describe("accept by link", () => {
    it("activates the membership once", async () => {
      const memberId = await invite(server, admin, "acme", "link@example.com", "MEMBER");
      const ticket = await latestTicket(server, "link@example.com");
      const invitee = await testUser("LINK@Example.com", { name: "Lin Kim" });

      const first = await accept(invitee, ticket);
      const second = await accept(invitee, ticket);
      const byAnotherAccount = await accept(await testUser("link@example.com"), ticket);

      expect(first.statusCode).toBe(204);
      expect(first.headers["cache-control"]).toBe("no-store");
      expect(second.statusCode).toBe(204);
      expect(byAnotherAccount.statusCode).toBe(404);
      const user = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${memberId}`, headers: admin.headers });
      expect(user.json).toMatchObject({ status: "ACTIVE", username: "LINK@Example.com", firstName: "Lin", lastName: "Kim" });
      const tenant = await server.request({ method: "GET", url: "/v1/tenants/acme", headers: invitee.headers });
      expect(tenant.statusCode).toBe(200);
    });

    it("rejects another email or an unverified one", async () => {
      await invite(server, admin, "acme", "right@example.com");
      const ticket = await latestTicket(server, "right@example.com");
      const wrong = await testUser("wrong@example.com");
      const unverified = await testUser("right@example.com", { emailVerified: false });

      const byWrong = await accept(wrong, ticket);
      const byUnverified = await accept(unverified, ticket);

      expect(byWrong.statusCode).toBe(403);
      expect(byWrong.json.code).toBe("EMAIL_MISMATCH");
      expect(byWrong.json.detail).not.toContain("right@example.com");
      expect(byUnverified.statusCode).toBe(403);
      expect(byUnverified.json.code).toBe("EMAIL_MISMATCH");
      const right = await accept(await testUser("right@example.com"), ticket);
      expect(right.statusCode).toBe(204);
    });

    it("answers 404 for an unknown ticket and 400 for a malformed one", async () => {
      const unknown = await accept(member, "A".repeat(43));
      const malformed = await accept(member, "short");

      expect(unknown.statusCode).toBe(404);
      expect(unknown.json.code).toBe("NOT_FOUND");
      expect(malformed.statusCode).toBe(400);
    });

    it("rejects an expired ticket", async () => {
      await invite(server, admin, "acme", "late@example.com");
      const ticket = await latestTicket(server, "late@example.com");
      const late = await testUser("late@example.com");
      const saved = now;
      now += 168 * HOUR_MS + 1;

      try {
        const response = await accept(late, ticket);
        const pending = await server.request({ method: "GET", url: "/v1/me/pendingInvitations", headers: late.headers });
        const byTenant = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${tenantId}:accept`, headers: late.headers });

        expect(response.statusCode).toBe(400);
        expect(response.json.code).toBe("INVITATION_EXPIRED");
        expect(pending.json).toEqual([]);
        expect(byTenant.statusCode).toBe(400);
        expect(byTenant.json.code).toBe("INVITATION_EXPIRED");
      } finally {
        now = saved;
      }
    });

    it("stops working when the invitation is withdrawn", async () => {
      const memberId = await invite(server, admin, "acme", "withdrawn@example.com");
      const ticket = await latestTicket(server, "withdrawn@example.com");

      const removal = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${memberId}`, headers: admin.headers });
      const response = await accept(await testUser("withdrawn@example.com"), ticket);

      expect(removal.statusCode).toBe(204);
      expect(response.statusCode).toBe(404);
    });

    it("stops working for its account once the member is removed", async () => {
      const memberId = await invite(server, admin, "acme", "removed-later@example.com");
      const ticket = await latestTicket(server, "removed-later@example.com");
      const invitee = await testUser("removed-later@example.com");

      const first = await accept(invitee, ticket);
      const removal = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${memberId}`, headers: admin.headers });
      const again = await accept(invitee, ticket);

      expect(first.statusCode).toBe(204);
      expect(removal.statusCode).toBe(204);
      expect(again.statusCode).toBe(404);
    });

    it("answers 204 to an account that is already an ACTIVE member", async () => {
      await invite(server, admin, "acme", "second-address@example.com");
      const ticket = await latestTicket(server, "second-address@example.com");
      const sameAccount = await testUser("second-address@example.com", { sub: member.sub });

      const response = await accept(sameAccount, ticket);

      expect(response.statusCode).toBe(204);
      const list = await server.request({ method: "GET", url: "/v1/tenants/acme/users?q=second-address", headers: admin.headers });
      expect(list.json.totalCount).toBe(0);
    });
  });

  describe("pending invitations", () => {
    let globexId: string;
    let pat: TestUser;

    beforeAll(async () => {
      const globexAdmin = await testUser("boss@globex.example");
      globexId = await createTenant(server, globexAdmin, "globex", "Globex");
      await invite(server, globexAdmin, "globex", "Pat@Example.com", "ADMIN");
      now += 1000;
      await invite(server, admin, "acme", "pat@example.com", "MEMBER");
      pat = await testUser("PAT@example.COM");
    });

    it("lists the caller's invitations as a bare array", async () => {
      const response = await server.request({ method: "GET", url: "/v1/me/pendingInvitations", headers: pat.headers });

      expect(response.statusCode).toBe(200);
      expect(response.headers["cache-control"]).toBe("no-store");
      expect(response.json).toEqual([
        { tenantId: globexId, tenantSlug: "globex", tenantDisplayName: "Globex", role: "ADMIN", invitedAt: expect.any(Number) },
        { tenantId, tenantSlug: "acme", tenantDisplayName: "Acme <Corp>", role: "MEMBER", invitedAt: expect.any(Number) },
      ]);
    });

    it("lists nothing for an unverified email", async () => {
      const unverified = await testUser("pat@example.com", { emailVerified: false });

      const response = await server.request({ method: "GET", url: "/v1/me/pendingInvitations", headers: unverified.headers });

      expect(response.json).toEqual([]);
    });

    it("accepts by tenant id, idempotently", async () => {
      const first = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${globexId}:accept`, headers: pat.headers });
      const second = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${globexId}:accept`, headers: pat.headers });

      expect(first.statusCode).toBe(204);
      expect(second.statusCode).toBe(204);
      const tenant = await server.request({ method: "GET", url: "/v1/tenants/globex", headers: pat.headers });
      expect(tenant.statusCode).toBe(200);
      const users = await server.request({ method: "GET", url: "/v1/tenants/globex/users?status=ACTIVE&role=ADMIN", headers: pat.headers });
      expect(users.json.totalCount).toBe(2);
      const pending = await server.request({ method: "GET", url: "/v1/me/pendingInvitations", headers: pat.headers });
      expect(pending.json.map((entry: { tenantSlug: string }) => entry.tenantSlug)).toEqual(["acme"]);
    });

    it("declines, which withdraws the link", async () => {
      const ticket = await latestTicket(server, "pat@example.com");

      const response = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${tenantId}:decline`, headers: pat.headers });

      expect(response.statusCode).toBe(204);
      const pending = await server.request({ method: "GET", url: "/v1/me/pendingInvitations", headers: pat.headers });
      expect(pending.json).toEqual([]);
      expect((await accept(pat, ticket)).statusCode).toBe(404);
      const list = await server.request({ method: "GET", url: "/v1/tenants/acme/users?q=pat%40", headers: admin.headers });
      expect(list.json.totalCount).toBe(0);
    });

    it("answers 404 when there is no invitation", async () => {
      const stranger = await testUser("stranger@example.com");

      const acceptResponse = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${tenantId}:accept`, headers: stranger.headers });
      const declineResponse = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${tenantId}:decline`, headers: stranger.headers });

      expect(acceptResponse.statusCode).toBe(404);
      expect(declineResponse.statusCode).toBe(404);
    });
  });
});

describeEachDatabase("invitation limit on %s", (database) => {
  let server: TestServer;
  let now = Date.now();

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, clock: () => now, env: { INVITATIONS_PER_TENANT_PER_HOUR: "3" } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers 429 with Retry-After past the hourly limit", async () => {
    const admin = await testUser("limit@example.com");
    await createTenant(server, admin, "limited");
    await createTenant(server, admin, "unlimited");
    for (let index = 0; index < 3; index += 1) {
      await invite(server, admin, "limited", `guest${index}@example.com`);
      now += 60_000;
    }

    const limited = await server.request({ method: "POST", url: "/v1/tenants/limited/users:invite", headers: admin.headers, body: { email: "extra@example.com", role: "MEMBER" } });
    const otherTenant = await server.request({ method: "POST", url: "/v1/tenants/unlimited/users:invite", headers: admin.headers, body: { email: "extra@example.com", role: "MEMBER" } });

    expect(limited.statusCode).toBe(429);
    expect(limited.json.code).toBe("RATE_LIMITED");
    expect(limited.headers["retry-after"]).toBe(String(57 * 60));
    expect(otherTenant.statusCode).toBe(200);
    const rows = await server.context.db.selectFrom("members").select("id").where("email_lower", "=", "extra@example.com").execute();
    expect(rows).toHaveLength(1);

    now += 57 * 60_000 + 1;
    const later = await server.request({ method: "POST", url: "/v1/tenants/limited/users:invite", headers: admin.headers, body: { email: "extra@example.com", role: "MEMBER" } });
    expect(later.statusCode).toBe(200);
  });
});
