import type { Readable } from "node:stream";

/** The size and digest a backend reports for an object it stored. */
export interface StoredObject {
  /** Size in bytes. */
  size: number;
  /** SHA-256 of the bytes, lower-case hex. */
  sha256: string;
}

export interface PutOptions {
  /** Largest accepted size in bytes; a larger body rejects with `ObjectTooLargeError` and nothing is kept. */
  maxBytes?: number;
}

/**
 * The store of file bytes. Keys are `<tenant id>/<file id>`, and the `files` table contains everything
 * else. The local disk backend is the embedded default, and an S3-compatible store implements the same methods.
 */
export interface StorageBackend {
  /**
   * Stores the stream under `key`, replacing any object there. The new object becomes visible only
   * once it is complete, so a reader never sees half a file, and a failed put leaves the old one in place.
   */
  put(key: string, body: Readable, options?: PutOptions): Promise<StoredObject>;
  /** Opens the object for reading, or returns `undefined` when there is none. */
  get(key: string): Promise<Readable | undefined>;
  /** Removes the object; removing a missing object is not an error. */
  delete(key: string): Promise<void>;
}

/** Raised by `StorageBackend.put` when the body exceeds `maxBytes`. */
export class ObjectTooLargeError extends Error {
  readonly maxBytes: number;

  constructor(maxBytes: number) {
    super(`The object is larger than the limit of ${maxBytes} bytes.`);
    this.name = "ObjectTooLargeError";
    this.maxBytes = maxBytes;
  }
}

/** Returns the backend key of a tenant's file. */
export function fileKey(tenantId: string, fileId: string): string {
  return `${tenantId}/${fileId}`;
}
