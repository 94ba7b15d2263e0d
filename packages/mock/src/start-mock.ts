import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { request } from "node:http";
import { resolve as resolvePath } from "node:path";
import { setTimeout as delay } from "node:timers/promises";

import { acceptsConnections, canBind, findFreePort } from "./free-port.js";
import { resolveBundledSpec, resolvePrismCli } from "./resolve.js";
import { stripAnsi, ViolationCollector, type PrismViolation } from "./violations.js";

export interface StartMockOptions {
  /** TCP port for Prism. Default: a free port picked by the operating system (retried on EADDRINUSE). */
  port?: number;
  /** Interface Prism listens on. Default `127.0.0.1`. */
  host?: string;
  /** Generate responses from the schemas (Prism's dynamic mode) instead of returning the spec's examples. */
  dynamic?: boolean;
  /** OpenAPI document to serve. Default: the bundled `@fruxon/spec/openapi.json`. */
  specPath?: string;
  /** Upstream URL: run `prism proxy`, which forwards each request there and validates both directions. */
  proxy?: string;
  /**
   * Prism's `--errors`: a response that breaks the spec becomes a 500 problem, and in proxy mode an
   * invalid request gets Prism's own 401 or 422 response instead of being forwarded.
   */
  errors?: boolean;
  /** Proxy mode only: validate requests before forwarding them. Default true, as in Prism. */
  validateRequest?: boolean;
  /** Maximum time to wait for Prism to respond to HTTP, in milliseconds. Default 30 000. */
  timeoutMs?: number;
  /** Receives each line that Prism prints, without colour codes. */
  log?: (line: string) => void;
}

export interface MockExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface MockServer {
  /** Base URL, such as `http://127.0.0.1:41234`. */
  readonly url: string;
  readonly port: number;
  /** Process id of Prism, which also leads its own process group. */
  readonly pid: number;
  readonly specPath: string;
  /** Settles when the Prism process exits, for whatever reason. */
  readonly exited: Promise<MockExit>;
  /** Stops Prism and every process it started: SIGTERM to the group, SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** Everything Prism printed so far, one line per entry, without colour codes. */
  logs(): string;
  /**
   * Every request or response violation that Prism logged so far. Prism's log reaches this process
   * through a pipe, after the HTTP response, so this first waits until Prism has printed nothing for
   * `quietMs` (default 150 ms, at most 2 s in all).
   */
  violations(options?: { quietMs?: number }): Promise<PrismViolation[]>;
  /** Forgets the logs and violations collected so far, for example between tests. Waits for quiet first, as `violations()` does. */
  clearLogs(): Promise<void>;
}

const DEFAULT_HOST = "127.0.0.1";
const DEFAULT_TIMEOUT_MS = 30_000;
const POLL_INTERVAL_MS = 100;
const PROBE_TIMEOUT_MS = 1_000;
const STOP_GRACE_MS = 3_000;
const PORT_ATTEMPTS = 3;
const MAX_LOG_LINES = 20_000;
const OUTPUT_TAIL_LINES = 40;
const LOG_QUIET_MS = 150;
const LOG_SETTLE_MAX_MS = 2_000;
const LISTENING_LINE = /Prism is listening on (\S+)/;
// Prism 5.14 does not exit when its port is taken: it waits forever at "Starting Prism…". A port
// that accepts connections on this many checks in a row while Prism has not reported listening
// belongs to another process.
const PORT_TAKEN_CHECKS = 2;
const PORT_CHECK_EVERY_POLLS = 5;

class PortInUseError extends Error {}

/**
 * Starts Prism on the bundled spec (or `options.specPath`) and resolves once it responds to HTTP.
 *
 * Prism runs in its own process group, so `stop()` leaves no process behind, and a `process.on("exit")`
 * handler kills the group if the caller never calls `stop()`.
 */
export async function startMock(options: StartMockOptions = {}): Promise<MockServer> {
  const host = options.host ?? DEFAULT_HOST;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  checkOptions(options, timeoutMs);
  const specPath = options.specPath === undefined ? resolveBundledSpec() : resolvePath(options.specPath);
  if (!existsSync(specPath)) {
    throw new Error(`startMock: the spec file ${specPath} does not exist; pass an existing OpenAPI file as specPath`);
  }

  if (options.port !== undefined && !(await canBind(host, options.port))) {
    throw new Error(`startMock: port ${options.port} on ${host} is already in use or not permitted; choose another port`);
  }

  const attempts = options.port === undefined ? PORT_ATTEMPTS : 1;
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await findFreePort(host));
    try {
      return await launchPrism({ ...options, host, port, specPath, timeoutMs });
    } catch (error) {
      if (!(error instanceof PortInUseError) || attempt >= attempts) {
        throw error;
      }
    }
  }
}

