import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { acceptPendingInvitation, acceptTicket, declinePendingInvitation, listPendingInvitations } from "../domain/invitations.js";
import { callerOf } from "./caller.js";

export type InvitationHandlers = Pick<Handlers, "listPendingInvitations" | "acceptPendingInvitation" | "declinePendingInvitation" | "acceptInvitation">;

export function createInvitationHandlers(ctx: ServerContext): InvitationHandlers {
  return {
    async listPendingInvitations(request) {
      return { status: 200, body: await listPendingInvitations(ctx, callerOf(request)) };
    },

    async acceptPendingInvitation(request) {
      await acceptPendingInvitation(ctx, callerOf(request), request.path.tenantId);
      return { status: 204, body: undefined };
    },

    async declinePendingInvitation(request) {
      await declinePendingInvitation(ctx, callerOf(request), request.path.tenantId);
      request.log.info({ tenantId: request.path.tenantId }, "invitation declined");
      return { status: 204, body: undefined };
    },

    async acceptInvitation(request) {
      await acceptTicket(ctx, callerOf(request), request.path.ticket);
      return { status: 204, body: undefined };
    },
  };
}
