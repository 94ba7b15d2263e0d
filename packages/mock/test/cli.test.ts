import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { beforeAll, describe, expect, it } from "vitest";

import { findFreePort } from "../src/free-port.js";

const cliPath = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const fixtureSpec = fileURLToPath(new URL("./fixtures/mini-openapi.json", import.meta.url));

function runCli(args: string[], env: NodeJS.ProcessEnv = {}) {
  return spawnSync(process.execPath, [cliPath, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 20_000 });
}

describe("mock CLI", () => {
  beforeAll(() => {
    expect(existsSync(cliPath), `${cliPath} is missing; build it with \`pnpm turbo run build --filter=@fruxon/mock\``).toBe(true);
  });

  it("--help lists options and variables", () => {
    const result = runCli(["--help"]);

    expect(result.status).toBe(0);
    for (const word of ["--port", "--host", "--dynamic", "--spec", "--proxy", "--errors", "MOCK_PORT", "MOCK_HOST", "MOCK_DYNAMIC"]) {
      expect(result.stdout, `--help does not mention ${word}`).toContain(word);
    }
  });

  it.each([
    [["--port", "abc"], {}, '--port must be a positive integer, got "abc"'],
    [[], { MOCK_PORT: "-1" }, 'MOCK_PORT must be a positive integer, got "-1"'],
    [["--spec", fixtureSpec], { MOCK_DYNAMIC: "maybe" }, 'MOCK_DYNAMIC must be 1, true, yes, 0, false or no, got "maybe"'],
    [["--unknown"], {}, "Unknown option '--unknown'"],
  ])("rejects %j %j", (args, env, message) => {
    const result = runCli(args, env);

    expect(result.status).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain("--help");
  });

  it("serves until SIGINT and stops Prism", async () => {
    const port = await findFreePort("127.0.0.1");
    const child = spawn(process.execPath, [cliPath, "--spec", fixtureSpec], {
      env: { ...process.env, MOCK_PORT: String(port), MOCK_HOST: "127.0.0.1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));

    const ready = await new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the CLI printed no ready line within 20 s:\n${output}`)), 20_000);
      child.stdout.on("data", () => {
        const match = /mock: ready at (\S+) \(Prism pid (\d+)/.exec(output);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      });
    });
    const [, url, prismPid] = ready;
    const response = await fetch(`${url!}/healthz`);
    await response.text();
    child.kill("SIGINT");
    const code = await exited;

    expect(url).toBe(`http://127.0.0.1:${port}`);
    expect(response.status).toBe(200);
    expect(code).toBe(0);
    expect(output).toContain("mock: received SIGINT, stopping Prism...");
    expect(output).toContain("mock: stopped");
    expect(() => process.kill(Number(prismPid), 0), `Prism (pid ${prismPid!}) outlived the CLI`).toThrow(
      expect.objectContaining({ code: "ESRCH" }),
    );
  });
});
