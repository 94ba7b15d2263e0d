import { createHash } from "node:crypto";
import { readdir } from "node:fs/promises";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { isAvatarFile } from "../src/storage/files.js";
import { addMember, createTenant, startTestServer, describeEachDatabase, testUser } from "./helpers/index.js";
import type { TestServer, TestUser } from "./helpers/index.js";

const PNG_HEAD = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG_HEAD = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const WEBP_HEAD = Buffer.concat([Buffer.from("RIFF"), Buffer.from([36, 0, 0, 0]), Buffer.from("WEBPVP8 ")]);

/** Lists every file under a folder, recursively, as paths relative to it. */
async function listFiles(root: string): Promise<string[]> {
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name).slice(root.length + 1));
}

describeEachDatabase("storage on %s", (database) => {
  let server: TestServer;
  let baseUrl: string;
  let admin: TestUser;
  let member: TestUser;
  let stranger: TestUser;

  /** Uploads `bytes` as the form part `field` with `type`, over a real socket. */
  async function upload(user: TestUser | undefined, tenant: string, bytes: Buffer, type = "application/octet-stream", field = "file"): Promise<Response> {
    const form = new FormData();
    form.append(field, new Blob([new Uint8Array(bytes)], { type }), "upload.bin");
    return fetch(`${baseUrl}/v1/tenants/${tenant}/storage`, { method: "POST", body: form, headers: user?.headers ?? {} });
  }

  beforeAll(async () => {
    server = await startTestServer({ database, dispatchEmail: false, env: { UPLOAD_LIMIT_BYTES: String(6 * 1024 * 1024) } });
    baseUrl = await server.app.listen({ port: 0, host: "127.0.0.1" });
    admin = await testUser("admin@example.com");
    stranger = await testUser("stranger@example.com");
    await createTenant(server, admin, "acme");
    await createTenant(server, stranger, "other");
    member = await addMember(server, admin, "acme", "member@example.com");
  });
  afterAll(async () => {
    await server?.close();
  });

  it("stores a file and serves it to anyone", async () => {
    const bytes = Buffer.from("hello, stored world\n");

    const response = await upload(member, "acme", bytes, "text/plain");
    const link = (await response.json()) as { fileId: string; fileType: string; sizeBytes: number; createdAt: number };
    const download = await fetch(`${baseUrl}/v1/tenants/acme/storage/${link.fileId}`);

    expect(response.status).toBe(201);
    expect(response.headers.get("location")).toBe(`/v1/tenants/acme/storage/${link.fileId}`);
    expect(link).toMatchObject({ fileType: "text/plain", sizeBytes: bytes.length });
    expect(link.fileId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(download.status).toBe(200);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
    expect(download.headers.get("content-type")).toBe("text/plain");
    expect(download.headers.get("cache-control")).toBe("public, max-age=86400");
    expect(download.headers.get("etag")).toBe(`"${createHash("sha256").update(bytes).digest("hex")}"`);
    expect(download.headers.get("x-content-type-options")).toBe("nosniff");
    expect(download.headers.get("content-disposition")).toBeNull();
  });

  it("streams a large file intact", async () => {
    const bytes = Buffer.alloc(5 * 1024 * 1024 + 17);
    for (let index = 0; index < bytes.length; index += 4096) bytes[index] = index % 251;

    const response = await upload(admin, "acme", bytes);
    const link = (await response.json()) as { fileId: string; sizeBytes: number };
    const download = await fetch(`${baseUrl}/v1/tenants/acme/storage/${link.fileId}`);
    const received = Buffer.from(await download.arrayBuffer());

    expect(response.status).toBe(201);
    expect(link.sizeBytes).toBe(bytes.length);
    expect(received.length).toBe(bytes.length);
    expect(createHash("sha256").update(received).digest("hex")).toBe(createHash("sha256").update(bytes).digest("hex"));
  });

  it("rejects a file over the limit and keeps nothing", async () => {
    const filesBefore = await listFiles(join(server.dataDir, "files"));
    const rowsBefore = await server.context.db.selectFrom("files").select("id").execute();

    const response = await upload(admin, "acme", Buffer.alloc(6 * 1024 * 1024 + 1));
    const problem = (await response.json()) as { code: string };

    expect(response.status).toBe(413);
    expect(response.headers.get("content-type")).toMatch(/^application\/problem\+json/);
    expect(problem.code).toBe("PAYLOAD_TOO_LARGE");
    expect(await listFiles(join(server.dataDir, "files"))).toEqual(filesBefore);
    expect(await server.context.db.selectFrom("files").select("id").execute()).toEqual(rowsBefore);
  });

  it.each([
    ["no token", undefined, "acme", 401, "UNAUTHENTICATED"],
    ["a caller outside the tenant", "stranger", "acme", 404, "NOT_FOUND"],
  ])("rejects an upload by %s", async (_label, who, tenant, status, code) => {
    const response = await upload(who === "stranger" ? stranger : undefined, tenant, Buffer.from("x"));

    expect(response.status).toBe(status);
    expect(((await response.json()) as { code: string }).code).toBe(code);
  });

  it("rejects a form without a file part", async () => {
    const response = await upload(admin, "acme", Buffer.from("x"), "text/plain", "attachment");
    const problem = (await response.json()) as { code: string; errors: { pointer: string }[] };

    expect(response.status).toBe(400);
    expect(problem.code).toBe("VALIDATION_FAILED");
    expect(problem.errors[0]?.pointer).toBe("/body/file");
  });

  it("rejects a body that is not multipart", async () => {
    const response = await fetch(`${baseUrl}/v1/tenants/acme/storage`, {
      method: "POST",
      headers: { ...admin.headers, "content-type": "application/json" },
      body: JSON.stringify({ file: "x" }),
    });

    expect(response.status).toBe(415);
    expect(((await response.json()) as { code: string }).code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("hides a file from another tenant's path", async () => {
    const response = await upload(stranger, "other", Buffer.from("secret"), "text/plain");
    const { fileId } = (await response.json()) as { fileId: string };

    const crossTenant = await fetch(`${baseUrl}/v1/tenants/acme/storage/${fileId}`);
    const own = await fetch(`${baseUrl}/v1/tenants/other/storage/${fileId}`);
    const unknown = await fetch(`${baseUrl}/v1/tenants/other/storage/0b6f2c1e-9a4d-4f51-8a1f-2c7e5d3b9a01`);
    const unknownTenant = await fetch(`${baseUrl}/v1/tenants/nobody/storage/${fileId}`);

    expect(crossTenant.status).toBe(404);
    expect(((await crossTenant.json()) as { code: string }).code).toBe("NOT_FOUND");
    expect(own.status).toBe(200);
    expect(unknown.status).toBe(404);
    expect(unknownTenant.status).toBe(404);
  });

  describe("avatar check", () => {
    it.each([
      ["a PNG", PNG_HEAD, "image/png", true],
      ["a JPEG", JPEG_HEAD, "image/jpeg", true],
      ["a WebP", WEBP_HEAD, "image/webp", true],
      ["text labelled PNG", Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/png", false],
      ["a PNG labelled JPEG", PNG_HEAD, "image/jpeg", false],
      ["an SVG", Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'/>"), "image/svg+xml", false],
    ])("accepts only real images: %s", async (_label, bytes, type, expected) => {
      const response = await upload(member, "acme", bytes, type);
      const { fileId } = (await response.json()) as { fileId: string };

      expect(await isAvatarFile(server.context, fileId, member.sub)).toBe(expected);
    });

    it("accepts only the uploader's own file", async () => {
      const response = await upload(member, "acme", PNG_HEAD, "image/png");
      const { fileId } = (await response.json()) as { fileId: string };

      expect(await isAvatarFile(server.context, fileId, admin.sub)).toBe(false);
      expect(await isAvatarFile(server.context, fileId.toUpperCase(), member.sub)).toBe(true);
    });

    it("rejects an image over 5 MiB", async () => {
      const bytes = Buffer.concat([PNG_HEAD, Buffer.alloc(5 * 1024 * 1024)]);
      const response = await upload(member, "acme", bytes, "image/png");
      const { fileId } = (await response.json()) as { fileId: string };

      expect(response.status).toBe(201);
      expect(await isAvatarFile(server.context, fileId, member.sub)).toBe(false);
    });

    it("lets the profile use an uploaded image as avatar", async () => {
      const image = await upload(member, "acme", PNG_HEAD, "image/png");
      const text = await upload(member, "acme", Buffer.from("plain"), "image/png");
      const imageId = ((await image.json()) as { fileId: string }).fileId;
      const textId = ((await text.json()) as { fileId: string }).fileId;

      const accepted = await server.request({ method: "PATCH", url: "/v1/users/me", headers: member.headers, body: { avatarFileId: imageId } });
      const rejected = await server.request({ method: "PATCH", url: "/v1/users/me", headers: member.headers, body: { avatarFileId: textId } });

      expect(accepted.statusCode).toBe(200);
      expect(accepted.json.avatarFileId).toBe(imageId);
      expect(rejected.statusCode).toBe(400);
      expect(rejected.json.code).toBe("INVALID_AVATAR");
    });

    it("rejects an unknown file", async () => {
      expect(await isAvatarFile(server.context, "0b6f2c1e-9a4d-4f51-8a1f-2c7e5d3b9a01", member.sub)).toBe(false);
    });
  });
});
