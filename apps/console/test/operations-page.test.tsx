import { screen, waitFor, within } from "@testing-library/react";
import { userEvent } from "@testing-library/user-event";
import { describe, expect, it } from "vitest";

import type { Operation } from "@fruxon/api-types";

import { OperationsPage } from "../src/operations/operations-page.js";
import { BASE_URL, json, on, problem, renderWithApi, routedFetch } from "./api-harness.js";
import { batchOperation } from "./fixtures.js";

const OPERATIONS = "/v1/tenants/acme/operations";
const FILE_ID = "0b6f2c1e-9a4d-4f51-8a1f-2c7e5d3b9a01";

const exportDone: Operation = {
  name: "6d2f8b3c-9a4e-4b7d-8c1f-2e3a4b5c6d7e",
  type: "EXPORT_USERS",
  status: "DONE",
  resourceName: FILE_ID,
  resourceType: "FILE",
  createdAt: 1764806400000,
  startedAt: 1764806400500,
  completedAt: 1764806402000,
  metadata: { total: 42, processed: 42, succeeded: 42, failed: 0 },
};

describe("OperationsPage", () => {
  it("download link for a finished export", async () => {
    const api = routedFetch([on("GET", OPERATIONS, () => json({ items: [exportDone], totalCount: 1 }))]);
    renderWithApi(<OperationsPage tenant="acme" tenantName="Acme" baseUrl={BASE_URL} />, api.fetch);

    const row = await screen.findByTestId("operation-row");

    const link = within(row).getByRole("link", { name: "Download CSV" });
    expect(link.getAttribute("href")).toBe(`${BASE_URL}/v1/tenants/acme/storage/${FILE_ID}`);
    expect(link.getAttribute("download")).toBe("acme-members.csv");
    expect(within(row).queryByRole("button", { name: "Cancel" })).toBeNull();
  });

  it("polls while running, stops when done", async () => {
    const states = [batchOperation("RUNNING", 1, 3), batchOperation("DONE", 3, 3)];
    let calls = 0;
    const api = routedFetch([
      on("GET", OPERATIONS, () => {
        calls += 1;
        return json({ items: [states[Math.min(calls - 1, states.length - 1)]], totalCount: 1 });
      }),
    ]);
    renderWithApi(<OperationsPage tenant="acme" tenantName="Acme" baseUrl={BASE_URL} />, api.fetch);

    const row = await screen.findByTestId("operation-row");
    expect(row.textContent).toContain("RUNNING");
    expect(row.textContent).toContain("1 / 3");

    await waitFor(() => expect(screen.getByTestId("operation-row").textContent).toContain("DONE"), { timeout: 5_000 });
    const callsWhenDone = calls;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(calls).toBe(callsWhenDone);
  });

  it("cancel of a finished operation shows the 409", async () => {
    const running = batchOperation("RUNNING", 1, 3);
    const api = routedFetch([
      on("POST", `${OPERATIONS}/${running.name}:cancel`, () =>
        problem({ status: 409, code: "OPERATION_FINISHED", title: "Operation finished", detail: "The operation is already DONE." }),
      ),
      on("GET", OPERATIONS, () => json({ items: [running], totalCount: 1 })),
    ]);
    renderWithApi(<OperationsPage tenant="acme" tenantName="Acme" baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();

    await user.click(await screen.findByRole("button", { name: "Cancel" }));

    const alert = await screen.findByRole("alert");
    expect(alert.textContent).toContain("Operation finished");
    expect(alert.textContent).toContain("The operation is already DONE.");
  });

  it("export starts an operation", async () => {
    let listed: Operation[] = [];
    const api = routedFetch([
      on("POST", "/v1/tenants/acme/users:export", () => {
        listed = [exportDone];
        return json({ ...exportDone, status: "PENDING" }, 202);
      }),
      on("GET", OPERATIONS, () => json({ items: listed, totalCount: listed.length })),
    ]);
    renderWithApi(<OperationsPage tenant="acme" tenantName="Acme" baseUrl={BASE_URL} />, api.fetch);
    const user = userEvent.setup();
    await screen.findByText("No operations yet.");

    await user.click(screen.getByRole("button", { name: "Export CSV" }));

    await screen.findByTestId("operation-row");
    const exportRequest = api.requests.find((request) => request.method === "POST");
    expect(exportRequest?.headers.get("idempotency-key")).toMatch(/^[0-9a-f-]{36}$/);
  });
});
