import { randomUUID } from "node:crypto";

import type { Tenant, TenantList } from "@fruxon/api-types";

import type { Caller } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { isUniqueViolation, transaction } from "../db/database.js";
import { prepareQuery } from "../db/prepared.js";
import type { MembersTable, Queryable, SqlDialect, TenantsTable } from "../db/schema.js";
import { ProblemError } from "../problems.js";
import { DEFAULT_PAGE_SIZE } from "./page-tokens.js";
import { ensureAccount } from "./profiles.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: string): boolean {
  return UUID.test(value);
}

/** A tenant and the caller's ACTIVE membership in it. */
export interface Membership {
  tenant: TenantsTable;
  member: MembersTable;
}

/**
 * Finds a tenant by its id or its slug, ignoring case (ids and slugs are stored in lower case). Slugs
 * never have the form of a UUID, so the two cannot clash.
 */
export async function findTenant(db: Queryable, reference: string): Promise<TenantsTable | undefined> {
  const column = isUuid(reference) ? "id" : "slug";
  return db.selectFrom("tenants").selectAll().where(column, "=", reference.toLowerCase()).executeTakeFirst();
}

/** Prepares the one query for the tenant and the caller's membership, which nearly every request runs. */
function membershipQuery(column: "t.id" | "t.slug") {
  return prepareQuery(["reference", "sub"], (db, values) =>
    db
      .selectFrom("tenants as t")
      .innerJoin("members as m", "m.tenant_id", "t.id")
      .select([
        "t.id as t_id", "t.slug as t_slug", "t.display_name as t_display_name", "t.created_at as t_created_at", "t.modified_at as t_modified_at",
        "m.id", "m.tenant_id", "m.email", "m.email_lower", "m.account_sub", "m.role", "m.status", "m.version", "m.created_at", "m.modified_at",
      ])
      .where(column, "=", values.reference)
      .where("m.account_sub", "=", values.sub)
      .where("m.status", "=", "ACTIVE"));
}

const membershipById = membershipQuery("t.id");
const membershipBySlug = membershipQuery("t.slug");

/**
 * Returns the tenant and the caller's ACTIVE membership, read from the database on every call.
 * A tenant the caller is not an ACTIVE member of does not exist for them (404). When `role` is
 * `ADMIN`, a MEMBER gets 403 `PERMISSION_DENIED`.
 */
export async function requireMembership(db: Queryable, caller: Caller, reference: string, role?: "ADMIN"): Promise<Membership> {
  const select = isUuid(reference) ? membershipById : membershipBySlug;
  const [row] = await select(db, { reference: reference.toLowerCase(), sub: caller.sub });
  if (row === undefined) throw tenantNotFound(reference);
  const { t_id, t_slug, t_display_name, t_created_at, t_modified_at, ...member } = row;
  const tenant: TenantsTable = { id: t_id, slug: t_slug, display_name: t_display_name, created_at: t_created_at, modified_at: t_modified_at };

  if (role === "ADMIN" && member.role !== "ADMIN") {
    throw new ProblemError("PERMISSION_DENIED", `Only an ADMIN of tenant ${tenant.slug} may do this; your role is ${member.role}.`);
  }
  return { tenant, member };
}

/**
 * Locks the tenant (see `lockTenant`) and then returns the caller's ADMIN membership, read under the lock.
 * On PostgreSQL the tenant is first found without the lock, to know which row to lock. On SQLite the
 * transaction took the write lock when it began, so one read suffices.
 */
export async function requireAdminUnderLock(trx: Queryable, dialect: SqlDialect, caller: Caller, reference: string): Promise<Membership> {
  if (dialect !== "postgres") return requireMembership(trx, caller, reference, "ADMIN");

  const { tenant } = await requireMembership(trx, caller, reference);
  await lockTenant(trx, dialect, tenant.id);
  return requireMembership(trx, caller, tenant.id, "ADMIN");
}

export function tenantNotFound(reference: string): ProblemError {
  return new ProblemError("NOT_FOUND", `Tenant ${reference} was not found.`);
}