function checkOptions(options: StartMockOptions, timeoutMs: number): void {
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port > 0 && options.port < 65536)) {
    throw new Error(`startMock: port must be an integer from 1 to 65535, got ${String(options.port)}`);
  }
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) {
    throw new Error(`startMock: timeoutMs must be a positive number of milliseconds, got ${String(timeoutMs)}`);
  }
  if (options.proxy !== undefined) {
    let upstream: URL;
    try {
      upstream = new URL(options.proxy);
    } catch {
      throw new Error(`startMock: proxy must be an absolute http(s) URL such as http://127.0.0.1:8080, got "${options.proxy}"`);
    }
    if (upstream.protocol !== "http:" && upstream.protocol !== "https:") {
      throw new Error(`startMock: proxy must use http or https, got "${options.proxy}"`);
    }
  }
  if (options.validateRequest !== undefined && options.proxy === undefined) {
    throw new Error("startMock: validateRequest applies to proxy mode only; set proxy as well or leave it out");
  }
  if (options.dynamic === true && options.proxy !== undefined) {
    throw new Error("startMock: dynamic applies to mock mode only; Prism's proxy mode returns the upstream's responses");
  }
}

interface LaunchOptions extends StartMockOptions {
  host: string;
  port: number;
  specPath: string;
  timeoutMs: number;
}

function prismArguments(options: LaunchOptions): string[] {
  const args =
    options.proxy === undefined
      ? ["mock", options.specPath]
      : ["proxy", options.specPath, options.proxy];
  args.push("--host", options.host, "--port", String(options.port));
  if (options.errors === true) {
    args.push("--errors");
  }
  if (options.dynamic === true) {
    args.push("--dynamic");
  }
  if (options.validateRequest === false) {
    args.push("--validate-request=false");
  }
  return args;
}

async function launchPrism(options: LaunchOptions): Promise<MockServer> {
  // spawn: own process group (detached), plain output so that log lines can be parsed
  const child = spawn(process.execPath, [resolvePrismCli(), ...prismArguments(options)], {
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, FORCE_COLOR: "0", NO_COLOR: "1" },
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new Error(`startMock: could not spawn Prism with ${process.execPath}`);
  }

  let exitInfo: MockExit | undefined;
  const exited = new Promise<MockExit>((resolveExit) => {
    child.once("exit", (code, signal) => {
      exitInfo = { code, signal };
      resolveExit(exitInfo);
    });
    child.once("error", () => {
      exitInfo ??= { code: null, signal: null };
      resolveExit(exitInfo);
    });
  });

  const killGroup = (signal: NodeJS.Signals): void => {
    try {
      process.kill(-pid, signal);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ESRCH") {
        throw error;
      }
    }
  };
  // Last resort when the test runner exits without calling stop(); only synchronous work runs here.
  const killOnExit = (): void => killGroup("SIGKILL");
  process.on("exit", killOnExit);

  // output: keep every line, parse violations and the "listening" line as they arrive
  const output = new OutputLog();
  const collector = new ViolationCollector();
  let listeningUrl: string | undefined;
  let lastLineAt = Date.now();
  const onLine = (rawLine: string): void => {
    lastLineAt = Date.now();
    const line = stripAnsi(rawLine);
    output.push(line);
    collector.push(line);
    listeningUrl ??= LISTENING_LINE.exec(line)?.[1];
    options.log?.(line);
  };
  forEachLine(child.stdout, onLine);
  forEachLine(child.stderr, onLine);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitInfo === undefined) {
        killGroup("SIGTERM");
        const exitedInTime = await Promise.race([exited.then(() => true), delay(STOP_GRACE_MS, false, { ref: false })]);
        if (!exitedInTime) {
          killGroup("SIGKILL");
          await exited;
        }
      }
      // Prism leads the group; this reaches any process it left behind and is a no-op otherwise.
      killGroup("SIGKILL");
      process.off("exit", killOnExit);
    })();
    return stopping;
  };
  void exited.then(() => {
    if (stopping === undefined) {
      killGroup("SIGKILL");
      process.off("exit", killOnExit);
    }
  });

  // readiness: the "listening" line from this Prism, then an HTTP response on the port
  const url = `http://${options.host.includes(":") ? `[${options.host}]` : options.host}:${options.port}`;
  const maxPolls = Math.ceil(options.timeoutMs / POLL_INTERVAL_MS);
  const deadline = Date.now() + options.timeoutMs;
  let portTakenChecks = 0;
  for (let poll = 0; poll < maxPolls && Date.now() < deadline; poll++) {
    if (exitInfo !== undefined) {
      await stop();
      const detail = `Prism exited (code ${String(exitInfo.code)}, signal ${String(exitInfo.signal)}) before it responded on ${url}`;
      if (output.text().includes("EADDRINUSE")) {
        throw new PortInUseError(`startMock: port ${options.port} is in use. ${detail}.\n${output.tail(OUTPUT_TAIL_LINES)}`);
      }
      throw new Error(`startMock: ${detail}.\nPrism output:\n${output.tail(OUTPUT_TAIL_LINES)}`);
    }
    if (listeningUrl === undefined && poll % PORT_CHECK_EVERY_POLLS === PORT_CHECK_EVERY_POLLS - 1) {
      portTakenChecks = (await acceptsConnections(options.host, options.port)) ? portTakenChecks + 1 : 0;
      if (portTakenChecks >= PORT_TAKEN_CHECKS && listeningUrl === undefined) {
        await stop();
        throw new PortInUseError(`startMock: port ${options.port} on ${options.host} was taken by another process before Prism bound it`);
      }
    }
    if (listeningUrl !== undefined && (await respondsToHttp(url))) {
      return {
        url,
        port: options.port,
        pid,
        specPath: options.specPath,
        exited,
        stop,
        logs: () => output.text(),
        violations: async ({ quietMs = LOG_QUIET_MS } = {}) => {
          await waitForQuiet(() => lastLineAt, quietMs);
          return collector.list();
        },
        clearLogs: async () => {
          await waitForQuiet(() => lastLineAt, LOG_QUIET_MS);
          output.clear();
          collector.clear();
        },
      };
    }
    await delay(POLL_INTERVAL_MS);
  }

  await stop();
  throw new Error(
    `startMock: Prism did not respond to HTTP on ${url} within ${options.timeoutMs} ms ` +
      `(spec ${options.specPath}); raise timeoutMs if the machine is slow.\nPrism output:\n${output.tail(OUTPUT_TAIL_LINES)}`,
  );
}

