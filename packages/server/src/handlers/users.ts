import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { memberETag } from "../domain/etags.js";
import { inviteMember } from "../domain/invitations.js";
import { changeRole, getMember, listUsers, removeMember, toUser } from "../domain/members.js";
import { requireMembership } from "../domain/tenants.js";
import { callerOf } from "./caller.js";

export type UserHandlers = Pick<Handlers, "listUsers" | "getUser" | "updateUser" | "deleteUser" | "inviteUser">;

export function createUserHandlers(ctx: ServerContext): UserHandlers {
  return {
    async listUsers(request) {
      const { tenant } = await requireMembership(ctx.db, callerOf(request), request.path.tenant);
      const { status, role, q, pageSize, pageToken } = request.query;
      const list = await listUsers(ctx, tenant.id, { status, role, q }, { pageSize, pageToken });
      return { status: 200, body: list };
    },

    async getUser(request) {
      const { tenant } = await requireMembership(ctx.db, callerOf(request), request.path.tenant);
      const member = await getMember(ctx.db, tenant.id, request.path.user);
      return { status: 200, body: toUser(member), headers: { ETag: memberETag(member) } };
    },

    async updateUser(request) {
      const caller = callerOf(request);
      const { member, changed } = await changeRole(ctx, caller, request.path.tenant, request.path.user, request.body.role, request.headers["If-Match"]);
      if (changed) request.log.info({ tenant: request.path.tenant, memberId: member.id, role: member.role }, "user role changed");
      return { status: 200, body: toUser(member), headers: { ETag: memberETag(member) } };
    },

    async deleteUser(request) {
      await removeMember(ctx, callerOf(request), request.path.tenant, request.path.user, request.headers["If-Match"]);
      request.log.info({ tenant: request.path.tenant, memberId: request.path.user }, "user removed");
      return { status: 204, body: undefined };
    },

    async inviteUser(request) {
      const caller = callerOf(request);
      const { tenant } = await requireMembership(ctx.db, caller, request.path.tenant, "ADMIN");
      const invitation = await inviteMember(ctx, { tenant, email: request.body.email, role: request.body.role, inviter: caller });
      request.log.info({ tenantId: tenant.id, memberId: invitation.id }, "invitation created");
      return { status: 200, body: invitation };
    },
  };
}