/**
 * Locks the tenant's row until the transaction ends, so checks that count its admins and the writes that
 * follow run one transaction at a time per tenant. On PostgreSQL this is `SELECT … FOR UPDATE`; on SQLite
 * every transaction already holds the database's write lock (`BEGIN IMMEDIATE`).
 */
export async function lockTenant(trx: Queryable, dialect: SqlDialect, tenantId: string): Promise<void> {
  if (dialect !== "postgres") return;
  await trx.selectFrom("tenants").select("id").where("id", "=", tenantId).forUpdate().execute();
}

export function toTenant(row: TenantsTable): Tenant {
  return { id: row.id, slug: row.slug, displayName: row.display_name, createdAt: row.created_at, modifiedAt: row.modified_at };
}

/** Creates a tenant with the caller as its first ACTIVE ADMIN. */
export async function createTenant(ctx: ServerContext, caller: Caller, input: { slug: string; displayName: string }): Promise<TenantsTable> {
  if (isUuid(input.slug)) {
    const detail = "must not have the form of a UUID, because {tenant} in paths accepts both ids and slugs";
    throw new ProblemError("VALIDATION_FAILED", `slug ${detail}.`, { errors: [{ pointer: "/body/slug", detail }] });
  }
  const now = ctx.clock();
  const tenant: TenantsTable = { id: randomUUID(), slug: input.slug, display_name: input.displayName, created_at: now, modified_at: now };

  try {
    await transaction(ctx.db, async (trx) => {
      const existing = await trx.selectFrom("tenants").select("id").where("slug", "=", input.slug).executeTakeFirst();
      if (existing !== undefined) throw slugTaken(input.slug);

      await ensureAccount(trx, caller, now);
      await trx.insertInto("tenants").values(tenant).execute();
      await trx
        .insertInto("members")
        .values({
          id: randomUUID(),
          tenant_id: tenant.id,
          email: caller.email,
          email_lower: caller.email.toLowerCase(),
          account_sub: caller.sub,
          role: "ADMIN",
          status: "ACTIVE",
          version: 1,
          created_at: now,
          modified_at: now,
        })
        .execute();
    });
  } catch (error) {
    // Two requests for one slug can both pass the check above; the unique index rejects the second.
    if (isUniqueViolation(error)) throw slugTaken(input.slug);
    throw error;
  }
  return tenant;
}

function slugTaken(slug: string): ProblemError {
  return new ProblemError("SLUG_TAKEN", `Another tenant already uses the slug ${slug}; choose another slug.`);
}

/** Lists the tenants where the caller is an ACTIVE member, oldest first, one page at a time. */
export async function listTenants(
  ctx: ServerContext,
  caller: Caller,
  page: { pageSize?: number | undefined; pageToken?: string | undefined },
): Promise<TenantList> {
  const binding = { sub: caller.sub };
  const pageSize = page.pageSize ?? DEFAULT_PAGE_SIZE;
  const cursor = page.pageToken === undefined ? undefined : ctx.pageTokens.decode(page.pageToken, "tenants", binding);

  const base = ctx.db
    .selectFrom("tenants as t")
    .innerJoin("members as m", "m.tenant_id", "t.id")
    .where("m.account_sub", "=", caller.sub)
    .where("m.status", "=", "ACTIVE");

  let query = base.selectAll("t").orderBy("t.created_at").orderBy("t.id").limit(pageSize + 1);
  if (cursor !== undefined) {
    const [createdAt, id] = cursor;
    query = query.where(({ eb, refTuple, tuple }) => eb(refTuple("t.created_at", "t.id"), ">", tuple(createdAt, id)));
  }
  const rows = await query.execute();
  const { count } = await base.select((eb) => eb.fn.countAll<number>().as("count")).executeTakeFirstOrThrow();

  const items = rows.slice(0, pageSize);
  const last = items.at(-1);
  const list: TenantList = { items: items.map(toTenant), totalCount: Number(count) };
  if (rows.length > pageSize && last !== undefined) {
    list.nextPageToken = ctx.pageTokens.encode("tenants", binding, [last.created_at, last.id]);
  }
  return list;
}
