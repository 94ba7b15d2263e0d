import { spawn, execFile, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { promisify } from "node:util";
import { setTimeout as delay } from "node:timers/promises";

import { REPOSITORY_ROOT } from "./harness.js";

const SERVER_DIR = `${REPOSITORY_ROOT}packages/server/`;
const CLI = `${SERVER_DIR}dist/cli.js`;
const TOKEN_CLI = `${SERVER_DIR}dist/token-cli.js`;
const START_TIMEOUT_MS = 30_000;
const runFile = promisify(execFile);

/**
 * Why the real server cannot run here, or null when it can: its build must have the CLI, the token
 * CLI and a `createServer` export.
 */
export async function serverUnavailableReason(): Promise<string | null> {
  for (const file of [CLI, TOKEN_CLI, `${SERVER_DIR}dist/index.js`]) {
    if (!existsSync(file)) {
      return `${file} does not exist; build the server with pnpm turbo run build --filter=@fruxon/server...`;
    }
  }
  // Read rather than imported, so the check loads no database driver into the test worker.
  const entry = await readFile(`${SERVER_DIR}dist/index.js`, "utf8");
  return /export\s*\{[^}]*\bcreateServer\b/.test(entry) ? null : "packages/server/dist/index.js has no createServer export";
}

export interface RunningServer {
  url: string;
  dataDir: string;
  /** Prints a development token for `email` with the server's token CLI. */
  token(email: string): Promise<string>;
  output(): string;
  stop(): Promise<void>;
}

/** Starts `node packages/server/dist/cli.js` on SQLite in `dataDir` and waits for /readyz. */
export async function startServer(options: { port: number; dataDir: string }): Promise<RunningServer> {
  const url = `http://127.0.0.1:${options.port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOST: "127.0.0.1",
    PORT: String(options.port),
    DATA_DIR: options.dataDir,
    PUBLIC_URL: url,
    LOG_LEVEL: "warn",
  };
  delete env.DATABASE_URL;
  delete env.SMTP_URL;
  const child: ChildProcess = spawn(process.execPath, [CLI], { env, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const stop = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const stoppedInTime = await Promise.race([exited.then(() => true), delay(5_000, false)]);
      if (!stoppedInTime) {
        child.kill("SIGKILL");
        await exited;
      }
    }
  };

  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new Error(`The server exited with code ${child.exitCode} before it was ready:\n${output}`);
    }
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) {
        return {
          url,
          dataDir: options.dataDir,
          output: () => output,
          stop,
          token: async (email) => {
            const { stdout } = await runFile(process.execPath, [TOKEN_CLI, "--email", email], { env });
            return stdout.trim();
          },
        };
      }
    } catch {
      // not listening yet
    }
    await delay(200);
  }
  await stop();
  throw new Error(`The server did not answer ${url}/readyz within ${START_TIMEOUT_MS} ms:\n${output}`);
}

/** Decodes quoted-printable soft line breaks and `=XX` escapes, which nodemailer uses for text parts. */
function decodeQuotedPrintable(text: string): string {
  return text.replace(/=\r?\n/g, "").replace(/=([0-9A-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}

/** Finds the accept link in one .eml file, whether its text part is quoted-printable, base64 or plain. */
export function findInvitationLink(eml: string): string | undefined {
  const link = /https?:\/\/[^\s"'<>]+\/invitations\/[A-Za-z0-9_-]+/;
  const plain = link.exec(decodeQuotedPrintable(eml))?.[0];
  if (plain !== undefined) {
    return plain;
  }
  for (const block of eml.split(/\r?\n\r?\n/)) {
    if (/^[A-Za-z0-9+/=\r\n]+$/.test(block.trim())) {
      const decoded = link.exec(Buffer.from(block.replace(/\s/g, ""), "base64").toString("utf8"))?.[0];
      if (decoded !== undefined) {
        return decoded;
      }
    }
  }
  return undefined;
}

/** Waits for an .eml in `${dataDir}/outbox` addressed to `recipient` and returns its accept link. */
export async function waitForInvitationLink(dataDir: string, recipient: string, timeoutMs = 15_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  const folder = `${dataDir}/outbox`;
  while (Date.now() < deadline) {
    const names = existsSync(folder) ? (await readdir(folder)).filter((name) => name.endsWith(".eml")) : [];
    for (const name of names) {
      const eml = await readFile(`${folder}/${name}`, "utf8");
      if (eml.toLowerCase().includes(recipient.toLowerCase())) {
        const link = findInvitationLink(eml);
        if (link !== undefined) {
          return link;
        }
      }
    }
    await delay(250);
  }
  throw new Error(`No invitation email to ${recipient} with an accept link appeared in ${folder} within ${timeoutMs} ms`);
}
