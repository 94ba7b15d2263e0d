import { screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { App } from "../src/app.js";
import { normalizeToken } from "../src/auth/session.js";
import { BASE_URL, json, on, problem, renderWithApi, routedFetch } from "./api-harness.js";
import { ana, anaProfile, userList } from "./fixtures.js";

const tenant = { id: "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10", slug: "acme", displayName: "Acme Corporation", createdAt: 1, modifiedAt: 1 };

function consoleRoutes() {
  return [
    on("GET", "/v1/users/me", () => json(anaProfile)),
    on("GET", "/v1/tenants", () => json({ items: [tenant], totalCount: 1 })),
    on("GET", "/v1/me/pendingInvitations", () => json([])),
    on("GET", "/v1/tenants/acme/users", () => json(userList([ana]))),
  ];
}

describe("App", () => {
  it("sign in, members, sign out", async () => {
    window.history.replaceState(null, "", "/");
    const api = routedFetch(consoleRoutes());
    renderWithApi(<App baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Access token"), "  Bearer abc.def.ghi ");
    await user.click(screen.getByRole("button", { name: "Sign in" }));

    expect(await screen.findByRole("heading", { name: "Members of Acme Corporation" })).toBeTruthy();
    expect(window.location.pathname).toBe("/tenants/acme/members");
    expect(window.sessionStorage.getItem("fruxon.console.token")).toBe("abc.def.ghi");
    await waitFor(() => expect(screen.getByTestId("signed-in-as").textContent).toBe("ana@example.com"));
    expect(api.requests.every((request) => request.headers.get("authorization") === "Bearer test-token")).toBe(true);

    await user.click(screen.getByRole("button", { name: "Sign out" }));

    expect(screen.getByLabelText("Access token")).toBeTruthy();
    expect(window.sessionStorage.getItem("fruxon.console.token")).toBeNull();
  });

  it("401 returns to sign-in with the reason", async () => {
    window.history.replaceState(null, "", "/profile");
    window.sessionStorage.setItem("fruxon.console.token", "expired");
    const api = routedFetch([
      on("GET", "/v1/users/me", () =>
        problem({ status: 401, code: "UNAUTHENTICATED", title: "Unauthenticated", detail: "The bearer token has expired." }),
      ),
      ...consoleRoutes(),
    ]);
    renderWithApi(<App baseUrl={BASE_URL} />, api.fetch);

    const alert = await screen.findByRole("alert");

    expect(alert.textContent).toContain("You were signed out.");
    expect(alert.textContent).toContain("The bearer token has expired.");
    expect(window.sessionStorage.getItem("fruxon.console.token")).toBeNull();
  });

  it("invitation link accepts the ticket", async () => {
    window.history.replaceState(null, "", "/invitations/q3Jx0bW9yZS1yYW5kb20");
    window.sessionStorage.setItem("fruxon.console.token", "ben-token");
    const api = routedFetch([
      on("POST", "/v1/invitations/q3Jx0bW9yZS1yYW5kb20", () => new Response(null, { status: 204 })),
      ...consoleRoutes(),
    ]);
    renderWithApi(<App baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Accept invitation" }));

    expect(await screen.findByRole("heading", { name: "Invitation accepted" })).toBeTruthy();
    expect(api.requests.filter((request) => request.method === "POST")).toHaveLength(1);
  });

  it("invitation for another email shows 403", async () => {
    window.history.replaceState(null, "", "/invitations/other");
    window.sessionStorage.setItem("fruxon.console.token", "ben-token");
    const api = routedFetch([
      on("POST", "/v1/invitations/other", () =>
        problem({ status: 403, code: "EMAIL_MISMATCH", title: "Email mismatch", detail: "The invitation was sent to another email address." }),
      ),
      ...consoleRoutes(),
    ]);
    renderWithApi(<App baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Accept invitation" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Email mismatch");
    expect(alert.textContent).toContain("The invitation was sent to another email address.");
  });
});

describe("normalizeToken", () => {
  it.each([
    ["abc", "abc"],
    ["  abc\n", "abc"],
    ["Bearer abc", "abc"],
    ["bearer   abc ", "abc"],
  ])("%j", (raw, token) => {
    expect(normalizeToken(raw)).toBe(token);
  });
});
