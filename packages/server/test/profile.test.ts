import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

const AVATAR_ID = "0b6f2c1e-9a4d-4f51-8a1f-2c7e5d3b9a01";

describeEachDatabase("profile on %s", (database) => {
  let server: TestServer;
  let now = 1_800_000_000_000;

  beforeAll(async () => {
    server = await startTestServer({
      database,
      dispatchEmail: false,
      clock: () => now,
      avatars: { isAvatarOf: async (fileId, sub) => fileId === AVATAR_ID && sub.startsWith("owner|") },
    });
  });
  afterAll(async () => {
    await server?.close();
  });

  function getProfile(user: TestUser) {
    return server.request({ method: "GET", url: "/v1/users/me", headers: user.headers });
  }

  function patchProfile(user: TestUser, body: unknown) {
    return server.request({ method: "PATCH", url: "/v1/users/me", headers: user.headers, body });
  }

  it("creates the profile from the token on first read", async () => {
    const ana = await testUser("Ana@Example.com", { name: "Ana María Diaz" });

    const first = await getProfile(ana);
    now += 1000;
    const second = await getProfile(ana);

    expect(first.statusCode).toBe(200);
    expect(first.headers["cache-control"]).toBe("no-store");
    expect(first.json).toEqual({
      id: ana.sub,
      email: "Ana@Example.com",
      emailVerified: true,
      firstName: "Ana",
      lastName: "María Diaz",
      createdAt: now - 1000,
      modifiedAt: now - 1000,
    });
    expect(second.json).toEqual(first.json);
  });

  it("creates a profile without names when the token has none", async () => {
    const ben = await testUser("ben@example.com", { emailVerified: false });

    const response = await getProfile(ben);

    expect(response.statusCode).toBe(200);
    expect(response.json).toEqual({ id: ben.sub, email: "ben@example.com", emailVerified: false, createdAt: now, modifiedAt: now });
  });

  it("follows an email change of the token", async () => {
    const carl = await testUser("carl@example.com");
    await getProfile(carl);
    const renamed = await testUser("carl@new.example", { sub: carl.sub });

    const response = await getProfile(renamed);

    expect(response.json.email).toBe("carl@new.example");
  });

  it("updates only the given fields and clears with null", async () => {
    const dana = await testUser("dana@example.com", { name: "Dana Scully" });
    await getProfile(dana);
    now += 1000;

    const rename = await patchProfile(dana, { firstName: "Danielle" });
    const clear = await patchProfile(dana, { lastName: null });
    const empty = await patchProfile(dana, {});

    expect(rename.statusCode).toBe(200);
    expect(rename.json).toMatchObject({ firstName: "Danielle", lastName: "Scully", modifiedAt: now });
    expect(clear.json.firstName).toBe("Danielle");
    expect(clear.json.lastName).toBeUndefined();
    expect(empty.json).toEqual(clear.json);
    expect((await getProfile(dana)).json).toEqual(clear.json);
  });

  it("creates the profile on a first PATCH", async () => {
    const eve = await testUser("eve@example.com");

    const response = await patchProfile(eve, { firstName: "Eve" });

    expect(response.statusCode).toBe(200);
    expect(response.json).toMatchObject({ id: eve.sub, email: "eve@example.com", firstName: "Eve" });
  });

  const rejected: [string, unknown][] = [
    ["id", { id: "someone-else" }],
    ["email", { email: "evil@example.com" }],
    ["emailVerified", { emailVerified: true }],
    ["createdAt", { createdAt: 0 }],
    ["an empty name", { firstName: "" }],
    ["a name of 101 characters", { lastName: "x".repeat(101) }],
    ["a malformed avatar id", { avatarFileId: "not-a-uuid" }],
  ];

  it.each(rejected)("rejects %s and changes nothing", async (_label, body) => {
    const frank = await testUser("frank@example.com", { name: "Frank Castle" });
    const before = await getProfile(frank);

    const response = await patchProfile(frank, body);

    expect(response.statusCode).toBe(400);
    expect(response.json.code).toBe("VALIDATION_FAILED");
    expect((await getProfile(frank)).json).toEqual(before.json);
  });

  it("sets and clears an avatar the store accepts", async () => {
    const owner = await testUser("owner@example.com", { sub: `owner|${Date.now()}` });

    const set = await patchProfile(owner, { avatarFileId: AVATAR_ID });
    const cleared = await patchProfile(owner, { avatarFileId: null });

    expect(set.statusCode).toBe(200);
    expect(set.json.avatarFileId).toBe(AVATAR_ID);
    expect(cleared.json.avatarFileId).toBeUndefined();
  });

  it("rejects an avatar that is not the caller's image", async () => {
    const other = await testUser("other@example.com");

    const response = await patchProfile(other, { avatarFileId: AVATAR_ID, firstName: "Other" });

    expect(response.statusCode).toBe(400);
    expect(response.json.code).toBe("INVALID_AVATAR");
    expect(response.json.errors).toEqual([expect.objectContaining({ pointer: "/body/avatarFileId" })]);
    expect((await getProfile(other)).json.firstName).toBeUndefined();
  });
});

