import { useEffect, useState } from "react";

import type { AssignableRole, User, UserStatus } from "@fruxon/api-types";

import { toProblemView } from "../api/problem.js";
import { useMyMembership, useProfile, useUsersPage, type UserFilters } from "../api/queries.js";
import { Badge } from "../components/badge.js";
import { displayName, formatTimestamp } from "../components/format.js";
import { ProblemAlert } from "../components/problem-alert.js";
import { InviteDialog } from "./invite-dialog.js";
import { ChangeRoleDialog, RemoveMemberDialog } from "./member-dialogs.js";

const SEARCH_DEBOUNCE_MS = 300;
export const MEMBERS_RENDERED_MARK = "fruxon:members-rendered";

type Pending = { kind: "role"; user: User; role: AssignableRole } | { kind: "remove"; user: User } | { kind: "invite" };

export function MembersPage({ tenant, tenantName }: { tenant: string; tenantName: string }) {
  const [search, setSearch] = useState("");
  const [filters, setFilters] = useState<UserFilters>({ q: "", status: "", role: "" });
  // Page tokens from the first page to the current one, so "Previous" can go back. They belong to one
  // set of filters, so a filter change starts again from the first page in the same render.
  const filterKey = JSON.stringify(filters);
  const [paging, setPaging] = useState<{ filterKey: string; tokens: (string | undefined)[] }>({ filterKey, tokens: [undefined] });
  const tokens = paging.filterKey === filterKey ? paging.tokens : [undefined];
  const setTokens = (next: (string | undefined)[]): void => setPaging({ filterKey, tokens: next });
  const [pending, setPending] = useState<Pending | null>(null);
  const [notice, setNotice] = useState("");

  const pageToken = tokens[tokens.length - 1];
  const page = useUsersPage(tenant, filters, pageToken);
  const profile = useProfile();
  const membership = useMyMembership(tenant, profile.data?.email);
  // Until the caller's role is known, the actions show and the server decides (403 for a MEMBER).
  const canManage = membership.data?.role !== "MEMBER";

  useEffect(() => {
    const timer = window.setTimeout(() => {
      setFilters((current) => (current.q === search ? current : { ...current, q: search }));
    }, SEARCH_DEBOUNCE_MS);
    return () => window.clearTimeout(timer);
  }, [search]);

  const items = page.data?.items ?? [];
  const total = page.data?.totalCount;

  // A performance mark for bench/first-render.mjs: the first time member rows are on screen.
  useEffect(() => {
    if (items.length > 0 && performance.getEntriesByName(MEMBERS_RENDERED_MARK).length === 0) {
      performance.mark(MEMBERS_RENDERED_MARK, { detail: { rows: items.length } });
    }
  }, [items.length]);

  return (
    <section aria-labelledby="members-heading">
      <div className="page-header">
        <h1 id="members-heading">Members of {tenantName}</h1>
        {canManage ? (
          <button type="button" className="primary" onClick={() => setPending({ kind: "invite" })}>
            Invite members
          </button>
        ) : null}
      </div>

      <form className="filters" role="search" aria-label="Filter members" onSubmit={(event) => event.preventDefault()}>
        <div className="field">
          <label htmlFor="member-search">Search</label>
          <input
            id="member-search"
            type="search"
            placeholder="Name or email"
            value={search}
            onChange={(event) => setSearch(event.target.value)}
          />
        </div>
        <div className="field">
          <label htmlFor="member-status">Status</label>
          <select
            id="member-status"
            value={filters.status}
            onChange={(event) => setFilters({ ...filters, status: event.target.value as UserStatus | "" })}
          >
            <option value="">All</option>
            <option value="ACTIVE">Active</option>
            <option value="INVITED">Invited</option>
          </select>
        </div>
        <div className="field">
          <label htmlFor="member-role">Role</label>
          <select
            id="member-role"
            value={filters.role}
            onChange={(event) => setFilters({ ...filters, role: event.target.value as AssignableRole | "" })}
          >
            <option value="">All</option>
            <option value="ADMIN">Admin</option>
            <option value="MEMBER">Member</option>
          </select>
        </div>
      </form>

      <p role="status" className="notice">
        {notice}
      </p>
      {page.error === null ? null : <ProblemAlert problem={toProblemView(page.error)} />}

      <table className="members responsive" aria-busy={page.isFetching}>
        <caption>
          {total === undefined ? "Loading members…" : `${total} ${total === 1 ? "member" : "members"}, page ${tokens.length}`}
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Email</th>
            <th scope="col">Status</th>
            <th scope="col">Role</th>
            <th scope="col">Since</th>
            {canManage ? <th scope="col">Actions</th> : null}
          </tr>
        </thead>
        <tbody>
          {items.map((user) => (
            <tr key={user.id} data-testid="member-row">
              <td data-label="Name">{displayName(user)}</td>
              <td data-label="Email">{user.email}</td>
              <td data-label="Status">
                <Badge value={user.status} />
              </td>
              <td data-label="Role">
                <Badge value={user.role} />
              </td>
              <td data-label="Since">{formatTimestamp(user.createdAt)}</td>
              {canManage ? (
                <td data-label="Actions" className="row-actions">
                  <label className="visually-hidden" htmlFor={`role-${user.id}`}>
                    Role of {displayName(user)}
                  </label>
                  <select
                    id={`role-${user.id}`}
                    value={user.role}
                    onChange={(event) => {
                      const role = event.target.value as AssignableRole;
                      if (role !== user.role) {
                        setPending({ kind: "role", user, role });
                      }
                    }}
                  >
                    <option value="ADMIN">Admin</option>
                    <option value="MEMBER">Member</option>
                  </select>
                  <button type="button" className="danger" onClick={() => setPending({ kind: "remove", user })}>
                    {user.status === "INVITED" ? "Withdraw" : "Remove"}
                    <span className="visually-hidden"> {displayName(user)}</span>
                  </button>
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
      {page.isSuccess && items.length === 0 ? <p>No members match these filters.</p> : null}

      <nav className="pagination" aria-label="Members pages">
        <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous page
        </button>
        <button
          type="button"
          disabled={page.data?.nextPageToken === undefined || page.isPlaceholderData}
          onClick={() => setTokens([...tokens, page.data?.nextPageToken])}
        >
          Next page
        </button>
      </nav>

      {pending?.kind === "invite" ? (
        <InviteDialog
          tenant={tenant}
          onClose={() => setPending(null)}
          onInvited={(invitation) => {
            setPending(null);
            setNotice(`Invitation sent to ${invitation.userEmail}; it expires ${formatTimestamp(invitation.expiresAt)}.`);
          }}
        />
      ) : null}
      {pending?.kind === "role" ? (
        <ChangeRoleDialog
          tenant={tenant}
          user={pending.user}
          role={pending.role}
          onClose={() => setPending(null)}
          onChanged={(user) => {
            setPending(null);
            setNotice(`${displayName(user)} is now ${user.role}.`);
          }}
        />
      ) : null}
      {pending?.kind === "remove" ? (
        <RemoveMemberDialog
          tenant={tenant}
          user={pending.user}
          onClose={() => setPending(null)}
          onRemoved={(user) => {
            setPending(null);
            setNotice(`${displayName(user)} was removed.`);
          }}
        />
      ) : null}
    </section>
  );
}
