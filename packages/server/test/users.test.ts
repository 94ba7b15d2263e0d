import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addMember, createTenant, invite, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

/** Returns a clock that moves one millisecond per reading, so rows get distinct, ordered timestamps. */
function steppingClock(): () => number {
  let now = Date.now();
  return () => (now += 1);
}

describeEachDatabase("users on %s", (database) => {
  let server: TestServer;
  let admin: TestUser;
  let member: TestUser & { memberId: string };
  let outsider: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, clock: steppingClock() });
    admin = await testUser("admin@example.com", { name: "Ada Admin" });
    outsider = await testUser("outsider@example.com");
    await createTenant(server, admin, "acme");
    member = await addMember(server, admin, "acme", "Mia.Member@Example.com", "MEMBER");
    await createTenant(server, outsider, "other");
  });
  afterAll(async () => {
    await server?.close();
  });

  describe("list", () => {
    let tenant: string;
    let tenantAdmin: TestUser;

    beforeAll(async () => {
      tenantAdmin = await testUser("lead@list.example", { name: "Lena Lead" });
      tenant = await createTenant(server, tenantAdmin, "listing");
      await addMember(server, tenantAdmin, tenant, "zoe@list.example", "ADMIN");
      const named = await testUser("bob@list.example", { name: "Bob Zapata" });
      await invite(server, tenantAdmin, tenant, named.email, "MEMBER");
      const ticketUser = await addMember(server, tenantAdmin, tenant, "carl@list.example", "MEMBER", { name: "Carl Zapata" });
      expect(ticketUser.memberId).toBeTruthy();
      for (let index = 0; index < 6; index += 1) await invite(server, tenantAdmin, tenant, `guest${index}@list.example`, index % 2 === 0 ? "MEMBER" : "ADMIN");
    });

    const cases: [string, { query: string; want: string[] }][] = [
      ["status ACTIVE", { query: "status=ACTIVE", want: ["lead@list.example", "zoe@list.example", "carl@list.example"] }],
      ["role ADMIN", { query: "role=ADMIN", want: ["lead@list.example", "zoe@list.example", "guest1@list.example", "guest3@list.example", "guest5@list.example"] }],
      ["status and role", { query: "status=INVITED&role=ADMIN", want: ["guest1@list.example", "guest3@list.example", "guest5@list.example"] }],
      ["q on email, any case", { query: "q=GUEST4", want: ["guest4@list.example"] }],
      ["q on first name", { query: "q=lena", want: ["lead@list.example"] }],
      ["q on last name", { query: "q=zAP", want: ["carl@list.example"] }],
      ["q matching nobody", { query: "q=nobody", want: [] }],
      ["q with LIKE wildcards", { query: "q=%25", want: [] }],
      ["q with underscore", { query: "q=_", want: [] }],
    ];

    it.each(cases)("filters by %s", async (_label, { query, want }) => {
      const response = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?${query}&pageSize=100`, headers: tenantAdmin.headers });

      expect(response.statusCode).toBe(200);
      expect(response.json.items.map((user: { email: string }) => user.email)).toEqual(want);
      expect(response.json.totalCount).toBe(want.length);
      expect(response.json.nextPageToken).toBeUndefined();
    });

    it("pages through every user once, oldest first", async () => {
      const all = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=100`, headers: tenantAdmin.headers });
      const expected = all.json.items.map((user: { id: string }) => user.id);
      expect(expected).toHaveLength(10);

      const seen: string[] = [];
      let pageToken: string | undefined;
      let pages = 0;
      do {
        const suffix = pageToken === undefined ? "" : `&pageToken=${encodeURIComponent(pageToken)}`;
        const response = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=3${suffix}`, headers: tenantAdmin.headers });
        expect(response.statusCode).toBe(200);
        expect(response.json.totalCount).toBe(10);
        seen.push(...response.json.items.map((user: { id: string }) => user.id));
        pageToken = response.json.nextPageToken;
        pages += 1;
      } while (pageToken !== undefined);

      expect(pages).toBe(4);
      expect(seen).toEqual(expected);
      const createdAt = all.json.items.map((user: { createdAt: number }) => user.createdAt);
      expect(createdAt).toEqual([...createdAt].sort((left, right) => left - right));
    });

    it("pages through a filtered list", async () => {
      const first = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?status=INVITED&pageSize=4`, headers: tenantAdmin.headers });
      const second = await server.request({
        method: "GET",
        url: `/v1/tenants/${tenant}/users?status=INVITED&pageSize=4&pageToken=${encodeURIComponent(first.json.nextPageToken)}`,
        headers: tenantAdmin.headers,
      });

      expect(first.json.totalCount).toBe(7);
      expect(first.json.items).toHaveLength(4);
      expect(second.json.items).toHaveLength(3);
      expect(second.json.nextPageToken).toBeUndefined();
      expect(second.json.items.every((user: { status: string }) => user.status === "INVITED")).toBe(true);
    });

    it("rejects a tampered page token", async () => {
      const first = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=2`, headers: tenantAdmin.headers });
      const token = first.json.nextPageToken as string;
      const [body, signature] = token.split(".") as [string, string];
      const payload = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
      payload.k[0] = 0;
      const forged = `${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${signature}`;
      const flipped = `${body}.${signature.slice(0, -1)}${signature.endsWith("A") ? "B" : "A"}`;

      for (const bad of [forged, flipped, "not-a-token", `${token}.extra`]) {
        const response = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=2&pageToken=${encodeURIComponent(bad)}`, headers: tenantAdmin.headers });
        expect(response.statusCode, bad).toBe(400);
        expect(response.json.code).toBe("INVALID_PAGE_TOKEN");
      }
    });

    it("rejects a page token reused with other filters or in another tenant", async () => {
      const first = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=2&status=INVITED`, headers: tenantAdmin.headers });
      const token = encodeURIComponent(first.json.nextPageToken as string);

      const otherFilter = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=2&status=ACTIVE&pageToken=${token}`, headers: tenantAdmin.headers });
      const noFilter = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=2&pageToken=${token}`, headers: tenantAdmin.headers });
      const otherTenant = await server.request({ method: "GET", url: `/v1/tenants/acme/users?pageSize=2&status=INVITED&pageToken=${token}`, headers: admin.headers });
      const tenantsList = await server.request({ method: "GET", url: `/v1/tenants?pageToken=${token}`, headers: tenantAdmin.headers });

      for (const response of [otherFilter, noFilter, otherTenant, tenantsList]) {
        expect(response.statusCode).toBe(400);
        expect(response.json.code).toBe("INVALID_PAGE_TOKEN");
      }
    });

    it("lets a MEMBER read the list", async () => {
      const response = await server.request({ method: "GET", url: "/v1/tenants/acme/users", headers: member.headers });

      expect(response.statusCode).toBe(200);
      expect(response.json.totalCount).toBe(2);
    });
  });

  describe("get", () => {
    it("returns the user with a strong ETag", async () => {
      const response = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: member.headers });

      expect(response.statusCode).toBe(200);
      expect(response.json).toMatchObject({ id: member.memberId, email: "Mia.Member@Example.com", status: "ACTIVE", role: "MEMBER" });
      expect(response.headers.etag).toMatch(/^"\d+-\d+"$/);
      expect(response.headers["cache-control"]).toBe("no-store");
    });

    it("answers 404 for a user of another tenant", async () => {
      const [otherUser] = (await server.request({ method: "GET", url: "/v1/tenants/other/users", headers: outsider.headers })).json.items;

      const response = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${otherUser.id}`, headers: admin.headers });

      expect(response.statusCode).toBe(404);
      expect(response.json.code).toBe("NOT_FOUND");
    });

    it("answers 404 to an outsider who knows the ids", async () => {
      const response = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: outsider.headers });

      expect(response.statusCode).toBe(404);
    });
  });

  describe("update", () => {
    it("changes the role and the ETag", async () => {
      const before = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers });

      const response = await server.request({
        method: "PATCH",
        url: `/v1/tenants/acme/users/${member.memberId}`,
        headers: { ...admin.headers, "if-match": before.headers.etag as string },
        body: { role: "ADMIN" },
      });

      expect(response.statusCode).toBe(200);
      expect(response.json.role).toBe("ADMIN");
      expect(response.headers.etag).not.toBe(before.headers.etag);
      const reset = await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers, body: { role: "MEMBER" } });
      expect(reset.statusCode).toBe(200);
    });

    it("answers 412 for a stale If-Match and changes nothing", async () => {
      const before = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers });
      await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers, body: { role: "ADMIN" } });

      const stale = await server.request({
        method: "PATCH",
        url: `/v1/tenants/acme/users/${member.memberId}`,
        headers: { ...admin.headers, "if-match": before.headers.etag as string },
        body: { role: "MEMBER" },
      });

      expect(stale.statusCode).toBe(412);
      expect(stale.json.code).toBe("PRECONDITION_FAILED");
      const after = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers });
      expect(after.json.role).toBe("ADMIN");
      await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers, body: { role: "MEMBER" } });
    });

    it("keeps the ETag when the role is unchanged", async () => {
      const before = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers });

      const response = await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers, body: { role: "MEMBER" } });

      expect(response.statusCode).toBe(200);
      expect(response.headers.etag).toBe(before.headers.etag);
    });

    it("forbids a MEMBER", async () => {
      const response = await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: member.headers, body: { role: "ADMIN" } });

      expect(response.statusCode).toBe(403);
      expect(response.json.code).toBe("PERMISSION_DENIED");
    });

    it("answers 404, not 403, to an outsider", async () => {
      const response = await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: outsider.headers, body: { role: "ADMIN" } });

      expect(response.statusCode).toBe(404);
    });

    const massAssignment: [string, Record<string, unknown>][] = [
      ["id", { role: "MEMBER", id: "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10" }],
      ["email", { role: "MEMBER", email: "evil@example.com" }],
      ["status", { role: "MEMBER", status: "INVITED" }],
      ["createdAt", { role: "MEMBER", createdAt: 0 }],
      ["an unknown field", { role: "MEMBER", superuser: true }],
      ["role UNSPECIFIED", { role: "UNSPECIFIED" }],
    ];

    it.each(massAssignment)("rejects %s and changes nothing", async (_label, body) => {
      const before = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers });

      const response = await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers, body });

      expect(response.statusCode).toBe(400);
      expect(response.json.code).toBe("VALIDATION_FAILED");
      const after = await server.request({ method: "GET", url: `/v1/tenants/acme/users/${member.memberId}`, headers: admin.headers });
      expect(after.json).toEqual(before.json);
      expect(after.headers.etag).toBe(before.headers.etag);
    });
  });

  describe("last admin", () => {
    it("rejects demoting or removing the only ACTIVE admin", async () => {
      const solo = await testUser("solo@example.com");
      const tenant = await createTenant(server, solo, "solo-tenant");
      await invite(server, solo, tenant, "pending-admin@example.com", "ADMIN");
      const [self] = (await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?status=ACTIVE`, headers: solo.headers })).json.items;

      const demote = await server.request({ method: "PATCH", url: `/v1/tenants/${tenant}/users/${self.id}`, headers: solo.headers, body: { role: "MEMBER" } });
      const remove = await server.request({ method: "DELETE", url: `/v1/tenants/${tenant}/users/${self.id}`, headers: solo.headers });

      expect(demote.statusCode).toBe(409);
      expect(demote.json.code).toBe("LAST_ADMIN");
      expect(remove.statusCode).toBe(409);
      expect(remove.json.code).toBe("LAST_ADMIN");
      const after = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users/${self.id}`, headers: solo.headers });
      expect(after.json.role).toBe("ADMIN");
    });

    it("allows demoting an admin while another remains", async () => {
      const first = await testUser("first@example.com");
      const tenant = await createTenant(server, first, "two-admins");
      const second = await addMember(server, first, tenant, "second@example.com", "ADMIN");

      const response = await server.request({ method: "PATCH", url: `/v1/tenants/${tenant}/users/${second.memberId}`, headers: first.headers, body: { role: "MEMBER" } });

      expect(response.statusCode).toBe(200);
      expect(response.json.role).toBe("MEMBER");
    });
  });

  describe("delete", () => {
    it("removes a member, who then loses access", async () => {
      const leaver = await addMember(server, admin, "acme", "leaver@example.com");
      const etag = (await server.request({ method: "GET", url: `/v1/tenants/acme/users/${leaver.memberId}`, headers: admin.headers })).headers.etag as string;

      const stale = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${leaver.memberId}`, headers: { ...admin.headers, "if-match": '"999-1"' } });
      const response = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${leaver.memberId}`, headers: { ...admin.headers, "if-match": etag } });

      expect(stale.statusCode).toBe(412);
      expect(response.statusCode).toBe(204);
      const access = await server.request({ method: "GET", url: "/v1/tenants/acme", headers: leaver.headers });
      expect(access.statusCode).toBe(404);
      const again = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${leaver.memberId}`, headers: admin.headers });
      expect(again.statusCode).toBe(404);
    });

    it("forbids a MEMBER", async () => {
      const response = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${member.memberId}`, headers: member.headers });

      expect(response.statusCode).toBe(403);
      expect(response.json.code).toBe("PERMISSION_DENIED");
    });

    it("answers 404 for a user of another tenant", async () => {
      const [otherUser] = (await server.request({ method: "GET", url: "/v1/tenants/other/users", headers: outsider.headers })).json.items;

      const response = await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${otherUser.id}`, headers: admin.headers });

      expect(response.statusCode).toBe(404);
      const stillThere = await server.request({ method: "GET", url: `/v1/tenants/other/users/${otherUser.id}`, headers: outsider.headers });
      expect(stillThere.statusCode).toBe(200);
    });
  });
});
