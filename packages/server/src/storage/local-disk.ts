import { createHash, randomUUID } from "node:crypto";
import { createWriteStream } from "node:fs";
import { mkdir, open, rename, rm } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { Transform, type Readable, type TransformCallback } from "node:stream";
import { pipeline } from "node:stream/promises";
import { ObjectTooLargeError, type PutOptions, type StorageBackend, type StoredObject } from "./backend.js";

const KEY_PATTERN = /^[A-Za-z0-9-]+(\/[A-Za-z0-9-]+)*$/;

/**
 * Stores objects as files under one root folder (`${DATA_DIR}/files` by default).
 * A put streams into `.tmp/` under the root and renames the finished file into place. The rename is
 * atomic because both paths are on the same file system.
 */
export class LocalDiskStorage implements StorageBackend {
  readonly root: string;
  private readonly temporaryDir: string;

  constructor(root: string) {
    this.root = resolve(root);
    this.temporaryDir = join(this.root, ".tmp");
  }

  async put(key: string, body: Readable, options: PutOptions = {}): Promise<StoredObject> {
    const target = this.pathOf(key);
    await mkdir(this.temporaryDir, { recursive: true });
    await mkdir(dirname(target), { recursive: true });
    const temporary = join(this.temporaryDir, `${randomUUID()}.part`);
    const meter = new HashingMeter(options.maxBytes);

    try {
      await pipeline(body, meter, createWriteStream(temporary, { flags: "wx" }));
      await syncFile(temporary);
      await rename(temporary, target);
      await syncDirectory(dirname(target));
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
    return { size: meter.size, sha256: meter.digest() };
  }

  async get(key: string): Promise<Readable | undefined> {
    const path = this.pathOf(key);
    try {
      const handle = await open(path, "r");
      return handle.createReadStream();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw error;
    }
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  /** Maps a key to its path, rejecting keys that could leave the root. */
  private pathOf(key: string): string {
    if (!KEY_PATTERN.test(key)) throw new Error(`Invalid storage key ${JSON.stringify(key)}: expected segments of letters, digits and dashes.`);
    const path = resolve(this.root, ...key.split("/"));
    if (!path.startsWith(this.root + sep)) throw new Error(`Invalid storage key ${JSON.stringify(key)}: it leaves the storage root.`);
    return path;
  }
}

/** A pass-through stream that counts bytes, hashes them with SHA-256 and fails past `maxBytes`. */
class HashingMeter extends Transform {
  size = 0;
  private readonly hash = createHash("sha256");
  private readonly maxBytes: number | undefined;

  constructor(maxBytes: number | undefined) {
    super();
    this.maxBytes = maxBytes;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.maxBytes !== undefined && this.size > this.maxBytes) {
      callback(new ObjectTooLargeError(this.maxBytes));
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  digest(): string {
    return this.hash.digest("hex");
  }
}

/** Flushes a folder's entries, so a rename into it survives a power loss; skipped where folders cannot be opened (Windows). */
async function syncDirectory(path: string): Promise<void> {
  let handle;
  try {
    handle = await open(path, "r");
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EINVAL") throw error;
  } finally {
    await handle?.close();
  }
}

async function syncFile(path: string): Promise<void> {
  const handle = await open(path, "r+");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
