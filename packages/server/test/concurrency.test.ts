import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { addMember, createTenant, invite, latestTicket, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

const ROUNDS = 25;
/** Rounds of the removal race, fewer because each round sets up a tenant with three admins. */
const REMOVAL_ROUNDS = 12;

describeEachDatabase("concurrency on %s", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  async function activeAdmins(tenant: string, reader: TestUser): Promise<number> {
    const response = await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?status=ACTIVE&role=ADMIN`, headers: reader.headers });
    return response.json.totalCount as number;
  }

  async function countActiveAdminsInDatabase(tenantId: string): Promise<number> {
    const rows = await server.context.db.selectFrom("members").select("id").where("tenant_id", "=", tenantId).where("status", "=", "ACTIVE").where("role", "=", "ADMIN").execute();
    return rows.length;
  }

  it("keeps an admin when two admins demote each other at once", async () => {
    const first = await testUser("first@race.example");
    const tenant = await createTenant(server, first, "demote-race");
    const second = await addMember(server, first, tenant, "second@race.example", "ADMIN");
    const [firstMember] = (await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?q=first`, headers: first.headers })).json.items;
    const statuses = new Set<number>();

    for (let round = 0; round < ROUNDS; round += 1) {
      const [byFirst, bySecond] = await Promise.all([
        server.request({ method: "PATCH", url: `/v1/tenants/${tenant}/users/${second.memberId}`, headers: first.headers, body: { role: "MEMBER" } }),
        server.request({ method: "PATCH", url: `/v1/tenants/${tenant}/users/${firstMember.id}`, headers: second.headers, body: { role: "MEMBER" } }),
      ]);
      statuses.add(byFirst.statusCode).add(bySecond.statusCode);

      expect(await countActiveAdminsInDatabase(tenant)).toBe(1);
      expect([byFirst.statusCode, bySecond.statusCode].filter((status) => status === 200)).toHaveLength(1);
      for (const response of [byFirst, bySecond]) expect([200, 403, 409]).toContain(response.statusCode);

      const winner = byFirst.statusCode === 200 ? first : second;
      const loserId = byFirst.statusCode === 200 ? second.memberId : firstMember.id;
      const restore = await server.request({ method: "PATCH", url: `/v1/tenants/${tenant}/users/${loserId}`, headers: winner.headers, body: { role: "ADMIN" } });
      expect(restore.statusCode).toBe(200);
      expect(await activeAdmins(tenant, winner)).toBe(2);
    }
    expect(statuses.has(200)).toBe(true);
  });

  it("keeps an admin when two admins remove each other at once", async () => {
    const owner = await testUser("owner@remove-race.example");

    for (let round = 0; round < REMOVAL_ROUNDS; round += 1) {
      const tenant = await createTenant(server, owner, `remove-race-${round}`);
      const left = await addMember(server, owner, tenant, "left@remove-race.example", "ADMIN");
      const right = await addMember(server, owner, tenant, "right@remove-race.example", "ADMIN");
      const [self] = (await server.request({ method: "GET", url: `/v1/tenants/${tenant}/users?q=owner%40`, headers: owner.headers })).json.items;
      expect((await server.request({ method: "DELETE", url: `/v1/tenants/${tenant}/users/${self.id}`, headers: owner.headers })).statusCode).toBe(204);

      const [byLeft, byRight] = await Promise.all([
        server.request({ method: "DELETE", url: `/v1/tenants/${tenant}/users/${right.memberId}`, headers: left.headers }),
        server.request({ method: "DELETE", url: `/v1/tenants/${tenant}/users/${left.memberId}`, headers: right.headers }),
      ]);

      expect(await countActiveAdminsInDatabase(tenant)).toBe(1);
      // The loser is no longer a member when its transaction reads its role, so the tenant is hidden from it.
      expect([byLeft.statusCode, byRight.statusCode].sort()).toEqual([204, 404]);
    }
  });

  it("creates one membership from two concurrent accepts of one ticket", async () => {
    const admin = await testUser("admin@ticket-race.example");
    const tenant = await createTenant(server, admin, "ticket-race");

    for (let round = 0; round < ROUNDS; round += 1) {
      const email = `invitee${round}@ticket-race.example`;
      await invite(server, admin, tenant, email);
      const ticket = await latestTicket(server, email);
      const invitee = await testUser(email);
      const otherDevice = await testUser(email, { sub: invitee.sub });

      const responses = await Promise.all([
        server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: invitee.headers }),
        server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: otherDevice.headers }),
      ]);

      const statuses = responses.map((response) => response.statusCode);
      expect(statuses).toContain(204);
      for (const status of statuses) expect([204, 404]).toContain(status);
      const rows = await server.context.db.selectFrom("members").select(["status", "account_sub"]).where("tenant_id", "=", tenant).where("email_lower", "=", email).execute();
      expect(rows).toEqual([{ status: "ACTIVE", account_sub: invitee.sub }]);
    }
  });

  it("lets one of two different accounts win a ticket race", async () => {
    const admin = await testUser("admin@account-race.example");
    const tenant = await createTenant(server, admin, "account-race");

    for (let round = 0; round < 10; round += 1) {
      const email = `shared${round}@account-race.example`;
      await invite(server, admin, tenant, email);
      const ticket = await latestTicket(server, email);
      const [one, two] = [await testUser(email), await testUser(email)];

      const responses = await Promise.all([
        server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: one.headers }),
        server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: two.headers }),
      ]);

      expect(responses.map((response) => response.statusCode).sort()).toEqual([204, 404]);
      const rows = await server.context.db.selectFrom("members").select("account_sub").where("tenant_id", "=", tenant).where("email_lower", "=", email).execute();
      expect(rows).toHaveLength(1);
      const winner = responses[0]?.statusCode === 204 ? one : two;
      expect(rows[0]?.account_sub).toBe(winner.sub);
    }
  });
});
