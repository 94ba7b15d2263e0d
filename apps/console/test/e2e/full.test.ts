// @vitest-environment node
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";

import { ensureBuilt, findFreePort, launchChromium, saveScreenshot, signInWithToken, watchPageErrors } from "./harness.js";
import { serverUnavailableReason, startServer, waitForInvitationLink, type RunningServer } from "./server-process.js";

const unavailable = await serverUnavailableReason();
if (unavailable !== null) {
  console.warn(`Skipping the console's end-to-end tests against the real server: ${unavailable}`);
}

const ADMIN = "admin@example.com";
const INVITEE = "invitee@example.com";
const TENANT_SLUG = "e2e-corp";

// The built console served by the real server (SQLite in a temporary DATA_DIR), driven as two users.
describe.skipIf(unavailable !== null)("console against the real server", () => {
  let server: RunningServer;
  let dataDir: string;
  let browser: Browser;
  let adminContext: BrowserContext;
  let admin: Page;
  let inviteeContext: BrowserContext;
  let invitee: Page;
  let adminErrors: string[];
  let inviteeErrors: string[];

  beforeAll(async () => {
    ensureBuilt();
    dataDir = await mkdtemp(join(tmpdir(), "fruxon-console-e2e-"));
    [server, browser] = await Promise.all([startServer({ port: await findFreePort(), dataDir }), launchChromium()]);
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
    inviteeContext = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    admin = await adminContext.newPage();
    invitee = await inviteeContext.newPage();
    adminErrors = watchPageErrors(admin);
    inviteeErrors = watchPageErrors(invitee);
  });

  afterAll(async () => {
    await adminContext?.close();
    await inviteeContext?.close();
    await browser?.close();
    await server?.stop();
    if (dataDir !== undefined) {
      await rm(dataDir, { recursive: true, force: true });
    }
  });

  it("admin creates a tenant", async () => {
    await signInWithToken(admin, server.url, await server.token(ADMIN));

    await admin.getByRole("heading", { name: "New tenant" }).waitFor();
    await admin.getByLabel("Display name").fill("E2E Corp");
    expect(await admin.getByLabel("Slug").inputValue()).toBe(TENANT_SLUG);
    await admin.getByRole("button", { name: "Create tenant" }).click();

    await admin.getByRole("heading", { name: "Members of E2E Corp" }).waitFor();
    const row = admin.getByTestId("member-row").first();
    await row.waitFor();
    expect(await row.textContent()).toContain(ADMIN);
    expect(await row.textContent()).toContain("ADMIN");
  });

  it("invitee accepts the emailed link", async () => {
    await admin.getByRole("button", { name: "Invite members" }).click();
    const dialog = admin.getByRole("dialog", { name: "Invite members" });
    await dialog.getByLabel("Email address").fill(INVITEE);
    await dialog.getByRole("button", { name: "Send invitation" }).click();
    await admin.getByText(`Invitation sent to ${INVITEE}`).waitFor();

    const link = await waitForInvitationLink(dataDir, INVITEE);
    expect(link.startsWith(`${server.url}/invitations/`)).toBe(true);
    await signInWithToken(invitee, server.url, await server.token(INVITEE), new URL(link).pathname);
    await invitee.getByRole("button", { name: "Accept invitation" }).click();

    await invitee.getByRole("heading", { name: "Invitation accepted" }).waitFor();
    await invitee.getByRole("link", { name: "Go to the console" }).click();
    await invitee.getByRole("heading", { name: "Members of E2E Corp" }).waitFor();
  });

  it("admin sees the member active", async () => {
    await admin.reload();

    const row = admin.getByTestId("member-row").filter({ hasText: INVITEE });
    await row.getByText("ACTIVE").waitFor();
    expect(await row.textContent()).toContain("MEMBER");
  });

  it("demoting the last admin shows the 409", async () => {
    await admin.getByLabel("Role of admin@example.com").selectOption("MEMBER");
    const dialog = admin.getByRole("dialog", { name: "Change role" });
    await dialog.getByRole("button", { name: "Make member" }).click();

    const alert = dialog.getByRole("alert");
    await alert.waitFor();
    const text = (await alert.textContent()) ?? "";
    expect(text).toContain("Last admin");
    expect(text).toContain("last ACTIVE admin");
    await saveScreenshot(admin, "last-admin-409");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await admin.getByLabel("Role of admin@example.com").inputValue()).toBe("ADMIN");
  });

  it("admin changes the invitee's role", async () => {
    await admin.getByLabel(`Role of ${INVITEE}`).selectOption("ADMIN");
    await admin.getByRole("dialog", { name: "Change role" }).getByRole("button", { name: "Make admin" }).click();

    await admin.getByText(`${INVITEE} is now ADMIN.`).waitFor();
    const row = admin.getByTestId("member-row").filter({ hasText: INVITEE });
    await row.locator(".badge-admin").waitFor();
  });

  it("batch invite runs to DONE", async () => {
    await admin.getByRole("button", { name: "Invite members" }).click();
    const dialog = admin.getByRole("dialog", { name: "Invite members" });
    await dialog.getByLabel("A list of people").check();
    await dialog.getByLabel("Email addresses").fill("email,role\nbatch1@example.com,MEMBER\nbatch2@example.com,ADMIN\nBatch Three <batch3@example.com>");
    await dialog.getByRole("button", { name: "Send invitations" }).click();

    await dialog.locator(".badge-done").waitFor({ timeout: 20_000 });
    expect(await dialog.textContent()).toContain("3 of 3 processed, 3 succeeded, 0 failed");
    await dialog.getByRole("button", { name: "Close" }).first().click();
    await admin.getByTestId("member-row").filter({ hasText: "batch2@example.com" }).waitFor();
  });

  it("export downloads a CSV", async () => {
    await admin.getByRole("link", { name: "Operations" }).click();
    await admin.getByRole("heading", { name: "Operations of E2E Corp" }).waitFor();
    await admin.getByRole("button", { name: "Export CSV" }).click();

    const link = admin.getByTestId("operation-row").filter({ hasText: "Members export" }).getByRole("link", { name: "Download CSV" });
    await link.waitFor({ timeout: 20_000 });
    const [download] = await Promise.all([admin.waitForEvent("download"), link.click()]);
    const csv = await readFile(await download.path(), "utf8");

    expect(csv.split("\n")[0]?.toLowerCase()).toContain("email");
    expect(csv).toContain(ADMIN);
    expect(csv).toContain(INVITEE);
    expect(csv).toContain("batch3@example.com");
  });

  it("no page errors", () => {
    expect(adminErrors).toEqual([]);
    expect(inviteeErrors).toEqual([]);
  });
});
