import { randomUUID } from "node:crypto";

import type { MultipartFile } from "@fastify/multipart";
import type { FastifyRequest } from "fastify";

import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { findTenant, requireMembership } from "../domain/tenants.js";
import { ProblemError } from "../problems.js";
import { fileKey, ObjectTooLargeError } from "../storage/backend.js";
import { findFile, toFileLink } from "../storage/files.js";
import type { FilesTable } from "../storage/tables.js";
import { callerOf } from "./caller.js";

export type StorageHandlers = Pick<Handlers, "uploadFile" | "downloadFile">;

/** How long shared caches and browsers may keep a downloaded file: 24 hours, in seconds. */
const DOWNLOAD_MAX_AGE_SECONDS = 86_400;

const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const FALLBACK_CONTENT_TYPE = "application/octet-stream";

export function createStorageHandlers(ctx: ServerContext): StorageHandlers {
  return {
    async uploadFile(request) {
      const caller = callerOf(request);
      const { tenant } = await requireMembership(ctx.db, caller, request.path.tenant);
      const part = await readFilePart(request.raw);

      const fileId = randomUUID();
      const key = fileKey(tenant.id, fileId);
      const limit = ctx.config.uploadLimitBytes;
      let stored;
      try {
        stored = await ctx.storage.put(key, part.file, { maxBytes: limit });
      } catch (error) {
        if (error instanceof ObjectTooLargeError || isFileTooLarge(error)) throw tooLarge(limit);
        throw error;
      }
      // Busboy cuts a part at the limit and marks it truncated rather than failing the stream.
      if (part.file.truncated) {
        await ctx.storage.delete(key);
        throw tooLarge(limit);
      }

      const row: FilesTable = {
        id: fileId,
        tenant_id: tenant.id,
        uploader_sub: caller.sub,
        content_type: contentTypeOf(part.mimetype),
        size_bytes: stored.size,
        sha256: stored.sha256,
        file_name: null,
        created_at: ctx.clock(),
      };
      try {
        await ctx.db.insertInto("files").values(row).execute();
      } catch (error) {
        await ctx.storage.delete(key);
        throw error;
      }

      request.log.info({ tenantId: tenant.id, fileId, sizeBytes: stored.size, contentType: row.content_type }, "file stored");
      return {
        status: 201,
        body: toFileLink(row),
        headers: { Location: `/v1/tenants/${encodeURIComponent(request.path.tenant)}/storage/${fileId}` },
      };
    },

    async downloadFile(request) {
      const tenant = await findTenant(ctx.db, request.path.tenant);
      const row = tenant === undefined ? undefined : await findFile(ctx.db, tenant.id, request.path.file);
      if (tenant === undefined || row === undefined) throw fileNotFound(request.path.file);

      const body = await ctx.storage.get(fileKey(tenant.id, row.id));
      if (body === undefined) {
        request.log.error({ tenantId: tenant.id, fileId: row.id }, "stored file has a row but no bytes");
        throw fileNotFound(request.path.file);
      }

      const headers: Record<string, string> = {
        "Content-Type": row.content_type,
        "Content-Length": String(row.size_bytes),
        "Cache-Control": `public, max-age=${DOWNLOAD_MAX_AGE_SECONDS}`,
        ETag: `"${row.sha256}"`,
        "X-Content-Type-Options": "nosniff",
        // The bytes come from users: a browser opening one directly must not run it as a page of this origin.
        "Content-Security-Policy": "default-src 'none'; sandbox",
      };
      if (row.file_name !== null) headers["Content-Disposition"] = attachment(row.file_name);
      return { status: 200, body, headers };
    },
  };
}

/** Reads the form's `file` part; the other parts of the form are ignored. */
async function readFilePart(request: FastifyRequest): Promise<MultipartFile> {
  if (!request.isMultipart()) {
    throw new ProblemError("UNSUPPORTED_MEDIA_TYPE", "Send the file as multipart/form-data with one part named file.");
  }

  let part: MultipartFile | undefined;
  try {
    part = await request.file();
  } catch (error) {
    if (isFileTooLarge(error)) throw error;
    throw new ProblemError("MALFORMED_BODY", "The multipart form could not be read; send one part named file.", { cause: error });
  }
  if (part === undefined) throw missingFile("The form has no file part; send the file in a part named file.");
  if (part.fieldname !== "file") {
    part.file.resume();
    throw missingFile(`The form's file part is named ${JSON.stringify(part.fieldname)}; name it file.`);
  }
  return part;
}

function missingFile(detail: string): ProblemError {
  return new ProblemError("VALIDATION_FAILED", detail, { errors: [{ pointer: "/body/file", detail: "is required: a multipart part named file" }] });
}

function tooLarge(limit: number): ProblemError {
  return new ProblemError("PAYLOAD_TOO_LARGE", `The file is larger than the upload limit of ${limit} bytes; nothing was stored.`);
}

function fileNotFound(fileId: string): ProblemError {
  return new ProblemError("NOT_FOUND", `File ${fileId} was not found in this tenant.`);
}

function isFileTooLarge(error: unknown): boolean {
  return typeof error === "object" && error !== null && (error as { code?: unknown }).code === "FST_REQ_FILE_TOO_LARGE";
}

/** Returns the part's content type in lower case, or `application/octet-stream` when it is missing or malformed. */
function contentTypeOf(mimetype: string | undefined): string {
  const mediaType = (mimetype ?? "").trim().toLowerCase();
  return MEDIA_TYPE.test(mediaType) ? mediaType : FALLBACK_CONTENT_TYPE;
}

/** `attachment` with the file name, quoted per RFC 6266; names of exports are ASCII slugs. */
function attachment(fileName: string): string {
  return `attachment; filename="${fileName.replace(/["\\\r\n]/g, "_")}"`;
}
