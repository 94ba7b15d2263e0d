import type { Tenant } from "@fruxon/api-types";

export function TenantSwitcher({
  tenants,
  current,
  onSelect,
}: {
  tenants: readonly Tenant[];
  current: string | undefined;
  onSelect: (slug: string) => void;
}) {
  return (
    <div className="tenant-switcher">
      <label htmlFor="tenant-switcher">Tenant</label>
      <select id="tenant-switcher" value={current ?? ""} onChange={(event) => onSelect(event.target.value)}>
        {current === undefined ? <option value="">Choose a tenant</option> : null}
        {tenants.map((tenant) => (
          <option key={tenant.id} value={tenant.slug}>
            {tenant.displayName}
          </option>
        ))}
        <option value="__new">+ Create a tenant…</option>
      </select>
    </div>
  );
}
