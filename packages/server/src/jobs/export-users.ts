import { Readable } from "node:stream";
import { setImmediate } from "node:timers/promises";

import type { OperationMetadata } from "@fruxon/api-types";

import { fileKey } from "../storage/backend.js";
import { csvRecord } from "./csv.js";
import { JobFailure, type JobContext, type JobResult } from "./job.js";

/** The stored input of an EXPORT_USERS operation. */
export interface ExportUsersInput {
  /** The id of the CSV file, chosen when the operation was created, so every attempt writes the same file. */
  fileId: string;
}

export const EXPORT_CONTENT_TYPE = "text/csv; charset=utf-8";

/** Members read per query; cancellation and shutdown are checked between pages. */
const PAGE_SIZE = 500;

const HEADER = ["id", "email", "firstName", "lastName", "role", "status", "createdAt", "modifiedAt"];

/** Returns the name an export is saved under: `<tenant slug>-users.csv`. */
export function exportFileName(slug: string): string {
  return `${slug}-users.csv`;
}

/**
 * Writes every user of the tenant (members and invited users, oldest first) as CSV to the tenant's
 * storage, streaming page by page. A later attempt writes the same file id again, which replaces the
 * file. The file's row is written in the transaction that marks the operation DONE.
 */
export async function runExportUsers(job: JobContext): Promise<JobResult> {
  const { ctx, operation } = job;
  const input = JSON.parse(operation.input) as ExportUsersInput;
  const tenant = await ctx.db.selectFrom("tenants").selectAll().where("id", "=", operation.tenant_id).executeTakeFirst();
  if (tenant === undefined) throw new JobFailure("The tenant no longer exists.");

  const { count } = await ctx.db
    .selectFrom("members")
    .select((eb) => eb.fn.countAll<number>().as("count"))
    .where("tenant_id", "=", tenant.id)
    .executeTakeFirstOrThrow();
  const tenantId = tenant.id;
  const progress: OperationMetadata = { total: Number(count), processed: 0 };
  await job.saveProgress(progress);

  async function* records(): AsyncGenerator<string> {
    yield csvRecord(HEADER);
    let cursor: [number, string] | undefined;
    for (;;) {
      // Lets this process's HTTP server run between pages; better-sqlite3 returns results synchronously.
      await setImmediate();
      job.checkpoint();
      let query = ctx.db
        .selectFrom("members as m")
        .leftJoin("accounts as a", "a.sub", "m.account_sub")
        .select(["m.id", "m.email", "m.role", "m.status", "m.created_at", "m.modified_at", "a.first_name", "a.last_name"])
        .where("m.tenant_id", "=", tenantId)
        .orderBy("m.created_at")
        .orderBy("m.id")
        .limit(PAGE_SIZE);
      if (cursor !== undefined) {
        const [createdAt, id] = cursor;
        // A row-value comparison, because SQLite and PostgreSQL seek the (tenant_id, created_at, id) index
        // to it. With the equivalent `created_at > ? OR (created_at = ? AND id > ?)` each page scanned every
        // row before it: exporting 1,000,000 members on SQLite took 112 s instead of 5 s (bench/jobs.mjs, 2 cores).
        query = query.where(({ eb, refTuple, tuple }) => eb(refTuple("m.created_at", "m.id"), ">", tuple(createdAt, id)));
      }
      const rows = await query.execute();

      let page = "";
      for (const row of rows) {
        page += csvRecord([row.id, row.email, row.first_name, row.last_name, row.role, row.status, isoTime(row.created_at), isoTime(row.modified_at)]);
      }
      if (page !== "") yield page;

      progress.processed = (progress.processed ?? 0) + rows.length;
      progress.total = Math.max(progress.total ?? 0, progress.processed);
      const last = rows.at(-1);
      if (rows.length < PAGE_SIZE || last === undefined) return;
      cursor = [last.created_at, last.id];
      await job.saveProgress(progress);
    }
  }

  const stored = await ctx.storage.put(fileKey(tenant.id, input.fileId), Readable.from(records()));
  job.log.info({ fileId: input.fileId, sizeBytes: stored.size, rows: progress.processed }, "export written");

  // Users added or removed while the export ran make the early count stale; the file is the truth.
  const metadata: OperationMetadata = { total: progress.processed ?? 0, processed: progress.processed ?? 0 };
  return {
    metadata,
    resourceName: input.fileId,
    resourceType: "FILE",
    finalize: async (trx) => {
      const row = {
        tenant_id: tenant.id,
        uploader_sub: operation.created_by,
        content_type: EXPORT_CONTENT_TYPE,
        size_bytes: stored.size,
        sha256: stored.sha256,
        file_name: exportFileName(tenant.slug),
        created_at: ctx.clock(),
      };
      await trx
        .insertInto("files")
        .values({ id: input.fileId, ...row })
        .onConflict((conflict) => conflict.column("id").doUpdateSet(row))
        .execute();
    },
  };
}

function isoTime(epochMs: number): string {
  return new Date(epochMs).toISOString();
}
