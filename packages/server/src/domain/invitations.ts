import { createHash, randomBytes, randomUUID } from "node:crypto";

import type { Invitation, PendingInvitation } from "@fruxon/api-types";

import type { Caller } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { transaction } from "../db/database.js";
import type { InvitationsTable, MemberRole, Queryable, TenantsTable } from "../db/schema.js";
import { renderInvitationEmail } from "../email/invitation-email.js";
import { enqueueEmail } from "../email/outbox.js";
import { ProblemError } from "../problems.js";
import { ensureAccount } from "./profiles.js";
import { lockTenant } from "./tenants.js";

const HOUR_MS = 60 * 60 * 1000;
export const INVITATION_EMAIL_KIND = "invitation";

/** Creates a ticket: 32 random bytes, base64url without padding (43 characters). */
export function createTicket(): string {
  return randomBytes(32).toString("base64url");
}

/** Returns the stored form of a ticket: its SHA-256, base64url. */
export function hashTicket(ticket: string): string {
  return createHash("sha256").update(ticket, "utf8").digest("base64url");
}

export interface InviteInput {
  tenant: TenantsTable;
  email: string;
  role: MemberRole;
  /** The admin who invites; undefined when a batch operation invites on an admin's behalf. */
  inviter: Caller | undefined;
}

export interface InviteOptions {
  /** Whether the per-tenant hourly invitation limit applies (default true). */
  enforceHourlyLimit?: boolean;
  /** Key that makes enqueuing the email idempotent; defaults to `invitation:<new invitation id>`. */
  dedupeKey?: string;
  /**
   * A transaction to run in instead of opening one, so a batch job records its per-entry progress in the
   * same commit as the invitation. The caller then also wakes the outbox once that transaction commits.
   */
  transaction?: Queryable;
}

/**
 * Invites an email to a tenant, or replaces its outstanding invitation (new ticket, role and expiry: the
 * earlier link stops working). The INVITED member, the invitation and the email in the outbox are written
 * in one transaction. Throws 400 `ALREADY_MEMBER` for an ACTIVE member's email and 429 `RATE_LIMITED`
 * when the tenant reached its hourly limit. The caller checks the inviter's ADMIN role.
 */
export async function inviteMember(ctx: ServerContext, input: InviteInput, options: InviteOptions = {}): Promise<Invitation> {
  const emailLower = input.email.toLowerCase();
  const ticket = createTicket();
  const invitationId = randomUUID();

  const invite = async (trx: Queryable): Promise<Invitation> => {
    await lockTenant(trx, ctx.dialect, input.tenant.id);
    const now = ctx.clock();

    const existing = await trx.selectFrom("members").selectAll().where("tenant_id", "=", input.tenant.id).where("email_lower", "=", emailLower).executeTakeFirst();
    if (existing?.status === "ACTIVE") {
      throw new ProblemError("ALREADY_MEMBER", `${input.email} is already an ACTIVE member of tenant ${input.tenant.slug}.`, {
        errors: [{ pointer: "/body/email", detail: "already belongs to an ACTIVE member of the tenant" }],
      });
    }
    if (options.enforceHourlyLimit ?? true) await checkHourlyLimit(ctx, trx, input.tenant.id, now);

    let memberId: string;
    if (existing === undefined) {
      memberId = randomUUID();
      await trx
        .insertInto("members")
        .values({
          id: memberId,
          tenant_id: input.tenant.id,
          email: input.email,
          email_lower: emailLower,
          account_sub: null,
          role: input.role,
          status: "INVITED",
          version: 1,
          created_at: now,
          modified_at: now,
        })
        .execute();
    } else {
      memberId = existing.id;
      await trx.updateTable("members").set({ role: input.role, version: existing.version + 1, modified_at: now }).where("id", "=", memberId).execute();
      await trx.deleteFrom("invitations").where("member_id", "=", memberId).execute();
    }

    const row: InvitationsTable = {
      id: invitationId,
      tenant_id: input.tenant.id,
      member_id: memberId,
      email_lower: emailLower,
      role: input.role,
      ticket_hash: hashTicket(ticket),
      expires_at: now + ctx.config.invitationTtlHours * HOUR_MS,
      invited_by: input.inviter?.sub ?? null,
      created_at: now,
    };
    await trx.insertInto("invitations").values(row).execute();

    const link = `${ctx.config.publicUrl}/invitations/${ticket}`;
    const email = renderInvitationEmail({
      tenantName: input.tenant.display_name,
      tenantSlug: input.tenant.slug,
      inviter: input.inviter === undefined ? undefined : (input.inviter.name ?? input.inviter.email),
      role: input.role,
      link,
      expiresAt: row.expires_at,
    });
    await enqueueEmail(trx, {
      kind: INVITATION_EMAIL_KIND,
      tenantId: input.tenant.id,
      recipient: input.email,
      email,
      link,
      dedupeKey: options.dedupeKey ?? `invitation:${invitationId}`,
      now,
    });

    const result: Invitation = {
      id: memberId,
      userEmail: existing?.email ?? input.email,
      slug: input.tenant.slug,
      displayName: input.tenant.display_name,
      role: input.role,
      expiresAt: row.expires_at,
    };
    return result;
  };

  if (options.transaction !== undefined) return invite(options.transaction);
  const invitation = await transaction(ctx.db, invite);
  ctx.outbox.wake();
  return invitation;
}

