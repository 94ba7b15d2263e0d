import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { describe, expect, it } from "vitest";

import { runWorkerCli } from "../src/worker-cli.js";

async function run(argv: string[], env: Record<string, string> = {}) {
  let stdout = "";
  let stderr = "";
  const code = await runWorkerCli({ argv, env, stdout: (text) => { stdout += text; }, stderr: (text) => { stderr += text; }, onSignal: () => {} });
  return { code, stdout, stderr };
}

describe("worker CLI", () => {
  it("prints the usage and every variable for --help", async () => {
    const { code, stdout } = await run(["--help"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: node dist\/worker-cli\.js/);
    expect(stdout).toContain("--email");
    expect(stdout).toContain("JOB_LEASE_MS");
    expect(stdout).toContain("WORKER_CONCURRENCY");
  });

  it("accepts the -- that pnpm passes through", async () => {
    const { code, stdout } = await run(["--", "--help"]);

    expect(code).toBe(0);
    expect(stdout).toMatch(/^Usage: node dist\/worker-cli\.js/);
  });

  it("rejects an unknown option with exit code 2", async () => {
    const { code, stderr } = await run(["--fast"]);

    expect(code).toBe(2);
    expect(stderr).toContain("--fast");
    expect(stderr).toContain("--help");
  });

  it("rejects invalid configuration with exit code 2", async () => {
    const { code, stderr } = await run([], { JOB_LEASE_MS: "10" });

    expect(code).toBe(2);
    expect(stderr).toContain("JOB_LEASE_MS");
  });

  it("runs until SIGTERM and exits with 0", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "fruxon-worker-cli-"));
    const handlers = new Map<string, () => void>();

    const exit = runWorkerCli({
      argv: [],
      env: { DATA_DIR: dataDir, LOG_LEVEL: "silent" },
      stdout: () => {},
      stderr: () => {},
      onSignal: (signal, handler) => handlers.set(signal, handler),
    });
    for (let waited = 0; !handlers.has("SIGTERM") && waited < 10_000; waited += 20) await new Promise((resolve) => setTimeout(resolve, 20));
    handlers.get("SIGTERM")?.();
    const code = await exit;
    await rm(dataDir, { recursive: true, force: true });

    expect([...handlers.keys()].sort()).toEqual(["SIGINT", "SIGTERM"]);
    expect(code).toBe(0);
  });
});
