import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { createHealthHandlers } from "./health.js";
import { createInvitationHandlers } from "./invitations.js";
import { createOperationHandlers } from "./operations.js";
import { createProfileHandlers } from "./profile.js";
import { createStorageHandlers } from "./storage.js";
import { createTenantHandlers } from "./tenants.js";
import { createUserHandlers } from "./users.js";

/** Builds one handler per operation of the spec; the `Handlers` type rejects a missing one. */
export function createHandlers(ctx: ServerContext): Handlers {
  return {
    ...createTenantHandlers(ctx),
    ...createUserHandlers(ctx),
    ...createInvitationHandlers(ctx),
    ...createProfileHandlers(ctx),
    ...createHealthHandlers(ctx),
    ...createOperationHandlers(ctx),
    ...createStorageHandlers(ctx),
  };
}
