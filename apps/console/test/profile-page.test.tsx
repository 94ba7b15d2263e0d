import { screen, waitFor } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import { ProfilePage } from "../src/profile/profile-page.js";
import { BASE_URL, descriptionOf, json, on, problem, renderWithApi, routedFetch } from "./api-harness.js";
import { anaProfile } from "./fixtures.js";

const FILE_ID = "0b6f2c1e-9a4d-4f51-8a1f-2c7e5d3b9a01";

describe("ProfilePage", () => {
  it("name errors next to their fields", async () => {
    const api = routedFetch([
      on("GET", "/v1/users/me", () => json(anaProfile)),
      on("PATCH", "/v1/users/me", () =>
        problem({
          status: 400,
          code: "VALIDATION_FAILED",
          title: "Invalid request",
          detail: "1 field of the request is invalid.",
          errors: [{ pointer: "/body/lastName", detail: "must be at most 100 characters" }],
        }),
      ),
    ]);
    renderWithApi(<ProfilePage tenant="acme" baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();

    const firstName = await screen.findByLabelText("First name");
    expect((firstName as HTMLInputElement).value).toBe("Ana");
    await user.clear(firstName);
    await user.click(screen.getByRole("button", { name: "Save name" }));

    await screen.findByRole("alert");
    expect(descriptionOf(screen.getByLabelText("Last name"))).toBe("must be at most 100 characters");
    expect(descriptionOf(screen.getByLabelText("First name"))).toBe("");
    // an emptied field clears the name with null
    expect(api.requests.find((request) => request.method === "PATCH")?.body).toEqual({ firstName: null, lastName: "Diaz" });
  });

  it("avatar uploaded then set", async () => {
    const api = routedFetch([
      on("GET", "/v1/users/me", () => json(anaProfile)),
      on("POST", "/v1/tenants/acme/storage", () =>
        json({ fileId: FILE_ID, fileType: "image/png", sizeBytes: 4, createdAt: 1764806400000 }, 201),
      ),
      on("PATCH", "/v1/users/me", () => json({ ...anaProfile, avatarFileId: FILE_ID })),
    ]);
    renderWithApi(<ProfilePage tenant="acme" baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();

    await user.upload(await screen.findByLabelText("Image file"), new File([new Uint8Array([137, 80, 78, 71])], "me.png", { type: "image/png" }));
    await user.click(screen.getByRole("button", { name: "Upload avatar" }));

    const image = await screen.findByRole("img", { name: "Your current avatar" });
    expect(image.getAttribute("src")).toBe(`${BASE_URL}/v1/tenants/acme/storage/${FILE_ID}`);
    const upload = api.requests.find((request) => request.method === "POST");
    expect(upload?.headers.get("content-type")).toMatch(/^multipart\/form-data; boundary=/);
    expect(String(upload?.body)).toContain('filename="me.png"');
    await waitFor(() =>
      expect(api.requests.find((request) => request.method === "PATCH")?.body).toEqual({ avatarFileId: FILE_ID }),
    );
  });

  it("avatar needs a tenant", async () => {
    const api = routedFetch([on("GET", "/v1/users/me", () => json(anaProfile))]);
    renderWithApi(<ProfilePage tenant={undefined} baseUrl={BASE_URL} />, api.fetch);

    const input = (await screen.findByLabelText("Image file")) as HTMLInputElement;

    expect(input.disabled).toBe(true);
    expect(descriptionOf(input)).toContain("Create or join a tenant first");
  });
});
