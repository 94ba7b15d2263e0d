import { execFile } from "node:child_process";
import { mkdtemp, mkdir, rm, symlink, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { afterAll, beforeAll, describe, expect, it } from "vitest";

// Checks the package as a consumer uses it: the built dist/, imported through its package name, and
// its declarations compiled by a consumer whose compiler settings differ from this repository's.

const run = promisify(execFile);
const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

const EXPORTS = [
  "AbortError",
  "FruxonError",
  "NetworkError",
  "OperationFailedError",
  "ProblemError",
  "TimeoutError",
  "createFruxonClient",
  "paginate",
  "unwrap",
  "uploadFile",
  "waitForOperation",
];

const CONSUMER_SOURCE = `
import { createFruxonClient, paginate, unwrap, ProblemError, type FruxonClient } from "@fruxon/client";

export async function firstAdmin(baseUrl: string, token: string) {
  const client: FruxonClient = createFruxonClient({ baseUrl, token, maxRetries: 1 });
  const tenant = await unwrap(client.GET("/v1/tenants/{tenant}", { params: { path: { tenant: "acme" } } }));
  for await (const user of paginate(client, "/v1/tenants/{tenant}/users", { params: { path: { tenant: tenant.slug } } })) {
    if (user.role === "ADMIN") {
      return user.email;
    }
  }
  const { error } = await client.GET("/v1/users/me");
  if (error instanceof ProblemError && error.status === 401) {
    return undefined;
  }
  return null;
}
`;

let consumerDir: string;

beforeAll(async () => {
  await run(process.execPath, [tsc, "-p", join(packageDir, "tsconfig.build.json")], { cwd: packageDir });

  consumerDir = await mkdtemp(join(tmpdir(), "fruxon-client-consumer-"));
  await mkdir(join(consumerDir, "node_modules", "@fruxon"), { recursive: true });
  await symlink(packageDir, join(consumerDir, "node_modules", "@fruxon", "client"), "dir");
  await writeFile(join(consumerDir, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  await writeFile(join(consumerDir, "index.ts"), CONSUMER_SOURCE);
}, 60_000);

afterAll(async () => {
  if (consumerDir !== undefined) {
    await rm(consumerDir, { recursive: true, force: true });
  }
});

describe("built package", () => {
  it("imports by package name from dist", async () => {
    const script = "const m = await import('@fruxon/client'); console.log(JSON.stringify(Object.keys(m).sort()));";

    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: packageDir });

    expect(JSON.parse(stdout)).toEqual(EXPORTS);
  });

  it("imports from a consumer directory", async () => {
    const script = "import('@fruxon/client').then((m) => console.log(typeof m.createFruxonClient({ baseUrl: 'http://127.0.0.1:9' }).GET))";

    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], { cwd: consumerDir });

    expect(stdout.trim()).toBe("function");
  });

  it.each([
    ["bundler", { module: "esnext", moduleResolution: "bundler" }],
    ["node16", { module: "node16", moduleResolution: "node16" }],
  ])("type-checks in a non-strict consumer with moduleResolution %s", { timeout: 90_000 }, async (_label, resolution) => {
    const tsconfig = {
      compilerOptions: {
        ...resolution,
        target: "es2022",
        lib: ["es2022", "dom", "dom.iterable"],
        strict: false,
        noEmit: true,
        skipLibCheck: false,
        types: [],
      },
      files: ["index.ts"],
    };
    const configPath = join(consumerDir, `tsconfig.${resolution.moduleResolution}.json`);
    await writeFile(configPath, JSON.stringify(tsconfig));

    const result = await run(process.execPath, [tsc, "-p", configPath], { cwd: consumerDir }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );

    expect(result.stdout).toBe("");
  });
});
