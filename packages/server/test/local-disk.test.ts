import { createHash } from "node:crypto";
import { mkdtemp, readdir, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { ObjectTooLargeError } from "../src/storage/backend.js";
import { sniffImageType } from "../src/storage/image-type.js";
import { LocalDiskStorage } from "../src/storage/local-disk.js";

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe("LocalDiskStorage", () => {
  let root: string;
  let storage: LocalDiskStorage;

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), "fruxon-disk-"));
    storage = new LocalDiskStorage(root);
  });
  afterEach(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it("stores, reads and deletes an object", async () => {
    const bytes = Buffer.from("stored bytes");

    const stored = await storage.put("tenant-1/file-1", Readable.from([bytes]));
    const read = await readAll((await storage.get("tenant-1/file-1")) as Readable);
    await storage.delete("tenant-1/file-1");

    expect(stored).toEqual({ size: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") });
    expect(read).toEqual(bytes);
    expect(await storage.get("tenant-1/file-1")).toBeUndefined();
  });

  it("replaces an object on a second put", async () => {
    await storage.put("t/f", Readable.from([Buffer.from("first")]));

    await storage.put("t/f", Readable.from([Buffer.from("second")]));

    expect(await readFile(join(root, "t", "f"), "utf8")).toBe("second");
  });

  it("keeps nothing of a put over the limit and leaves the old object", async () => {
    await storage.put("t/f", Readable.from([Buffer.from("old")]));

    const put = storage.put("t/f", Readable.from([Buffer.alloc(600), Buffer.alloc(600)]), { maxBytes: 1000 });

    await expect(put).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect(await readFile(join(root, "t", "f"), "utf8")).toBe("old");
    expect(await readdir(join(root, ".tmp"))).toEqual([]);
  });

  it("keeps nothing of a put whose stream fails", async () => {
    const failing = new Readable({
      read() {
        this.push(Buffer.from("partial"));
        this.destroy(new Error("client went away"));
      },
    });

    await expect(storage.put("t/g", failing)).rejects.toThrow("client went away");
    expect(await storage.get("t/g")).toBeUndefined();
    expect(await readdir(join(root, ".tmp"))).toEqual([]);
  });

  it.each(["../escape", "t/../../x", "/abs", "t//f", "t/f.txt", ""])("rejects the key %j", async (key) => {
    await expect(storage.put(key, Readable.from([Buffer.from("x")]))).rejects.toThrow(/Invalid storage key/);
  });
});

describe("sniffImageType", () => {
  it.each([
    ["PNG", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0], "image/png"],
    ["JPEG", [0xff, 0xd8, 0xff, 0xdb, 0, 0, 0, 0, 0, 0, 0, 0], "image/jpeg"],
    ["WebP", [...Buffer.from("RIFF"), 1, 2, 3, 4, ...Buffer.from("WEBP")], "image/webp"],
    ["WAV in RIFF", [...Buffer.from("RIFF"), 1, 2, 3, 4, ...Buffer.from("WAVE")], undefined],
    ["GIF", [...Buffer.from("GIF89a"), 0, 0, 0, 0, 0, 0], undefined],
    ["too short", [0x89, 0x50], undefined],
  ])("recognises %s", (_label, bytes, expected) => {
    expect(sniffImageType(Uint8Array.from(bytes))).toBe(expected);
  });
});
