import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { readdir, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { freePort } from "./helpers/index.js";

const PACKAGE_DIR = fileURLToPath(new URL("..", import.meta.url));
const TSC = join(PACKAGE_DIR, "node_modules", "typescript", "bin", "tsc");

/**
 * Returns a folder with the compiled server for child processes. That is `dist/` when every source
 * file has a newer compiled file there (as after `pnpm build`). Otherwise the sources are compiled into
 * a private folder, so a test never runs stale code, and `remove()` deletes it. The private folder sits
 * at the same depth as `dist/`, so the package's dependencies resolve as from `dist/`.
 */
export async function buildServer(): Promise<{ distDir: string; remove(): Promise<void> }> {
  const builtDir = join(PACKAGE_DIR, "dist");
  if (await isBuildFresh(join(PACKAGE_DIR, "src"), builtDir)) return { distDir: builtDir, remove: async () => {} };

  const distDir = join(PACKAGE_DIR, "node_modules", ".cache", `fruxon-test-dist-${randomUUID().slice(0, 8)}`);
  const args = [TSC, "-p", join(PACKAGE_DIR, "tsconfig.build.json"), "--outDir", distDir, "--declaration", "false", "--declarationMap", "false", "--sourceMap", "false"];
  const output: string[] = [];
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: PACKAGE_DIR, stdio: ["ignore", "pipe", "pipe"] });
    child.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString()));
    child.once("error", reject);
    child.once("exit", resolve);
  });
  if (code !== 0) throw new Error(`compiling the server for child processes failed with exit code ${code}:\n${output.join("")}`);
  return { distDir, remove: () => rm(distDir, { recursive: true, force: true }) };
}

/** Tells whether every `.ts` source under `sourceDir` has a `.js` file under `builtDir` that is at least as new. */
async function isBuildFresh(sourceDir: string, builtDir: string): Promise<boolean> {
  const sources = (await readdir(sourceDir, { recursive: true })).filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"));
  for (const source of sources) {
    const built = await stat(join(builtDir, source.replace(/\.ts$/, ".js"))).catch(() => undefined);
    if (built === undefined || built.mtimeMs < (await stat(join(sourceDir, source))).mtimeMs) return false;
  }
  return sources.length > 0;
}

/** A server or worker running as a child process. */
export interface ChildService {
  name: string;
  child: ChildProcess;
  /** The base URL, for servers; undefined for workers. */
  url: string | undefined;
  /** Every log line the process wrote, parsed from pino's JSON where possible. */
  logs: Array<Record<string, unknown>>;
  /** Resolves with the exit code (or the signal) once the process has exited. */
  exited: Promise<number | NodeJS.Signals | null>;
  /** Resolves with the first log entry for which `match` holds; rejects after `timeoutMs`. */
  waitForLog(match: (entry: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends `signal` (SIGKILL by default) unless the process has exited, and waits for the exit. */
  kill(signal?: NodeJS.Signals): Promise<number | NodeJS.Signals | null>;
}

export interface SpawnOptions {
  distDir: string;
  name: string;
  env: Record<string, string>;
  /** `server` runs `cli.js` and waits until `/readyz` returns 200; `worker` runs `worker-cli.js`. */
  kind: "server" | "worker";
  args?: string[];
  startTimeoutMs?: number;
}

/** Starts `node cli.js` or `node worker-cli.js` from a `buildServer` folder with `env` and no inherited configuration. */
export async function spawnService(options: SpawnOptions): Promise<ChildService> {
  const port = options.kind === "server" ? await freePort() : undefined;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    HOST: "127.0.0.1",
    LOG_LEVEL: "info",
    ...(port === undefined ? {} : { PORT: String(port) }),
    ...options.env,
  };
  const script = join(options.distDir, options.kind === "server" ? "cli.js" : "worker-cli.js");
  const child = spawn(process.execPath, [script, ...(options.args ?? [])], { env, stdio: ["ignore", "pipe", "pipe"] });

  const logs: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  const collect = (chunk: Buffer, buffer: { text: string }) => {
    buffer.text += chunk.toString();
    const lines = buffer.text.split("\n");
    buffer.text = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      try {
        logs.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        logs.push({ msg: line });
      }
    }
    for (const waiter of [...waiters]) waiter();
  };
  const stdout = { text: "" };
  const stderr = { text: "" };
  child.stdout?.on("data", (chunk: Buffer) => collect(chunk, stdout));
  child.stderr?.on("data", (chunk: Buffer) => collect(chunk, stderr));
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once("exit", (code, signal) => {
      resolve(signal ?? code);
      for (const waiter of [...waiters]) waiter();
    });
  });

  const service: ChildService = {
    name: options.name,
    child,
    url: port === undefined ? undefined : `http://127.0.0.1:${port}`,
    logs,
    exited,
    waitForLog(match, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(match);
          if (found !== undefined) {
            finish();
            resolve(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            finish();
            reject(new Error(`${options.name} exited before the expected log line:\n${describeLogs(logs)}`));
          }
        };
        const timer = setTimeout(() => {
          finish();
          reject(new Error(`${options.name} wrote no expected log line within ${timeoutMs} ms:\n${describeLogs(logs)}`));
        }, timeoutMs);
        const finish = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async kill(signal = "SIGKILL") {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };

  if (options.kind === "server") {
    await waitUntilReady(service, options.startTimeoutMs ?? 20_000);
  } else {
    await service.waitForLog((entry) => entry.msg === "job worker started", options.startTimeoutMs ?? 20_000);
  }
  return service;
}

async function waitUntilReady(service: ChildService, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (service.child.exitCode !== null) throw new Error(`${service.name} exited with ${service.child.exitCode} while starting:\n${describeLogs(service.logs)}`);
    try {
      const response = await fetch(`${service.url}/readyz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await service.kill();
      throw new Error(`${service.name} was not ready within ${timeoutMs} ms:\n${describeLogs(service.logs)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * Lets a process run in short slices (SIGCONT, `sliceMs`, SIGSTOP) until `condition`, checked while the
 * process is stopped, holds. Returns with the process stopped, so the caller acts on exactly the state
 * the condition saw; send SIGCONT to let it go on. Rejects after `timeoutMs`, leaving the process running.
 */
export async function pauseWhen(service: ChildService, condition: () => Promise<boolean>, options: { sliceMs?: number; timeoutMs?: number } = {}): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 20_000);
  for (;;) {
    service.child.kill("SIGSTOP");
    if (await condition()) return;
    service.child.kill("SIGCONT");
    if (Date.now() > deadline) throw new Error(`${service.name} did not reach the expected state in time:\n${describeLogs(service.logs)}`);
    await new Promise((resolve) => setTimeout(resolve, options.sliceMs ?? 15));
  }
}

/** Formats the last log lines of a process for failure messages. */
export function describeLogs(logs: Array<Record<string, unknown>>, count = 30): string {
  return logs.slice(-count).map((entry) => JSON.stringify(entry)).join("\n");
}
