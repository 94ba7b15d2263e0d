import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const require = createRequire(import.meta.url);

/** Returns the path of Prism's CLI script, run with `process.execPath` so no shell or npx is involved. */
export function resolvePrismCli(): string {
  const packageJsonPath = require.resolve("@stoplight/prism-cli/package.json");
  const packageJson = JSON.parse(readFileSync(packageJsonPath, "utf8")) as { bin?: string | Record<string, string> };
  const bin = typeof packageJson.bin === "string" ? packageJson.bin : packageJson.bin?.["prism"];
  if (bin === undefined) {
    throw new Error(`@stoplight/prism-cli at ${packageJsonPath} declares no "prism" bin entry`);
  }
  return join(dirname(packageJsonPath), bin);
}

/**
 * Returns the path of the bundled spec (`@fruxon/spec/openapi.json`), or throws with the command that
 * builds it.
 */
export function resolveBundledSpec(): string {
  const buildHint = "Build it first: cd to the repository root and run `pnpm turbo run build --filter=@fruxon/spec`.";
  let specPath: string;
  try {
    specPath = require.resolve("@fruxon/spec/openapi.json");
  } catch (error) {
    throw new Error(`The bundled spec @fruxon/spec/openapi.json was not found. ${buildHint}`, { cause: error });
  }
  if (!existsSync(specPath)) {
    throw new Error(`The bundled spec ${specPath} does not exist. ${buildHint}`);
  }
  return specPath;
}
