import { screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { PendingInvitation } from "@fruxon/api-types";

import { PendingInvitationsBanner } from "../src/invitations/pending-invitations-banner.js";
import { json, on, problem, renderWithApi, routedFetch } from "./api-harness.js";

const TENANT_ID = "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10";
const acme: PendingInvitation = {
  tenantId: TENANT_ID,
  tenantSlug: "acme",
  tenantDisplayName: "Acme Corporation",
  role: "MEMBER",
  invitedAt: 1764979200000,
};

describe("PendingInvitationsBanner", () => {
  it("accept then banner hides", async () => {
    let pending = [acme];
    const api = routedFetch([
      on("POST", `/v1/me/pendingInvitations/${TENANT_ID}:accept`, () => {
        pending = [];
        return new Response(null, { status: 204 });
      }),
      on("GET", "/v1/me/pendingInvitations", () => json(pending)),
      on("GET", "/v1/tenants", () => json({ items: [], totalCount: 0 })),
    ]);
    renderWithApi(<PendingInvitationsBanner />, api.fetch);
    const user = userEvent.setup();

    expect((await screen.findByRole("heading", { name: "Pending invitations" })).textContent).toBe("Pending invitations");
    await user.click(screen.getByRole("button", { name: "Accept Acme Corporation" }));

    await waitFor(() => expect(screen.queryByRole("heading", { name: "Pending invitations" })).toBeNull());
    expect(api.requests.filter((request) => request.method === "POST").map((request) => request.path)).toEqual([
      `/v1/me/pendingInvitations/${TENANT_ID}:accept`,
    ]);
  });

  it("decline failure shows the problem", async () => {
    const api = routedFetch([
      on("POST", `/v1/me/pendingInvitations/${TENANT_ID}:decline`, () =>
        problem({ status: 404, code: "NOT_FOUND", title: "Not found", detail: "No pending invitation from this tenant." }),
      ),
      on("GET", "/v1/me/pendingInvitations", () => json([acme])),
    ]);
    renderWithApi(<PendingInvitationsBanner />, api.fetch);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Decline Acme Corporation" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Not found");
    expect(alert.textContent).toContain("No pending invitation from this tenant.");
  });
});