/** Throws 429 with `Retry-After` when the tenant sent its hourly number of invitation emails. */
async function checkHourlyLimit(ctx: ServerContext, db: Queryable, tenantId: string, now: number): Promise<void> {
  const limit = ctx.config.invitationsPerTenantPerHour;
  const since = now - HOUR_MS;
  // The limit-th newest invitation of the last hour exists only when the tenant reached its limit, and
  // it leaves the one-hour window first. One indexed row is read instead of the whole hour.
  const limitReached = await db
    .selectFrom("outbox")
    .select("created_at")
    .where("tenant_id", "=", tenantId)
    .where("kind", "=", INVITATION_EMAIL_KIND)
    .where("created_at", ">", since)
    .orderBy("created_at", "desc")
    .offset(limit - 1)
    .limit(1)
    .executeTakeFirst();
  if (limitReached === undefined) return;

  const oldest = limitReached.created_at;
  const retryAfter = Math.max(1, Math.ceil((oldest + HOUR_MS - now) / 1000));
  throw new ProblemError(
    "RATE_LIMITED",
    `The tenant sent ${limit} invitations in the last hour, its limit; retry after ${retryAfter} seconds.`,
    { headers: { "Retry-After": String(retryAfter) } },
  );
}

/** Lists the unexpired invitations addressed to the caller's verified email, oldest first. */
export async function listPendingInvitations(ctx: ServerContext, caller: Caller): Promise<PendingInvitation[]> {
  // An unverified email proves nothing about who reads that mailbox, so it gets no invitations.
  if (!caller.emailVerified) return [];

  const rows = await ctx.db
    .selectFrom("invitations as i")
    .innerJoin("tenants as t", "t.id", "i.tenant_id")
    .select(["t.id as tenant_id", "t.slug", "t.display_name", "i.role", "i.created_at"])
    .where("i.email_lower", "=", caller.email.toLowerCase())
    .where("i.expires_at", ">", ctx.clock())
    .orderBy("i.created_at")
    .orderBy("i.id")
    .execute();
  return rows.map((row) => ({
    tenantId: row.tenant_id,
    tenantSlug: row.slug,
    tenantDisplayName: row.display_name,
    role: row.role,
    invitedAt: row.created_at,
  }));
}

/**
 * Makes the caller an ACTIVE member through the invitation: deletes the invitation and checks that this
 * transaction deleted it, so of two concurrent accepts exactly one activates the membership.
 * Returns false when another request consumed the invitation first.
 */
async function consumeInvitation(ctx: ServerContext, trx: Queryable, invitation: InvitationsTable, caller: Caller, now: number): Promise<boolean> {
  const deleted = await trx.deleteFrom("invitations").where("id", "=", invitation.id).executeTakeFirst();
  if (Number(deleted.numDeletedRows) !== 1) return false;

  await trx
    .insertInto("accepted_tickets")
    .values({ ticket_hash: invitation.ticket_hash, tenant_id: invitation.tenant_id, account_sub: caller.sub, accepted_at: now })
    .execute();

  await ensureAccount(trx, caller, now);
  const alreadyActive = await findActiveMembership(trx, invitation.tenant_id, caller.sub);
  if (alreadyActive !== undefined) {
    // The account is a member under another email already; the invited entry has no further use.
    await trx.deleteFrom("members").where("id", "=", invitation.member_id).where("status", "=", "INVITED").execute();
    return true;
  }

  const member = await trx.selectFrom("members").select("version").where("id", "=", invitation.member_id).executeTakeFirstOrThrow();
  await trx
    .updateTable("members")
    .set({ status: "ACTIVE", account_sub: caller.sub, role: invitation.role, version: member.version + 1, modified_at: now })
    .where("id", "=", invitation.member_id)
    .execute();
  ctx.log.info({ tenantId: invitation.tenant_id, memberId: invitation.member_id }, "invitation accepted");
  return true;
}

async function findActiveMembership(db: Queryable, tenantId: string, sub: string): Promise<string | undefined> {
  const row = await db
    .selectFrom("members")
    .select("id")
    .where("tenant_id", "=", tenantId)
    .where("account_sub", "=", sub)
    .where("status", "=", "ACTIVE")
    .executeTakeFirst();
  return row?.id;
}

