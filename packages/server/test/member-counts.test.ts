import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addMember, createTenant, invite, latestTicket, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

// A member list without `q` takes its `totalCount` from `member_counts`, which triggers on `members` keep
// up to date. These tests change members in every way the API allows and compare each count with the rows.

const FILTERS = ["", "status=ACTIVE", "status=INVITED", "role=ADMIN", "role=MEMBER", "status=ACTIVE&role=ADMIN", "status=INVITED&role=MEMBER"];

describeEachDatabase("member counts on %s", (database) => {
  let server: TestServer;
  let admin: TestUser;

  /** Returns, per filter, the listed totalCount and the number of matching rows in `members`. */
  async function counts(tenant: string): Promise<{ filter: string; listed: number; rows: number }[]> {
    const tenantRow = await server.context.db.selectFrom("tenants").select("id").where("slug", "=", tenant).executeTakeFirstOrThrow();
    const result = [];
    for (const filter of FILTERS) {
      const response = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?pageSize=1${filter === "" ? "" : `&${filter}`}`, headers: admin.headers });
      expect(response.statusCode).toBe(200);
      const params = new URLSearchParams(filter);
      let query = server.context.db.selectFrom("members").select((eb) => eb.fn.countAll<number>().as("count")).where("tenant_id", "=", tenantRow.id);
      const status = params.get("status");
      const role = params.get("role");
      if (status !== null) query = query.where("status", "=", status as "ACTIVE" | "INVITED");
      if (role !== null) query = query.where("role", "=", role as "ADMIN" | "MEMBER");
      const { count } = await query.executeTakeFirstOrThrow();
      result.push({ filter, listed: response.json.totalCount as number, rows: Number(count) });
    }
    return result;
  }

  function expectExact(list: { filter: string; listed: number; rows: number }[]): void {
    for (const { filter, listed, rows } of list) expect(listed, `totalCount for "${filter}"`).toBe(rows);
  }

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, env: { INVITATIONS_PER_TENANT_PER_HOUR: "100000", RATE_LIMIT_PER_MINUTE: "100000" } });
    admin = await testUser("admin@example.com");
    await createTenant(server, admin, "acme", "Acme");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("matches the rows after each change", async () => {
    const ana = await addMember(server, admin, "acme", "ana@example.com", "MEMBER");
    const ben = await addMember(server, admin, "acme", "ben@example.com", "ADMIN");
    await invite(server, admin, "acme", "cy@example.com", "MEMBER");
    await invite(server, admin, "acme", "cy@example.com", "ADMIN"); // replaces the invitation
    const dee = await testUser("dee@example.com");
    await invite(server, admin, "acme", dee.email, "MEMBER");
    expectExact(await counts("acme"));
    expect((await counts("acme"))[0]).toEqual({ filter: "", listed: 5, rows: 5 });

    await server.request({ method: "PATCH", url: `/v1/tenants/acme/users/${ana.memberId}`, headers: admin.headers, body: { role: "ADMIN" } });
    await server.request({ method: "DELETE", url: `/v1/tenants/acme/users/${ben.memberId}`, headers: admin.headers });
    const tenantId = (await server.request({ method: "GET", url: "/v1/tenants/acme", headers: admin.headers })).json.id as string;
    const declined = await server.request({ method: "POST", url: `/v1/me/pendingInvitations/${tenantId}:decline`, headers: dee.headers });
    expect(declined.statusCode).toBe(204);
    expectExact(await counts("acme"));
  });

  it("stays exact under concurrent changes", async () => {
    await createTenant(server, admin, "busy", "Busy");
    const people = await Promise.all(Array.from({ length: 6 }, (_, index) => addMember(server, admin, "busy", `p${index}@example.com`, "MEMBER")));
    const invitees = await Promise.all(Array.from({ length: 6 }, async (_, index) => {
      const email = `i${index}@example.com`;
      await invite(server, admin, "busy", email);
      return { user: await testUser(email), ticket: await latestTicket(server, email) };
    }));

    const responses = await Promise.all([
      ...people.map((person, index) =>
        server.request({ method: "PATCH", url: `/v1/tenants/busy/users/${person.memberId}`, headers: admin.headers, body: { role: index % 2 === 0 ? "ADMIN" : "MEMBER" } })),
      ...invitees.map(({ user, ticket }) => server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: user.headers })),
      ...people.slice(0, 2).map((person) => server.request({ method: "DELETE", url: `/v1/tenants/busy/users/${person.memberId}`, headers: admin.headers })),
    ]);

    expect(responses.filter((response) => response.statusCode >= 500).map((response) => response.body)).toEqual([]);
    expectExact(await counts("busy"));
  });
});
