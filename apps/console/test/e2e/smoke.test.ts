// @vitest-environment node
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";

import { startMock, type MockServer } from "@fruxon/mock";

import {
  ensureBuilt,
  launchChromium,
  saveScreenshot,
  serveConsole,
  signInWithToken,
  watchPageErrors,
  type ServedConsole,
} from "./harness.js";

// The built console against the Prism mock, which answers with the spec's examples.
describe("console against the mock", () => {
  let mock: MockServer;
  let served: ServedConsole;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let pageErrors: string[];

  beforeAll(async () => {
    ensureBuilt();
    [mock, browser] = await Promise.all([startMock(), launchChromium()]);
    served = await serveConsole(mock.url);
    context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    page = await context.newPage();
    pageErrors = watchPageErrors(page);
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
    await served?.close();
    await mock?.stop();
  });

  it("sign-in page renders", async () => {
    await page.goto(served.url);

    await page.getByLabel("Access token").waitFor();
    expect(await page.getByText("pnpm run token --email you@example.com").count()).toBe(1);
    await saveScreenshot(page, "sign-in");
  });

  it("members rows from the examples", async () => {
    await signInWithToken(page, served.url, "any-token");

    const rows = page.getByTestId("member-row");
    await rows.first().waitFor();
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).textContent()).toContain("ana@example.com");
    expect(await rows.nth(1).textContent()).toContain("INVITED");
    expect(await page.getByTestId("signed-in-as").textContent()).toBe("ana@example.com");
    expect(new URL(page.url()).pathname).toBe("/tenants/acme/members");
    expect(await page.getByRole("heading", { name: "Pending invitations" }).count()).toBe(1);
    await saveScreenshot(page, "members");
  });

  it("invite dialog by keyboard", async () => {
    await page.getByRole("button", { name: "Invite members" }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Invite members" });
    await dialog.waitFor();
    await dialog.getByLabel("A list of people").check();
    await dialog.getByLabel("Email addresses").fill("email,role\nana@example.com,ADMIN\nBen <ben@example.com>,MEMBER\ncy@example.com");

    expect(await dialog.getByText("3 invitations ready").count()).toBe(1);
    await saveScreenshot(page, "invite-dialog");

    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    // focus returns to the button that opened the dialog
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe("Invite members");
  });

  it("operations page renders", async () => {
    await page.getByRole("link", { name: "Operations" }).click();

    const row = page.getByTestId("operation-row").first();
    await row.waitFor();
    expect(await row.textContent()).toContain("DONE");
    const download = row.getByRole("link", { name: "Download CSV" });
    expect(await download.getAttribute("href")).toBe(
      `${served.url}/v1/tenants/acme/storage/0b6f2c1e-9a4d-4f51-8a1f-2c7e5d3b9a01`,
    );
    await saveScreenshot(page, "operations");
  });

  it("profile page renders", async () => {
    await page.getByRole("link", { name: "Profile" }).click();

    await page.getByRole("heading", { name: "Your profile" }).waitFor();
    expect(await page.getByLabel("First name").inputValue()).toBe("Ana");
    expect(await page.getByLabel("Last name").inputValue()).toBe("Diaz");
    await saveScreenshot(page, "profile");
  });

  it("members readable at 360 px", async () => {
    const narrow = await browser.newPage({ viewport: { width: 360, height: 780 } });
    await signInWithToken(narrow, served.url, "any-token", "/tenants/acme/members");

    await narrow.getByTestId("member-row").first().waitFor();
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await saveScreenshot(narrow, "members-360");
    await narrow.close();
  });

  it("no page errors or spec violations", async () => {
    expect(pageErrors).toEqual([]);
    // Prism validates every request the console sent against the spec.
    const violations = await mock.violations();
    expect(violations.filter((violation) => violation.severity === "error")).toEqual([]);
  });
});
