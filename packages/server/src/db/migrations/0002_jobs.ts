import type { Kysely } from "kysely";

/**
 * Creates the tables of long-running operations and stored files:
 * `operations` (one row per operation, which is also the job's queue entry and lease),
 * `operation_items` (per-entry progress, so a re-run job skips what an earlier attempt finished)
 * and `files` (metadata of stored files; the bytes live in the storage backend).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable("operations")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("tenant_id", "text", (column) => column.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("type", "text", (column) => column.notNull())
    .addColumn("status", "text", (column) => column.notNull())
    .addColumn("resource_name", "text")
    .addColumn("resource_type", "text")
    .addColumn("metadata", "text", (column) => column.notNull())
    .addColumn("error", "text")
    .addColumn("last_error", "text")
    .addColumn("created_by", "text", (column) => column.notNull())
    .addColumn("idempotency_key", "text")
    .addColumn("input", "text", (column) => column.notNull())
    .addColumn("attempts", "integer", (column) => column.notNull().defaultTo(0))
    .addColumn("lease_owner", "text")
    .addColumn("lease_until", "bigint")
    .addColumn("next_attempt_at", "bigint", (column) => column.notNull())
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addColumn("started_at", "bigint")
    .addColumn("completed_at", "bigint")
    .addUniqueConstraint("operations_tenant_idempotency_key_unique", ["tenant_id", "idempotency_key"])
    .execute();
  await db.schema.createIndex("operations_tenant_order_idx").on("operations").columns(["tenant_id", "created_at", "id"]).execute();
  await db.schema.createIndex("operations_due_idx").on("operations").columns(["status", "next_attempt_at"]).execute();

  await db.schema
    .createTable("operation_items")
    .addColumn("operation_id", "text", (column) => column.notNull().references("operations.id").onDelete("cascade"))
    .addColumn("item_key", "text", (column) => column.notNull())
    .addColumn("succeeded", "integer", (column) => column.notNull())
    .addColumn("reason", "text")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .addPrimaryKeyConstraint("operation_items_pk", ["operation_id", "item_key"])
    .execute();

  await db.schema
    .createTable("files")
    .addColumn("id", "text", (column) => column.primaryKey())
    .addColumn("tenant_id", "text", (column) => column.notNull().references("tenants.id").onDelete("cascade"))
    .addColumn("uploader_sub", "text", (column) => column.notNull())
    .addColumn("content_type", "text", (column) => column.notNull())
    .addColumn("size_bytes", "bigint", (column) => column.notNull())
    .addColumn("sha256", "text", (column) => column.notNull())
    .addColumn("file_name", "text")
    .addColumn("created_at", "bigint", (column) => column.notNull())
    .execute();
  await db.schema.createIndex("files_tenant_idx").on("files").column("tenant_id").execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ["files", "operation_items", "operations"]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
