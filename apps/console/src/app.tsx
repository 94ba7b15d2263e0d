import { useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";

import type { Tenant } from "@fruxon/api-types";

import { toProblemView } from "./api/problem.js";
import { useProfile, useTenants } from "./api/queries.js";
import { SignInPage } from "./auth/sign-in-page.js";
import { signOut, useToken } from "./auth/session.js";
import { ProblemAlert } from "./components/problem-alert.js";
import { AcceptInvitationPage } from "./invitations/accept-invitation-page.js";
import { PendingInvitationsBanner } from "./invitations/pending-invitations-banner.js";
import { MembersPage } from "./members/members-page.js";
import { OperationsPage } from "./operations/operations-page.js";
import { ProfilePage } from "./profile/profile-page.js";
import { Link, matchPath, navigate, useLocation } from "./router.js";
import { CreateTenantForm } from "./tenants/create-tenant-form.js";
import { TenantSwitcher } from "./tenants/tenant-switcher.js";

const LAST_TENANT_KEY = "fruxon.console.lastTenant";

export function App({ baseUrl }: { baseUrl: string }) {
  const token = useToken();
  const queryClient = useQueryClient();

  // Cached data belongs to the signed-in account; nothing of it may show to the next one.
  useEffect(() => {
    if (token === null) {
      queryClient.clear();
    }
  }, [token, queryClient]);

  if (token === null) {
    return <SignInPage />;
  }
  return <SignedInApp baseUrl={baseUrl} />;
}

function rememberTenant(slug: string): void {
  try {
    window.localStorage.setItem(LAST_TENANT_KEY, slug);
  } catch {
    // Without storage the console starts on the first tenant next time.
  }
}

function lastTenant(tenants: readonly Tenant[]): Tenant | undefined {
  let remembered: string | null = null;
  try {
    remembered = window.localStorage.getItem(LAST_TENANT_KEY);
  } catch {
    remembered = null;
  }
  return tenants.find((tenant) => tenant.slug === remembered) ?? tenants[0];
}

function SignedInApp({ baseUrl }: { baseUrl: string }) {
  const { pathname } = useLocation();
  const profile = useProfile();
  const tenants = useTenants();
  const tenantList = tenants.data?.items ?? [];

  const ticket = matchPath("/invitations/:ticket", pathname)?.ticket;
  const tenantRoute = matchPath("/tenants/:tenant/:section", pathname);
  const routeTenant = tenantRoute?.tenant === "new" ? undefined : tenantRoute?.tenant;
  const currentTenant = routeTenant ?? (tenants.isSuccess ? lastTenant(tenantList)?.slug : undefined);
  const currentName = tenantList.find((tenant) => tenant.slug === currentTenant || tenant.id === currentTenant)?.displayName;

  useEffect(() => {
    if (routeTenant !== undefined) {
      rememberTenant(routeTenant);
    }
  }, [routeTenant]);

  // "/" opens the last tenant's members, or the create form when the caller has no tenant yet.
  useEffect(() => {
    if (pathname === "/" && tenants.isSuccess) {
      const target = lastTenant(tenantList);
      navigate(target === undefined ? "/tenants/new" : `/tenants/${encodeURIComponent(target.slug)}/members`, { replace: true });
    }
  }, [pathname, tenants.isSuccess, tenantList]);

  const section = tenantRoute?.section;
  const tenantPath = (part: string): string => `/tenants/${encodeURIComponent(currentTenant ?? "")}/${part}`;

  let content;
  if (ticket !== undefined) {
    content = <AcceptInvitationPage ticket={ticket} />;
  } else if (pathname === "/profile") {
    content = <ProfilePage tenant={currentTenant} baseUrl={baseUrl} />;
  } else if (pathname === "/tenants/new") {
    content = (
      <section>
        <h1>New tenant</h1>
        {tenants.isSuccess && tenantList.length === 0 ? (
          <p>You are not a member of any tenant yet. Create one, or accept an invitation above.</p>
        ) : null}
        <CreateTenantForm onCreated={(tenant) => navigate(`/tenants/${encodeURIComponent(tenant.slug)}/members`)} />
      </section>
    );
  } else if (routeTenant !== undefined && section === "members") {
    content = <MembersPage key={routeTenant} tenant={routeTenant} tenantName={currentName ?? routeTenant} />;
  } else if (routeTenant !== undefined && section === "operations") {
    content = <OperationsPage key={routeTenant} tenant={routeTenant} tenantName={currentName ?? routeTenant} baseUrl={baseUrl} />;
  } else if (pathname === "/") {
    content = tenants.error === null ? <p>Loading your tenants…</p> : <ProblemAlert problem={toProblemView(tenants.error)} />;
  } else {
    content = (
      <section>
        <h1>Page not found</h1>
        <p>
          The console has no page at <code>{pathname}</code>. <Link to="/">Go to the start page</Link>.
        </p>
      </section>
    );
  }

  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="top-bar">
        <Link to="/" className="brand">
          Fruxon console
        </Link>
        {tenants.isSuccess ? (
          <TenantSwitcher
            tenants={tenantList}
            current={currentTenant}
            onSelect={(slug) => navigate(slug === "__new" ? "/tenants/new" : `/tenants/${encodeURIComponent(slug)}/${section === "operations" ? "operations" : "members"}`)}
          />
        ) : null}
        <nav aria-label="Main">
          <ul>
            {currentTenant === undefined ? null : (
              <>
                <li>
                  <Link to={tenantPath("members")} aria-current={section === "members" ? "page" : undefined}>
                    Members
                  </Link>
                </li>
                <li>
                  <Link to={tenantPath("operations")} aria-current={section === "operations" ? "page" : undefined}>
                    Operations
                  </Link>
                </li>
              </>
            )}
            <li>
              <Link to="/profile" aria-current={pathname === "/profile" ? "page" : undefined}>
                Profile
              </Link>
            </li>
          </ul>
        </nav>
        <div className="who">
          <span data-testid="signed-in-as">{profile.data?.email ?? "…"}</span>
          <button type="button" onClick={() => signOut()}>
            Sign out
          </button>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <PendingInvitationsBanner />
        {profile.error === null ? null : <ProblemAlert problem={toProblemView(profile.error)} />}
        {content}
      </main>
    </>
  );
}
