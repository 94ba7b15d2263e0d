import type { Handlers } from "../contract/handler-types.js";
import type { ServerContext } from "../context.js";
import { createTenant, listTenants, requireMembership, toTenant } from "../domain/tenants.js";
import { callerOf } from "./caller.js";

export type TenantHandlers = Pick<Handlers, "listTenants" | "createTenant" | "getTenant">;

export function createTenantHandlers(ctx: ServerContext): TenantHandlers {
  return {
    async listTenants(request) {
      const list = await listTenants(ctx, callerOf(request), request.query);
      return { status: 200, body: list };
    },

    async createTenant(request) {
      const tenant = await createTenant(ctx, callerOf(request), request.body);
      request.log.info({ tenantId: tenant.id, slug: tenant.slug }, "tenant created");
      return { status: 201, body: toTenant(tenant), headers: { Location: `/v1/tenants/${tenant.id}` } };
    },

    async getTenant(request) {
      const { tenant } = await requireMembership(ctx.db, callerOf(request), request.path.tenant);
      return { status: 200, body: toTenant(tenant) };
    },
  };
}
