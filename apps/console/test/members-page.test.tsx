import { screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { MembersPage } from "../src/members/members-page.js";
import { json, on, problem, renderWithApi, routedFetch, type Route } from "./api-harness.js";
import { ana, anaProfile, ben, userList } from "./fixtures.js";

const USERS = "/v1/tenants/acme/users";

function baseRoutes(): Route[] {
  return [
    on("GET", "/v1/users/me", () => json(anaProfile)),
    on("GET", USERS, (request) => {
      if (request.search.get("q") === "ana@example.com") {
        return json(userList([ana]));
      }
      if (request.search.get("pageToken") === "page-2") {
        return json({ items: [ben], totalCount: 2 });
      }
      return json({ ...userList([ana]), totalCount: 2, nextPageToken: "page-2" });
    }),
  ];
}

describe("MembersPage", () => {
  it("rows with badges and paging", async () => {
    const api = routedFetch(baseRoutes());
    renderWithApi(<MembersPage tenant="acme" tenantName="Acme Corporation" />, api.fetch);
    const user = userEvent.setup();

    const firstRow = (await screen.findAllByTestId("member-row"))[0];
    expect(firstRow?.textContent).toContain("Ana Diaz");
    expect(within(firstRow as HTMLElement).getByText("ACTIVE").className).toContain("badge-active");
    expect(within(firstRow as HTMLElement).getByText("ADMIN").className).toContain("badge-admin");
    expect(screen.getByRole("table").querySelector("caption")?.textContent).toBe("2 members, page 1");

    await user.click(screen.getByRole("button", { name: "Next page" }));

    await waitFor(() => expect(screen.getAllByTestId("member-row")[0]?.textContent).toContain("ben@example.com"));
    expect(screen.getByText("INVITED")).toBeTruthy();
    const pageRequest = api.requests.find((request) => request.search.get("pageToken") === "page-2");
    expect(pageRequest?.search.get("pageSize")).toBe("25");
    expect((screen.getByRole("button", { name: "Next page" }) as HTMLButtonElement).disabled).toBe(true);
  });

  it("filters sent as query parameters", async () => {
    const api = routedFetch(baseRoutes());
    renderWithApi(<MembersPage tenant="acme" tenantName="Acme Corporation" />, api.fetch);
    const user = userEvent.setup();
    await screen.findAllByTestId("member-row");
    await user.click(screen.getByRole("button", { name: "Next page" }));
    await waitFor(() => expect(screen.getAllByTestId("member-row")[0]?.textContent).toContain("ben@example.com"));

    await user.selectOptions(screen.getByLabelText("Status"), "INVITED");
    await user.selectOptions(screen.getByLabelText("Role"), "MEMBER");
    await user.type(screen.getByLabelText("Search"), "be");

    await waitFor(() =>
      expect(api.requests.some((request) => request.path === USERS && request.search.get("q") === "be")).toBe(true),
    );
    const filtered = api.requests.filter((request) => request.path === USERS && request.search.get("q") === "be");
    expect(filtered.at(-1)?.search.get("status")).toBe("INVITED");
    expect(filtered.at(-1)?.search.get("role")).toBe("MEMBER");
    expect(filtered.at(-1)?.search.has("pageToken")).toBe(false);
    // a page token belongs to the filters it came with, so none is sent with other filters
    const mixed = api.requests.filter((request) => request.search.has("pageToken") && request.search.has("status"));
    expect(mixed).toEqual([]);
    expect(screen.getByRole("table").querySelector("caption")?.textContent).toContain("page 1");
  });

  it("last admin demotion shows the 409", async () => {
    const api = routedFetch([
      // like the server, the problem echoes the request id that the client sent
      on("PATCH", `${USERS}/${ana.id}`, (request) =>
        problem({
          status: 409,
          code: "LAST_ADMIN",
          title: "Last admin",
          detail: "The tenant must keep at least one ACTIVE admin; make another member ADMIN first.",
          requestId: request.headers.get("x-request-id") ?? "none sent",
        }),
      ),
      ...baseRoutes(),
    ]);
    renderWithApi(<MembersPage tenant="acme" tenantName="Acme Corporation" />, api.fetch);
    const user = userEvent.setup();
    await screen.findAllByTestId("member-row");

    await user.selectOptions(screen.getByLabelText("Role of Ana Diaz"), "MEMBER");
    const dialog = await screen.findByRole("dialog", { name: "Change role" });
    await user.click(within(dialog).getByRole("button", { name: "Make member" }));

    const alert = await within(dialog).findByRole("alert");
    expect(alert.textContent).toContain("Last admin");
    expect(alert.textContent).toContain("The tenant must keep at least one ACTIVE admin");
    const patch = api.requests.find((request) => request.method === "PATCH");
    const requestId = patch?.headers.get("x-request-id");
    expect(requestId).toBeTruthy();
    expect(alert.textContent).toContain(`Request id: ${requestId}`);
    expect(patch?.body).toEqual({ role: "MEMBER" });
    // the dialog stays open and the row keeps the role the server still has
    expect(screen.getByRole("dialog")).toBeTruthy();
    expect((screen.getByLabelText("Role of Ana Diaz") as HTMLSelectElement).value).toBe("ADMIN");
  });

  it("remove confirmed then list refreshed", async () => {
    let removed = false;
    const api = routedFetch([
      on("DELETE", `${USERS}/${ana.id}`, () => {
        removed = true;
        return new Response(null, { status: 204 });
      }),
      ...baseRoutes(),
    ]);
    renderWithApi(<MembersPage tenant="acme" tenantName="Acme Corporation" />, api.fetch);
    const user = userEvent.setup();
    await screen.findAllByTestId("member-row");
    const listCalls = (): number => api.requests.filter((request) => request.path === USERS && !request.search.has("q")).length;
    const before = listCalls();

    await user.click(screen.getByRole("button", { name: "Remove Ana Diaz" }));
    const dialog = await screen.findByRole("dialog", { name: "Remove member" });
    await user.click(within(dialog).getByRole("button", { name: "Remove member" }));

    await waitFor(() => expect(screen.queryByRole("dialog")).toBeNull());
    expect(removed).toBe(true);
    expect(screen.getByRole("status").textContent).toBe("Ana Diaz was removed.");
    await waitFor(() => expect(listCalls()).toBeGreaterThan(before));
  });

  it("member role hides admin actions", async () => {
    const api = routedFetch([
      on("GET", USERS, (request) =>
        request.search.get("q") === "ana@example.com"
          ? json(userList([{ ...ana, role: "MEMBER" }]))
          : json(userList([{ ...ana, role: "MEMBER" }, ben])),
      ),
      ...baseRoutes(),
    ]);
    renderWithApi(<MembersPage tenant="acme" tenantName="Acme Corporation" />, api.fetch);

    await screen.findAllByTestId("member-row");

    await waitFor(() => expect(screen.queryByRole("button", { name: "Invite members" })).toBeNull());
    expect(screen.queryByLabelText("Role of Ana Diaz")).toBeNull();
  });
});
