import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";

import { chromium, type Browser, type Page } from "playwright-core";
import { preview, type PreviewServer } from "vite";

export const CONSOLE_ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const REPOSITORY_ROOT = fileURLToPath(new URL("../../../..", import.meta.url));
export const SCREENSHOT_DIR = `${REPOSITORY_ROOT}docs/screenshots`;
const CHROMIUM_PATH = "/usr/bin/chromium";
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Fails early when dist/ is missing; test/global-setup.ts builds it before the files run. */
export function ensureBuilt(): void {
  if (!existsSync(`${CONSOLE_ROOT}dist/index.html`)) {
    throw new Error(`The console is not built: ${CONSOLE_ROOT}dist/index.html is missing; run pnpm --filter @fruxon/console build`);
  }
}

export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port: 0 }, () => {
      const address = server.address();
      if (address === null || typeof address === "string") {
        server.close();
        reject(new Error("findFreePort: the socket has no port"));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

export interface ServedConsole {
  url: string;
  close: () => Promise<void>;
}

/**
 * Serves the built console with `vite preview`: static files, index.html for client-side routes, and
 * `/v1` proxied to `apiTarget`, the same shape as the server serving the console at `/`.
 */
export async function serveConsole(apiTarget: string, port?: number): Promise<ServedConsole> {
  const server: PreviewServer = await preview({
    root: CONSOLE_ROOT,
    configFile: false,
    logLevel: "warn",
    build: { outDir: "dist" },
    preview: {
      host: "127.0.0.1",
      port: port ?? (await findFreePort()),
      strictPort: true,
      proxy: { "/v1": { target: apiTarget, changeOrigin: true } },
    },
  });
  const url = server.resolvedUrls?.local[0]?.replace(/\/$/, "");
  if (url === undefined) {
    await server.close();
    throw new Error("serveConsole: vite preview reported no local URL");
  }
  return { url, close: () => server.close() };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}

/** Collects uncaught page errors so that a test can assert that the console raised none. */
export function watchPageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  return errors;
}

export async function saveScreenshot(page: Page, name: string): Promise<void> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}/${name}.png`, fullPage: true });
}

export async function signInWithToken(page: Page, baseUrl: string, token: string, path = "/"): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel("Access token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
}
