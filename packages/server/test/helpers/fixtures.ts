import { readFile } from "node:fs/promises";
import { join } from "node:path";

import type { TestServer } from "./test-server.js";
import { testUser } from "./tokens.js";
import type { TestUser } from "./tokens.js";

const LINK = /https?:\/\/[^\s"<>]+\/invitations\/([A-Za-z0-9_-]{43})/;

/** Creates a tenant as `admin` and returns its id. */
export async function createTenant(server: TestServer, admin: TestUser, slug: string, displayName = `Tenant ${slug}`): Promise<string> {
  const response = await server.request({ method: "POST", url: "/v1/tenants", headers: admin.headers, body: { slug, displayName } });
  if (response.statusCode !== 201) throw new Error(`createTenant ${slug} answered ${response.statusCode}: ${response.body}`);
  return response.json.id as string;
}

/**
 * Returns the ticket of the latest invitation email to `email`: from the outbox row while it is unsent,
 * else from the `.eml` file the embedded mailer wrote.
 */
export async function latestTicket(server: TestServer, email: string): Promise<string> {
  const row = await server.context.db
    .selectFrom("outbox")
    .select(["id", "link"])
    .where("recipient", "=", email)
    .orderBy("created_at", "desc")
    .orderBy("id", "desc")
    .executeTakeFirst();
  if (row === undefined) throw new Error(`no invitation email to ${email} in the outbox`);

  const text = row.link ?? (await readFile(join(server.dataDir, "outbox", `${row.id}.eml`), "utf8"));
  const ticket = LINK.exec(text)?.[1];
  if (ticket === undefined) throw new Error(`the invitation email to ${email} holds no accept link`);
  return ticket;
}

/** Invites `email` into the tenant as `admin` and returns the member id from the Invitation. */
export async function invite(server: TestServer, admin: TestUser, tenant: string, email: string, role: "ADMIN" | "MEMBER" = "MEMBER"): Promise<string> {
  const response = await server.request({ method: "POST", url: `/v1/tenants/${tenant}/users:invite`, headers: admin.headers, body: { email, role } });
  if (response.statusCode !== 200) throw new Error(`invite ${email} answered ${response.statusCode}: ${response.body}`);
  return response.json.id as string;
}

/** Makes a new user an ACTIVE member of the tenant with `role`, through an invitation and its link. */
export async function addMember(
  server: TestServer,
  admin: TestUser,
  tenant: string,
  email: string,
  role: "ADMIN" | "MEMBER" = "MEMBER",
  claims: { name?: string } = {},
): Promise<TestUser & { memberId: string }> {
  const user = await testUser(email, claims);
  const memberId = await invite(server, admin, tenant, email, role);
  const ticket = await latestTicket(server, email);
  const response = await server.request({ method: "POST", url: `/v1/invitations/${ticket}`, headers: user.headers });
  if (response.statusCode !== 204) throw new Error(`accept by ${email} answered ${response.statusCode}: ${response.body}`);
  return { ...user, memberId };
}
