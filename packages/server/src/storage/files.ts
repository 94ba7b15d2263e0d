import type { FileLink } from "@fruxon/api-types";

import type { AvatarValidator, ServerContext } from "../context.js";
import type { Queryable } from "../db/schema.js";
import { fileKey, type StorageBackend } from "./backend.js";
import { IMAGE_SIGNATURE_BYTES, sniffImageType } from "./image-type.js";
import type { FilesTable } from "./tables.js";

/** Largest file accepted as an avatar: 5 MiB. */
export const AVATAR_MAX_BYTES = 5 * 1024 * 1024;

const AVATAR_TYPES = new Set(["image/png", "image/jpeg", "image/webp"]);

export function toFileLink(row: FilesTable): FileLink {
  return { fileId: row.id, fileType: row.content_type, sizeBytes: row.size_bytes, createdAt: row.created_at };
}

/** Finds a tenant's file by id; a file of another tenant is not found. */
export async function findFile(db: Queryable, tenantId: string, fileId: string): Promise<FilesTable | undefined> {
  return db.selectFrom("files").selectAll().where("id", "=", fileId.toLowerCase()).where("tenant_id", "=", tenantId).executeTakeFirst();
}

/**
 * Tells whether `fileId` may serve as the avatar of account `sub`: a file that account uploaded, of at
 * most 5 MiB, declared as PNG, JPEG or WebP, and whose first bytes are that image format's signature.
 */
export async function isAvatarFile(ctx: Pick<ServerContext, "db" | "storage">, fileId: string, sub: string): Promise<boolean> {
  const row = await ctx.db.selectFrom("files").selectAll().where("id", "=", fileId.toLowerCase()).where("uploader_sub", "=", sub).executeTakeFirst();
  if (row === undefined || row.size_bytes > AVATAR_MAX_BYTES) return false;

  const declared = row.content_type.split(";")[0]?.trim().toLowerCase() ?? "";
  if (!AVATAR_TYPES.has(declared)) return false;

  const head = await readHead(ctx.storage, fileKey(row.tenant_id, row.id), IMAGE_SIGNATURE_BYTES);
  return head !== undefined && sniffImageType(head) === declared;
}

/** Creates the `avatars` service of the server context, backed by stored files. */
export function createAvatarValidator(ctx: Pick<ServerContext, "db" | "storage">): AvatarValidator {
  return { isAvatarOf: (fileId, sub) => isAvatarFile(ctx, fileId, sub) };
}

/** Reads up to `length` leading bytes of an object, or returns `undefined` when it does not exist. */
async function readHead(storage: StorageBackend, key: string, length: number): Promise<Buffer | undefined> {
  const stream = await storage.get(key);
  if (stream === undefined) return undefined;

  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array);
      chunks.push(buffer);
      size += buffer.length;
      if (size >= length) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).subarray(0, length);
}
