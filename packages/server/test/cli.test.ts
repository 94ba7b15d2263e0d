import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { buildApp } from "../src/app.js";
import { runCli } from "../src/cli.js";
import { createTokenVerifier } from "../src/auth/verifier.js";
import { loadConfig, SETTINGS } from "../src/config.js";
import { runTokenCli } from "../src/token-cli.js";
import { cannedHandlers } from "./fixtures/canned-handlers.js";

function output() {
  const chunks: string[] = [];
  return { write: (text: string) => void chunks.push(text), text: () => chunks.join("") };
}

async function freePort(): Promise<number> {
  const server = createNetServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), "fruxon-cli-"));
});

afterEach(() => {
  rmSync(dataDir, { recursive: true, force: true });
});

describe("server command", () => {
  it("--help lists every configuration variable", async () => {
    const stdout = output();

    const code = await runCli({ argv: ["--help"], env: {}, stdout: stdout.write, stderr: stdout.write, createServer: never, onSignal: () => {} });

    expect(code).toBe(0);
    expect(stdout.text()).toContain("Usage: node dist/cli.js");
    for (const setting of SETTINGS) expect(stdout.text()).toContain(`  ${setting.env} `);
  });

  it("invalid configuration exits 2 naming the variable", async () => {
    const stderr = output();

    const code = await runCli({ argv: [], env: { PORT: "abc" }, stdout: () => {}, stderr: stderr.write, createServer: never, onSignal: () => {} });

    expect(code).toBe(2);
    expect(stderr.text()).toContain('PORT must be an integer from 1 to 65535, got "abc"');
  });

  it("an unknown option exits 2", async () => {
    const stderr = output();

    const code = await runCli({ argv: ["--port", "1"], env: {}, stdout: () => {}, stderr: stderr.write, createServer: never, onSignal: () => {} });

    expect(code).toBe(2);
    expect(stderr.text()).toContain("--help");
  });

  it("serves until SIGTERM and lets in-flight requests finish", async () => {
    const port = await freePort();
    const signals = new Map<string, () => void>();
    const logs: string[] = [];
    let release: () => void = () => {};
    const slow = new Promise<void>((resolve) => (release = resolve));
    let closed = false;

    const running = runCli({
      argv: [],
      // debug: the "incoming request" line shows the test that the request is in flight
      env: { PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: "debug" },
      stdout: () => {},
      stderr: () => {},
      logDestination: new Writable({
        write(chunk: Buffer, _encoding, callback) {
          logs.push(chunk.toString("utf8"));
          callback();
        },
      }),
      createServer: async (config, logger) => {
        const { handlers } = cannedHandlers({
          checkLiveness: async () => {
            await slow;
            return { status: 200, body: { status: "ok" } };
          },
        });
        const app = await buildApp({ config, handlers, logger, consoleDir: null, docsDir: null });
        return {
          app,
          close: async () => {
            await app.close();
            closed = true;
          },
        };
      },
      onSignal: (signal, handler) => void signals.set(signal, handler),
    });
    await waitFor(() => logs.join("").includes("server listening"));

    const inFlight = fetch(`http://127.0.0.1:${port}/healthz`);
    await waitFor(() => logs.join("").includes("incoming request"));
    signals.get("SIGTERM")?.();
    await waitFor(() => logs.join("").includes("server stopping"));
    expect(closed).toBe(false);
    release();
    const response = await inFlight;
    const code = await running;

    expect(response.status).toBe(200);
    expect(code).toBe(0);
    expect(closed).toBe(true);
    const messages = logs.map((line) => (JSON.parse(line) as { msg: string }).msg);
    expect(messages).toContain("server listening");
    expect(messages.indexOf("server stopped")).toBeGreaterThan(messages.indexOf("request completed"));
    expect(logs.join("")).toContain(`"url":"http://127.0.0.1:${port}"`);
  });
});

describe("token command", () => {
  it("prints only a token that the embedded key verifies", async () => {
    const stdout = output();
    const stderr = output();

    const code = await runTokenCli({
      argv: ["--email", "ana@example.com", "--name", "Ana Diaz", "--ttl", "10m"],
      env: { DATA_DIR: dataDir },
      stdout: stdout.write,
      stderr: stderr.write,
    });
    const token = stdout.text().trim();
    const caller = await createTokenVerifier(loadConfig({ DATA_DIR: dataDir })).authenticate(`Bearer ${token}`);

    expect(code).toBe(0);
    expect(stdout.text()).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(caller).toEqual({ sub: "local|ana@example.com", email: "ana@example.com", emailVerified: true, name: "Ana Diaz" });
    const payload = JSON.parse(Buffer.from(token.split(".")[1] ?? "", "base64url").toString()) as { exp: number; iat: number };
    expect(payload.exp - payload.iat).toBe(600);
  });

  it("sets --sub and the configured issuer and audience", async () => {
    const stdout = output();
    const env = { DATA_DIR: dataDir, AUTH_ISSUER: "https://id.example/", AUTH_AUDIENCE: "fruxon" };

    await runTokenCli({ argv: ["--email", "ben@example.com", "--sub", "auth0|ben"], env, stdout: stdout.write, stderr: () => {} });
    const caller = await createTokenVerifier(loadConfig(env)).authenticate(`Bearer ${stdout.text().trim()}`);

    expect(caller.sub).toBe("auth0|ben");
  });

  it.each([
    [[], "--email is required"],
    [["--email", "nope"], '--email must be an email address, got "nope"'],
    [["--email", "ana@example.com", "--ttl", "soon"], '--ttl must be a duration such as 3600, 30m, 1h or 7d, got "soon"'],
    [["--email", "ana@example.com", "--role", "ADMIN"], "Unknown option '--role'"],
  ])("%o exits 2", async (argv, message) => {
    const stdout = output();
    const stderr = output();

    const code = await runTokenCli({ argv, env: { DATA_DIR: dataDir }, stdout: stdout.write, stderr: stderr.write });

    expect(code).toBe(2);
    expect(stdout.text()).toBe("");
    expect(stderr.text()).toContain(message);
  });

  it("--help explains the command", async () => {
    const stdout = output();

    const code = await runTokenCli({ argv: ["--help"], env: {}, stdout: stdout.write, stderr: () => {} });

    expect(code).toBe(0);
    expect(stdout.text()).toContain("TOKEN=$(pnpm -s token --email ana@example.com)");
  });
});

async function never(): Promise<never> {
  throw new Error("the server must not be created");
}

async function waitFor(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
