import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath, pathToFileURL } from "node:url";

import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const RENDER_TIMEOUT_MS = 15_000;

interface SpecOperation {
  label: string;
  summary: string | undefined;
  tag: string | undefined;
}

const pagePath = fileURLToPath(new URL("../dist/index.html", import.meta.url));
const specPath = createRequire(import.meta.url).resolve("@fruxon/spec/openapi.json");

function readOperations(): SpecOperation[] {
  const spec = JSON.parse(readFileSync(specPath, "utf8")) as {
    paths: Record<string, Record<string, { summary?: string; tags?: string[] }>>;
  };
  const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch", "trace"]);
  return Object.entries(spec.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => methods.has(method))
      .map(([method, operation]) => ({
        label: `${method.toUpperCase()} ${path}`,
        summary: operation.summary,
        tag: operation.tags?.[0],
      })),
  );
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

const chromiumMissing = !existsSync(CHROMIUM);
if (chromiumMissing) {
  console.warn(`Skipping the API reference browser test: ${CHROMIUM} does not exist.`);
}

describe.skipIf(chromiumMissing)(`API reference in Chromium${chromiumMissing ? ` (skipped: ${CHROMIUM} not found)` : ""}`, () => {
  const operations = readOperations();
  const externalRequests: string[] = [];
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    expect(existsSync(pagePath), `${pagePath} is missing; build it with \`pnpm docs\``).toBe(true);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });

    // network: only the file itself may load; everything else is recorded and aborted
    page.on("request", (request) => {
      const url = request.url();
      if (!/^(?:file|data|blob|about):/.test(url) && !externalRequests.includes(url)) {
        externalRequests.push(url);
      }
    });
    await page.route("**/*", async (route) => {
      const url = route.request().url();
      if (url.startsWith("file:")) {
        await route.continue();
        return;
      }
      if (!externalRequests.includes(url)) {
        externalRequests.push(url);
      }
      await route.abort("blockedbyclient");
    });

    await page.goto(pathToFileURL(pagePath).href, { waitUntil: "load" });
    // Redoc has hydrated once React has attached a fiber to the sidebar links.
    const hydrated = await page
      .waitForFunction(
        () => {
          const link = document.querySelector('[data-component-name="Menu/MenuItem"] a');
          return link !== null && Object.keys(link).some((key) => key.startsWith("__reactFiber$"));
        },
        undefined,
        { timeout: RENDER_TIMEOUT_MS },
      )
      .then(
        () => true,
        () => false,
      );
    expect(
      hydrated,
      `Redoc did not start within ${RENDER_TIMEOUT_MS} ms; blocked requests: ${JSON.stringify(externalRequests)}`,
    ).toBe(true);
  });

  afterAll(async () => {
    await browser?.close();
  });

  it("spec has operation summaries", () => {
    const missing = operations.filter((operation) => !operation.summary).map((operation) => operation.label);

    expect(operations.length).toBeGreaterThan(0);
    expect(missing, "operations without a summary cannot be found in the reference").toEqual([]);
  });

  it("shows every operation summary", async () => {
    // Redoc 3 lists a tag's operations once its sidebar group is opened, so open each group in turn and
    // collect the visible text after each.
    const seenText: string[] = [await page.innerText("body")];
    const tags = [...new Set(operations.map((operation) => operation.tag).filter((tag) => tag !== undefined))];
    for (const tag of tags) {
      const firstSummary = operations.find((operation) => operation.tag === tag)!.summary!;
      const group = page
        .locator('[data-component-name="Menu/MenuItem"].menu-item-type-group')
        .filter({ has: page.getByTestId("menu-item-label").filter({ hasText: new RegExp(`^\\s*${escapeRegExp(tag)}\\s*$`) }) })
        .first();

      await group.locator("a").first().click();
      await page
        .getByTestId("menu-item-label")
        .filter({ hasText: firstSummary })
        .first()
        .waitFor({ state: "visible", timeout: RENDER_TIMEOUT_MS });
      seenText.push(await page.innerText("body"));
    }
    const text = seenText.join("\n");

    const missing = operations.filter((operation) => !text.includes(operation.summary!)).map((operation) => `${operation.label}: "${operation.summary!}"`);
    expect(missing, "summaries not shown in the rendered reference").toEqual([]);
  });

  it("stays on the page while navigating", () => {
    // The sidebar links are root-relative; if Redoc had not taken over routing a click would have
    // left the file for file:///<tag>.
    expect(page.url()).toMatch(new RegExp(`^${escapeRegExp(pathToFileURL(pagePath).href)}#/`));
  });

  it("requests nothing from the network", async () => {
    // Some assets (such as images) are requested by effects after hydration; give them time to start.
    await page.waitForLoadState("networkidle");
    await page.waitForTimeout(1_000);

    expect(externalRequests, "the page tried to load these from another host").toEqual([]);
  });
});
