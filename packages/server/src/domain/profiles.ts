import type { Profile, UpdateProfileRequest } from "@fruxon/api-types";

import type { Caller } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { transaction } from "../db/database.js";
import type { AccountsTable, Queryable } from "../db/schema.js";
import { ProblemError } from "../problems.js";

const MAX_NAME_LENGTH = 100;

/**
 * Returns the caller's account, creating it from the token's claims on first sight. The email and its
 * verification follow the token, so they are refreshed when the identity provider changed them.
 */
export async function ensureAccount(db: Queryable, caller: Caller, now: number): Promise<AccountsTable> {
  const verified = caller.emailVerified ? 1 : 0;
  const { firstName, lastName } = splitName(caller.name);
  await db
    .insertInto("accounts")
    .values({
      sub: caller.sub,
      email: caller.email,
      email_verified: verified,
      first_name: firstName,
      last_name: lastName,
      avatar_file_id: null,
      created_at: now,
      modified_at: now,
    })
    .onConflict((conflict) => conflict.column("sub").doNothing())
    .execute();

  const account = await db.selectFrom("accounts").selectAll().where("sub", "=", caller.sub).executeTakeFirstOrThrow();
  if (account.email === caller.email && account.email_verified === verified) return account;

  await db.updateTable("accounts").set({ email: caller.email, email_verified: verified, modified_at: now }).where("sub", "=", caller.sub).execute();
  return { ...account, email: caller.email, email_verified: verified, modified_at: now };
}

/** Splits the `name` claim into a first name (up to the first space) and a last name (the rest). */
function splitName(name: string | undefined): { firstName: string | null; lastName: string | null } {
  const trimmed = name?.trim() ?? "";
  if (trimmed === "") return { firstName: null, lastName: null };
  const space = trimmed.search(/\s/);
  const first = space === -1 ? trimmed : trimmed.slice(0, space);
  const last = space === -1 ? "" : trimmed.slice(space).trim();
  return { firstName: first.slice(0, MAX_NAME_LENGTH), lastName: last === "" ? null : last.slice(0, MAX_NAME_LENGTH) };
}

export function toProfile(row: AccountsTable): Profile {
  const profile: Profile = {
    id: row.sub,
    email: row.email,
    emailVerified: row.email_verified === 1,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
  if (row.first_name !== null) profile.firstName = row.first_name;
  if (row.last_name !== null) profile.lastName = row.last_name;
  if (row.avatar_file_id !== null) profile.avatarFileId = row.avatar_file_id;
  return profile;
}

/** Applies a partial update: an omitted property stays, `null` clears it. */
export async function updateProfile(ctx: ServerContext, caller: Caller, body: UpdateProfileRequest): Promise<AccountsTable> {
  if (body.avatarFileId !== undefined && body.avatarFileId !== null) await checkAvatar(ctx, body.avatarFileId, caller.sub);

  const changes: Partial<Pick<AccountsTable, "first_name" | "last_name" | "avatar_file_id">> = {};
  if (body.firstName !== undefined) changes.first_name = body.firstName;
  if (body.lastName !== undefined) changes.last_name = body.lastName;
  if (body.avatarFileId !== undefined) changes.avatar_file_id = body.avatarFileId === null ? null : body.avatarFileId.toLowerCase();

  return transaction(ctx.db, async (trx) => {
    const now = ctx.clock();
    const account = await ensureAccount(trx, caller, now);
    if (Object.keys(changes).length === 0) return account;

    await trx.updateTable("accounts").set({ ...changes, modified_at: now }).where("sub", "=", caller.sub).execute();
    return { ...account, ...changes, modified_at: now };
  });
}

async function checkAvatar(ctx: ServerContext, fileId: string, accountSub: string): Promise<void> {
  // NOTE: without a file store (`ctx.avatars` unset) no file can be shown to be the caller's image, so every avatar is rejected.
  const valid = ctx.avatars === undefined ? false : await ctx.avatars.isAvatarOf(fileId.toLowerCase(), accountSub);
  if (valid) return;

  const detail = "must be the id of a PNG, JPEG or WebP image of at most 5 MiB that you uploaded";
  throw new ProblemError("INVALID_AVATAR", `avatarFileId ${fileId} ${detail}.`, { errors: [{ pointer: "/body/avatarFileId", detail }] });
}