/** Waits until no output line arrived for `quietMs`, counted from this call at the earliest. */
async function waitForQuiet(lastLineAt: () => number, quietMs: number): Promise<void> {
  const calledAt = Date.now();
  const giveUpAt = calledAt + LOG_SETTLE_MAX_MS;
  for (;;) {
    const quietSince = Math.max(lastLineAt(), calledAt);
    const remaining = quietSince + quietMs - Date.now();
    if (remaining <= 0 || Date.now() >= giveUpAt) {
      return;
    }
    await delay(Math.min(remaining, giveUpAt - Date.now()));
  }
}

/**
 * Sends a CORS preflight, to which Prism responds itself (204) in mock and proxy mode alike, so the probe
 * never reaches an upstream server.
 */
function respondsToHttp(url: string): Promise<boolean> {
  return new Promise((resolveProbe) => {
    const probe = request(
      url,
      {
        method: "OPTIONS",
        agent: false,
        timeout: PROBE_TIMEOUT_MS,
        headers: { Origin: "http://localhost", "Access-Control-Request-Method": "GET" },
      },
      (response) => {
        response.resume();
        resolveProbe(true);
      },
    );
    probe.once("timeout", () => probe.destroy());
    probe.once("error", () => resolveProbe(false));
    probe.end();
  });
}

function forEachLine(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let pending = "";
  stream.setEncoding("utf8");
  stream.on("data", (chunk: string) => {
    const parts = (pending + chunk).split("\n");
    pending = parts.pop() ?? "";
    for (const part of parts) {
      onLine(part.replace(/\r$/, ""));
    }
  });
  stream.on("end", () => {
    if (pending !== "") {
      onLine(pending);
      pending = "";
    }
  });
}

/** Prism's output lines, capped at MAX_LOG_LINES so a long proxied test run cannot exhaust memory. */
class OutputLog {
  #lines: string[] = [];
  #dropped = 0;

  push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > MAX_LOG_LINES) {
      const excess = this.#lines.length - MAX_LOG_LINES;
      this.#lines.splice(0, excess);
      this.#dropped += excess;
    }
  }

  text(): string {
    const header = this.#dropped === 0 ? [] : [`[${this.#dropped} earlier lines dropped]`];
    return [...header, ...this.#lines].join("\n");
  }

  tail(count: number): string {
    return this.#lines.slice(-count).join("\n");
  }

  clear(): void {
    this.#lines = [];
    this.#dropped = 0;
  }
}
