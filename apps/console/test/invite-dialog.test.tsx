import { screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { InviteDialog } from "../src/members/invite-dialog.js";
import { descriptionOf, json, on, problem, renderWithApi, routedFetch } from "./api-harness.js";
import { batchOperation } from "./fixtures.js";

const INVITE = "/v1/tenants/acme/users:invite";
const BATCH = "/v1/tenants/acme/users:batchInvite";

describe("InviteDialog one person", () => {
  it("email error next to the email field", async () => {
    const api = routedFetch([
      on("POST", INVITE, () =>
        problem({
          status: 400,
          code: "VALIDATION_FAILED",
          title: "Invalid request",
          detail: "1 field of the request is invalid.",
          errors: [{ pointer: "/body/email", detail: "must be a valid email address" }],
        }),
      ),
    ]);
    renderWithApi(<InviteDialog tenant="acme" onClose={() => {}} onInvited={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Email address"), "not-an-email");
    await user.click(screen.getByRole("button", { name: "Send invitation" }));

    await screen.findByRole("alert");
    const email = screen.getByLabelText("Email address");
    expect(email.getAttribute("aria-invalid")).toBe("true");
    expect(descriptionOf(email)).toBe("must be a valid email address");
    expect(descriptionOf(screen.getByLabelText("Role"))).toBe("");
    expect(api.requests[0]?.body).toEqual({ email: "not-an-email", role: "MEMBER" });
  });

  it("already a member shows the problem", async () => {
    const api = routedFetch([
      on("POST", INVITE, () =>
        problem({ status: 400, code: "ALREADY_MEMBER", title: "Already a member", detail: "ana@example.com is already an ACTIVE member of acme." }),
      ),
    ]);
    renderWithApi(<InviteDialog tenant="acme" onClose={() => {}} onInvited={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Email address"), "ana@example.com");
    await user.selectOptions(screen.getByLabelText("Role"), "ADMIN");
    await user.click(screen.getByRole("button", { name: "Send invitation" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Already a member");
    expect(alert.textContent).toContain("ana@example.com is already an ACTIVE member of acme.");
    expect(api.requests[0]?.body).toEqual({ email: "ana@example.com", role: "ADMIN" });
  });

  it("success reports the invitation", async () => {
    const invitation = {
      id: "9a8b7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d",
      userEmail: "ben@example.com",
      slug: "acme",
      displayName: "Acme Corporation",
      role: "MEMBER",
      expiresAt: 1765411200000,
    };
    const api = routedFetch([on("POST", INVITE, () => json(invitation))]);
    const onInvited = vi.fn();
    renderWithApi(<InviteDialog tenant="acme" onClose={() => {}} onInvited={onInvited} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Email address"), "  ben@example.com ");
    await user.keyboard("{Enter}");

    await waitFor(() => expect(onInvited).toHaveBeenCalledWith(invitation));
    expect(api.requests[0]?.body).toEqual({ email: "ben@example.com", role: "MEMBER" });
  });

  it("escape closes the dialog", async () => {
    const onClose = vi.fn();
    renderWithApi(<InviteDialog tenant="acme" onClose={onClose} onInvited={() => {}} />, routedFetch([]).fetch);
    const user = userEvent.setup();

    expect(document.activeElement).toBe(screen.getByLabelText("One person"));
    await user.keyboard("{Escape}");

    expect(onClose).toHaveBeenCalledTimes(1);
  });
});

describe("InviteDialog list", () => {
  it("parse problems block sending", async () => {
    const api = routedFetch([]);
    renderWithApi(<InviteDialog tenant="acme" onClose={() => {}} onInvited={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.click(screen.getByLabelText("A list of people"));
    await user.type(screen.getByLabelText("Email addresses"), "ana@example.com{Enter}Ben Stone{Enter}cy@example");

    const textarea = screen.getByLabelText("Email addresses");
    expect(descriptionOf(textarea)).toContain("Line 2: the line has no email address");
    expect(descriptionOf(textarea)).toContain('Line 3: "cy@example" is not a valid email address');
    expect((screen.getByRole("button", { name: "Send invitations" }) as HTMLButtonElement).disabled).toBe(true);
    expect(api.requests).toHaveLength(0);
  });

  it("server field errors mapped to lines", async () => {
    const api = routedFetch([
      on("POST", BATCH, () =>
        problem({
          status: 400,
          code: "VALIDATION_FAILED",
          title: "Invalid request",
          detail: "1 field of the request is invalid.",
          errors: [{ pointer: "/body/invitations/1/email", detail: "must be a valid email address" }],
        }),
      ),
    ]);
    renderWithApi(<InviteDialog tenant="acme" onClose={() => {}} onInvited={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.click(screen.getByLabelText("A list of people"));
    await user.type(screen.getByLabelText("Email addresses"), "email,role{Enter}ana@example.com,ADMIN{Enter}ben@exa.mple.c,MEMBER");
    await user.click(screen.getByRole("button", { name: "Send invitations" }));

    await screen.findByRole("alert");
    expect(descriptionOf(screen.getByLabelText("Email addresses"))).toContain(
      "Line 3 (ben@exa.mple.c): must be a valid email address",
    );
    expect(api.requests[0]?.body).toEqual({
      invitations: [
        { email: "ana@example.com", role: "ADMIN" },
        { email: "ben@exa.mple.c", role: "MEMBER" },
      ],
    });
    expect(api.requests[0]?.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("progress polled until done", async () => {
    const states = [batchOperation("RUNNING", 1, 2), batchOperation("DONE", 2, 2)];
    const polls: number[] = [];
    const api = routedFetch([
      on("POST", BATCH, () => json(batchOperation("PENDING", 0, 2), 202)),
      on("GET", `/v1/tenants/acme/operations/${states[0]?.name ?? ""}`, () => {
        polls.push(Date.now());
        return json(states[Math.min(polls.length - 1, states.length - 1)]);
      }),
      on("GET", "/v1/tenants/acme/operations", () => json({ items: [], totalCount: 0 })),
    ]);
    renderWithApi(<InviteDialog tenant="acme" onClose={() => {}} onInvited={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.click(screen.getByLabelText("A list of people"));
    await user.type(screen.getByLabelText("Email addresses"), "ana@example.com{Enter}ben@example.com");
    await user.click(screen.getByRole("button", { name: "Send invitations" }));

    const dialog = screen.getByRole("dialog");
    await waitFor(() => expect(within(dialog).getByText("DONE")).toBeTruthy(), { timeout: 8_000 });
    expect(dialog.textContent).toContain("2 of 2 processed, 2 succeeded, 0 failed");
    expect(polls.length).toBeGreaterThanOrEqual(2);
    // The API allows at most one poll per second, less a little timer jitter.
    for (let index = 1; index < polls.length; index++) {
      expect((polls[index] ?? 0) - (polls[index - 1] ?? 0)).toBeGreaterThanOrEqual(950);
    }
  });
});
