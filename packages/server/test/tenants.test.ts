import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createTenant, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

describeEachDatabase("tenants on %s", (database) => {
  let server: TestServer;
  let ana: TestUser;
  let ben: TestUser;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false });
    ana = await testUser("ana@example.com", { name: "Ana Diaz" });
    ben = await testUser("ben@example.com");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("creates a tenant with the caller as ADMIN", async () => {
    const response = await server.request({ method: "POST", url: "/v1/tenants", headers: ana.headers, body: { slug: "acme", displayName: "Acme Corporation" } });

    expect(response.statusCode).toBe(201);
    expect(response.json).toMatchObject({ slug: "acme", displayName: "Acme Corporation" });
    expect(response.headers.location).toBe(`/v1/tenants/${response.json.id}`);
    expect(response.headers["cache-control"]).toBe("no-store");
    const users = await server.request({ method: "GET", url: "/v1/tenants/acme/users", headers: ana.headers });
    expect(users.json.items).toHaveLength(1);
    expect(users.json.items[0]).toMatchObject({ email: "ana@example.com", role: "ADMIN", status: "ACTIVE", username: "ana@example.com", firstName: "Ana", lastName: "Diaz" });
  });

  it("rejects a slug that is taken", async () => {
    const response = await server.request({ method: "POST", url: "/v1/tenants", headers: ben.headers, body: { slug: "acme", displayName: "Other" } });

    expect(response.statusCode).toBe(409);
    expect(response.json.code).toBe("SLUG_TAKEN");
  });

  it("rejects a slug in the form of a UUID", async () => {
    const slug = "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10";
    const response = await server.request({ method: "POST", url: "/v1/tenants", headers: ben.headers, body: { slug, displayName: "Uuid" } });

    expect(response.statusCode).toBe(400);
    expect(response.json.code).toBe("VALIDATION_FAILED");
    expect(response.json.errors).toEqual([expect.objectContaining({ pointer: "/body/slug" })]);
  });

  it("rejects unknown properties when creating", async () => {
    const response = await server.request({ method: "POST", url: "/v1/tenants", headers: ben.headers, body: { slug: "sneaky", displayName: "S", id: "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10" } });

    expect(response.statusCode).toBe(400);
    const lookup = await server.context.db.selectFrom("tenants").select("id").where("slug", "=", "sneaky").executeTakeFirst();
    expect(lookup).toBeUndefined();
  });

  it("gets a tenant by id and by slug", async () => {
    const id = await createTenant(server, ana, "globex");

    const byId = await server.request({ method: "GET", url: `/v1/tenants/${id}`, headers: ana.headers });
    const bySlug = await server.request({ method: "GET", url: "/v1/tenants/globex", headers: ana.headers });
    const byUpperCase = await server.request({ method: "GET", url: `/v1/tenants/${id.toUpperCase()}`, headers: ana.headers });

    expect(byId.statusCode).toBe(200);
    expect(bySlug.statusCode).toBe(200);
    expect(bySlug.json).toEqual(byId.json);
    expect(byUpperCase.json).toEqual(byId.json);
  });

  it("hides a tenant from non-members", async () => {
    const id = await createTenant(server, ana, "hidden");

    const byId = await server.request({ method: "GET", url: `/v1/tenants/${id}`, headers: ben.headers });
    const bySlug = await server.request({ method: "GET", url: "/v1/tenants/hidden", headers: ben.headers });
    const users = await server.request({ method: "GET", url: "/v1/tenants/hidden/users", headers: ben.headers });

    expect(byId.statusCode).toBe(404);
    expect(bySlug.statusCode).toBe(404);
    expect(users.statusCode).toBe(404);
    expect(byId.json.code).toBe("NOT_FOUND");
  });

  it("lists only the caller's tenants across pages", async () => {
    const carol = await testUser("carol@example.com");
    const slugs = ["c-one", "c-two", "c-three", "c-four", "c-five"];
    for (const slug of slugs) await createTenant(server, carol, slug);

    const seen: string[] = [];
    let pageToken: string | undefined;
    let pages = 0;
    do {
      const query = pageToken === undefined ? "pageSize=2" : `pageSize=2&pageToken=${encodeURIComponent(pageToken)}`;
      const response = await server.request({ method: "GET", url: `/v1/tenants?${query}`, headers: carol.headers });
      expect(response.statusCode).toBe(200);
      expect(response.json.totalCount).toBe(5);
      seen.push(...response.json.items.map((tenant: { slug: string }) => tenant.slug));
      pageToken = response.json.nextPageToken;
      pages += 1;
    } while (pageToken !== undefined);

    expect(pages).toBe(3);
    expect(seen).toEqual(slugs);
  });

  it("rejects another caller's page token", async () => {
    const first = await server.request({ method: "GET", url: "/v1/tenants?pageSize=1", headers: ana.headers });
    const token = first.json.nextPageToken as string;

    const response = await server.request({ method: "GET", url: `/v1/tenants?pageSize=1&pageToken=${token}`, headers: ben.headers });

    expect(response.statusCode).toBe(400);
    expect(response.json.code).toBe("INVALID_PAGE_TOKEN");
  });

  it("requires a bearer token", async () => {
    const response = await server.request({ method: "GET", url: "/v1/tenants" });

    expect(response.statusCode).toBe(401);
  });
});
