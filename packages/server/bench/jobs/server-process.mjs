import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { join } from "node:path";
import { once } from "node:events";

/** Variables passed on from the parent's environment; everything else the server reads is set explicitly. */
const INHERITED_VARIABLES = ["PATH", "HOME", "TMPDIR", "LANG", "TZ"];

const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

/** Returns a TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const server = createNetServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address();
  server.close();
  await once(server, "close");
  return port;
}

/**
 * Starts `node [nodeArgs] <entry>` (the built server CLI) on 127.0.0.1 with the given settings, its stdout and
 * stderr appended to `${dataDir}/server.log`, and resolves once `/readyz` returns 200.
 */
export async function startServerProcess({ entry, nodeArgs = [], dataDir, env, deadline, label }) {
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const logFile = join(dataDir, "server.log");
  const logFd = openSync(logFile, "a");

  const childEnv = { HOST: "127.0.0.1", PORT: String(port), PUBLIC_URL: baseUrl, DATA_DIR: dataDir, ...env };
  for (const name of INHERITED_VARIABLES) {
    if (process.env[name] !== undefined) childEnv[name] = process.env[name];
  }
  const child = spawn(process.execPath, [...nodeArgs, entry], { env: childEnv, stdio: ["ignore", logFd, logFd] });
  closeSync(logFd);

  let exit;
  const exited = new Promise((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });

  const server = {
    label,
    pid: child.pid,
    baseUrl,
    logFile,
    get exited() {
      return exit !== undefined;
    },
    /** Sends SIGTERM, waits for the exit, and sends SIGKILL to this process id after STOP_TIMEOUT_MS. */
    async stop() {
      if (exit !== undefined) return exit;
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), STOP_TIMEOUT_MS);
      try {
        return await exited;
      } finally {
        clearTimeout(timer);
      }
    },
    logTail(lines = 20) {
      try {
        return readFileSync(logFile, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
      } catch {
        return "(no log)";
      }
    },
  };

  // ready
  const readyBy = Date.now() + Math.min(READY_TIMEOUT_MS, deadline.remainingMs(`starting the ${label} server`));
  for (;;) {
    if (exit !== undefined) {
      throw new Error(`The ${label} server exited during start-up (code ${exit.code}, signal ${exit.signal}). Last log lines from ${logFile}:\n${server.logTail()}`);
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return server;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > readyBy) {
      await server.stop();
      throw new Error(`The ${label} server was not ready within ${READY_TIMEOUT_MS / 1000} s. Last log lines from ${logFile}:\n${server.logTail()}`);
    }
    await deadline.sleep(100, `starting the ${label} server`);
  }
}

/**
 * Reads a process's resident memory from `/proc/<pid>/status` (Linux). `rssBytes` is VmRSS now, and
 * `peakBytes` its high-water mark (VmHWM) since start or since the last `resetPeakMemory`.
 * `anonBytes` is RssAnon, the heap and buffers without mapped files such as the node binary, whose
 * pages the kernel may drop and read back.
 */
export function readMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kilobytes = (field) => {
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status);
    if (match === null) throw new Error(`/proc/${pid}/status has no ${field} line`);
    return Number(match[1]) * 1024;
  };
  return { rssBytes: kilobytes("VmRSS"), anonBytes: kilobytes("RssAnon"), peakBytes: kilobytes("VmHWM") };
}

/**
 * Resets VmHWM to the current RSS by writing 5 to `/proc/<pid>/clear_refs` (Linux 4.0 and later).
 * Returns false where that is not allowed, and the caller then relies on sampling alone.
 */
export function resetPeakMemory(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Samples a process's RSS and anonymous RSS every `intervalMs` and keeps their maxima. This checks
 * VmHWM, works where the high-water mark cannot be reset, and gives the anonymous peak, which has
 * no high-water mark of its own. Short spikes between two samples are missed.
 */
export function sampleMemory(pid, intervalMs = 50) {
  let maxRssBytes = 0;
  let maxAnonBytes = 0;
  let samples = 0;
  const take = () => {
    try {
      const memory = readMemory(pid);
      maxRssBytes = Math.max(maxRssBytes, memory.rssBytes);
      maxAnonBytes = Math.max(maxAnonBytes, memory.anonBytes);
      samples += 1;
    } catch {
      // The process exited; the last samples stand.
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return { maxRssBytes, maxAnonBytes, samples };
    },
  };
}
