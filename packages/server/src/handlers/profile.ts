import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { ensureAccount, toProfile, updateProfile } from "../domain/profiles.js";
import { callerOf } from "./caller.js";

export type ProfileHandlers = Pick<Handlers, "getMyProfile" | "updateMyProfile">;

export function createProfileHandlers(ctx: ServerContext): ProfileHandlers {
  return {
    async getMyProfile(request) {
      const account = await ensureAccount(ctx.db, callerOf(request), ctx.clock());
      return { status: 200, body: toProfile(account) };
    },

    async updateMyProfile(request) {
      const account = await updateProfile(ctx, callerOf(request), request.body);
      return { status: 200, body: toProfile(account) };
    },
  };
}