function expired(invitation: InvitationsTable): ProblemError {
  return new ProblemError("INVITATION_EXPIRED", `The invitation expired at ${new Date(invitation.expires_at).toISOString()}; ask an admin of the tenant to invite you again.`);
}

const UNKNOWN_TICKET = "The invitation link is unknown: it was already used, replaced, declined or withdrawn. Ask an admin of the tenant for a new invitation.";

/**
 * Accepts the invitation behind an email link. The caller's verified email must be the invited one,
 * ignoring case (403 `EMAIL_MISMATCH`). An unknown ticket is 404, an expired one 400; a caller who is
 * already an ACTIVE member of the tenant gets success without change.
 */
export async function acceptTicket(ctx: ServerContext, caller: Caller, ticket: string): Promise<void> {
  const ticketHash = hashTicket(ticket);

  await transaction(ctx.db, async (trx) => {
    const invitation = await trx.selectFrom("invitations").selectAll().where("ticket_hash", "=", ticketHash).executeTakeFirst();
    if (invitation === undefined) {
      if (await acceptedEarlierBy(trx, ticketHash, caller)) return;
      throw new ProblemError("NOT_FOUND", UNKNOWN_TICKET);
    }

    if (!caller.emailVerified || caller.email.toLowerCase() !== invitation.email_lower) {
      const reason = caller.emailVerified ? "another email address than yours" : "an email address, and yours is not verified";
      throw new ProblemError("EMAIL_MISMATCH", `This invitation was sent to ${reason}; sign in with the invited, verified email address.`);
    }

    const now = ctx.clock();
    if (invitation.expires_at <= now) throw expired(invitation);

    if (!(await consumeInvitation(ctx, trx, invitation, caller, now))) {
      if ((await findActiveMembership(trx, invitation.tenant_id, caller.sub)) !== undefined) return;
      throw new ProblemError("NOT_FOUND", UNKNOWN_TICKET);
    }
  });
}

/**
 * Tells whether this caller already accepted the ticket and is still an ACTIVE member, which makes a
 * repeated accept a success. For any other account, or after the member was removed, the ticket is unknown.
 */
async function acceptedEarlierBy(db: Queryable, ticketHash: string, caller: Caller): Promise<boolean> {
  const accepted = await db.selectFrom("accepted_tickets").selectAll().where("ticket_hash", "=", ticketHash).executeTakeFirst();
  if (accepted === undefined || accepted.account_sub !== caller.sub) return false;
  return (await findActiveMembership(db, accepted.tenant_id, caller.sub)) !== undefined;
}

/** Finds the caller's invitation from a tenant by its id; the caller's email must be verified. */
async function findCallersInvitation(db: Queryable, caller: Caller, tenantId: string): Promise<InvitationsTable | undefined> {
  if (!caller.emailVerified) return undefined;
  return db
    .selectFrom("invitations")
    .selectAll()
    .where("tenant_id", "=", tenantId.toLowerCase())
    .where("email_lower", "=", caller.email.toLowerCase())
    .executeTakeFirst();
}

function noInvitation(tenantId: string): ProblemError {
  return new ProblemError("NOT_FOUND", `There is no invitation from tenant ${tenantId} for your verified email address.`);
}

/** Accepts the caller's invitation from a tenant; succeeds without change when already an ACTIVE member. */
export async function acceptPendingInvitation(ctx: ServerContext, caller: Caller, tenantId: string): Promise<void> {
  await transaction(ctx.db, async (trx) => {
    const invitation = await findCallersInvitation(trx, caller, tenantId);
    if (invitation === undefined) {
      if ((await findActiveMembership(trx, tenantId.toLowerCase(), caller.sub)) !== undefined) return;
      throw noInvitation(tenantId);
    }

    const now = ctx.clock();
    if (invitation.expires_at <= now) throw expired(invitation);

    if (!(await consumeInvitation(ctx, trx, invitation, caller, now))) {
      if ((await findActiveMembership(trx, invitation.tenant_id, caller.sub)) !== undefined) return;
      throw noInvitation(tenantId);
    }
  });
}

/** Declines the caller's invitation from a tenant: the invitation and its INVITED user are removed. */
export async function declinePendingInvitation(ctx: ServerContext, caller: Caller, tenantId: string): Promise<void> {
  await transaction(ctx.db, async (trx) => {
    const invitation = await findCallersInvitation(trx, caller, tenantId);
    if (invitation === undefined) throw noInvitation(tenantId);

    await trx.deleteFrom("members").where("id", "=", invitation.member_id).where("status", "=", "INVITED").execute();
    await trx.deleteFrom("invitations").where("id", "=", invitation.id).execute();
  });
}