describeEachDatabase("avatar from storage on %s", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  /** Uploads `bytes` as the multipart field `file` and returns the new file's id. */
  async function upload(user: TestUser, tenant: string, bytes: Buffer, contentType: string): Promise<string> {
    const boundary = "----fruxon-test-boundary";
    const payload = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="avatar"\r\nContent-Type: ${contentType}\r\n\r\n`),
      bytes,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const response = await server.app.inject({
      method: "POST",
      url: `/v1/tenants/${tenant}/storage`,
      headers: { ...user.headers, "content-type": `multipart/form-data; boundary=${boundary}` },
      payload,
    });
    expect(response.statusCode).toBe(201);
    return (response.json() as { fileId: string }).fileId;
  }

  it("accepts the caller's uploaded image and rejects another's", async () => {
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(64)]);
    const ana = await testUser("ana@avatar.example");
    const ben = await testUser("ben@avatar.example");
    for (const [user, slug] of [[ana, "ana-avatars"], [ben, "ben-avatars"]] as const) {
      const created = await server.request({ method: "POST", url: "/v1/tenants", headers: user.headers, body: { slug, displayName: slug } });
      expect(created.statusCode).toBe(201);
    }
    const anaImage = await upload(ana, "ana-avatars", png, "image/png");
    const anaText = await upload(ana, "ana-avatars", Buffer.from("plain text"), "text/plain");

    const own = await server.request({ method: "PATCH", url: "/v1/users/me", headers: ana.headers, body: { avatarFileId: anaImage } });
    const notImage = await server.request({ method: "PATCH", url: "/v1/users/me", headers: ana.headers, body: { avatarFileId: anaText } });
    const someoneElses = await server.request({ method: "PATCH", url: "/v1/users/me", headers: ben.headers, body: { avatarFileId: anaImage } });

    expect(own.statusCode).toBe(200);
    expect(own.json.avatarFileId).toBe(anaImage);
    expect(notImage.statusCode).toBe(400);
    expect(notImage.json.code).toBe("INVALID_AVATAR");
    expect(someoneElses.statusCode).toBe(400);
    expect(someoneElses.json.code).toBe("INVALID_AVATAR");
    const users = await server.request({ method: "GET", url: "/v1/tenants/ana-avatars/users", headers: ana.headers });
    expect(users.json.items[0].avatarFileId).toBe(anaImage);
  });
});

describeEachDatabase("health on %s", (database) => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false });
  });
  afterAll(async () => {
    await server?.close();
  });

  it("answers liveness and readiness without a token", async () => {
    const live = await server.request({ method: "GET", url: "/healthz" });
    const ready = await server.request({ method: "GET", url: "/readyz" });

    expect(live.statusCode).toBe(200);
    expect(live.json).toEqual({ status: "ok" });
    expect(ready.statusCode).toBe(200);
    expect(ready.json).toEqual({ status: "ok", checks: { database: "ok" } });
  });

  it("answers 503 when the database is gone, while liveness stays 200", async () => {
    await server.context.db.destroy();

    const ready = await server.request({ method: "GET", url: "/readyz" });
    const live = await server.request({ method: "GET", url: "/healthz" });

    expect(ready.statusCode).toBe(503);
    expect(ready.json.code).toBe("UNAVAILABLE");
    expect(live.statusCode).toBe(200);
  });
});
