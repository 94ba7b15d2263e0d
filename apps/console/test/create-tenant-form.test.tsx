import { screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";

import { CreateTenantForm, slugFrom } from "../src/tenants/create-tenant-form.js";
import { descriptionOf, json, on, problem, renderWithApi, routedFetch } from "./api-harness.js";

describe("CreateTenantForm", () => {
  it("field errors next to their fields", async () => {
    const api = routedFetch([
      on("POST", "/v1/tenants", () =>
        problem({
          status: 400,
          code: "VALIDATION_FAILED",
          title: "Invalid request",
          detail: "2 fields of the request are invalid.",
          errors: [
            { pointer: "/body/slug", detail: "must match the pattern of a slug: lower-case letters, digits, inner hyphens" },
            { pointer: "/body/displayName", detail: "must not be empty" },
            { pointer: "/query/unexpected", detail: "is not a known parameter" },
          ],
        }),
      ),
    ]);
    renderWithApi(<CreateTenantForm onCreated={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Slug"), "Bad Slug");
    await user.click(screen.getByRole("button", { name: "Create tenant" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Invalid request");
    expect(alert.textContent).toContain("2 fields of the request are invalid.");
    const slug = screen.getByLabelText("Slug");
    const displayName = screen.getByLabelText("Display name");
    expect(slug.getAttribute("aria-invalid")).toBe("true");
    expect(descriptionOf(slug)).toContain("must match the pattern of a slug");
    expect(descriptionOf(slug)).not.toContain("must not be empty");
    expect(displayName.getAttribute("aria-invalid")).toBe("true");
    expect(descriptionOf(displayName)).toContain("must not be empty");
    expect(descriptionOf(displayName)).not.toContain("pattern");
    // a pointer that names no field of the form is listed in the summary instead of being lost
    expect(alert.textContent).toContain("/query/unexpected");
    expect(alert.textContent).not.toContain("must not be empty");
  });

  it("slug taken shown at the slug", async () => {
    const api = routedFetch([
      on("POST", "/v1/tenants", () =>
        problem({ status: 409, code: "SLUG_TAKEN", title: "Slug taken", detail: 'Another tenant already uses the slug "acme".' }),
      ),
    ]);
    renderWithApi(<CreateTenantForm onCreated={() => {}} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Display name"), "Acme");
    await user.click(screen.getByRole("button", { name: "Create tenant" }));

    await screen.findByRole("alert");
    expect(descriptionOf(screen.getByLabelText("Slug"))).toContain('Another tenant already uses the slug "acme".');
  });

  it("sends the body and reports the tenant", async () => {
    const tenant = { id: "7d0c8d0e-4b7a-4c35-9a55-3f3d7f2a9b10", slug: "acme-corp", displayName: "Acme Corp", createdAt: 1, modifiedAt: 1 };
    const api = routedFetch([on("POST", "/v1/tenants", () => json(tenant, 201))]);
    const onCreated = vi.fn();
    renderWithApi(<CreateTenantForm onCreated={onCreated} />, api.fetch);
    const user = userEvent.setup();

    await user.type(screen.getByLabelText("Display name"), "Acme Corp");
    await user.click(screen.getByRole("button", { name: "Create tenant" }));

    await waitFor(() => expect(onCreated).toHaveBeenCalledWith(tenant));
    expect(api.requests[0]?.body).toEqual({ displayName: "Acme Corp", slug: "acme-corp" });
    expect(api.requests[0]?.headers.get("authorization")).toBe("Bearer test-token");
    expect(screen.queryByRole("alert")).toBeNull();
  });
});

describe("slugFrom", () => {
  it.each([
    ["Acme Corporation", "acme-corporation"],
    ["  Ünïcode Café  ", "unicode-cafe"],
    ["R&D -- Team 7!", "r-d-team-7"],
  ])("%s", (displayName, slug) => {
    expect(slugFrom(displayName)).toBe(slug);
  });
});
