import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { build } from "vite";

const root = fileURLToPath(new URL("..", import.meta.url));

function newestModification(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) {
    return stats.mtimeMs;
  }
  return Math.max(stats.mtimeMs, ...readdirSync(path).map((name) => newestModification(join(path, name))));
}

/**
 * Builds the console once before the end-to-end files run, when dist/ is missing or older than the
 * sources, so the browser never tests a stale build.
 */
export default async function setup(): Promise<void> {
  const builtAt = existsSync(`${root}dist/index.html`) ? statSync(`${root}dist/index.html`).mtimeMs : 0;
  const changedAt = Math.max(newestModification(`${root}src`), newestModification(`${root}index.html`));
  if (builtAt >= changedAt) {
    return;
  }
  // Vitest sets NODE_ENV=test, and Vite keeps a NODE_ENV it finds, which would bundle React's
  // development build. The browser tests must run what `pnpm build` ships.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({ root, configFile: `${root}vite.config.ts`, mode: "production", logLevel: "warn" });
  } finally {
    if (nodeEnv === undefined) {
      delete process.env.NODE_ENV;
    } else {
      process.env.NODE_ENV = nodeEnv;
    }
  }
}
