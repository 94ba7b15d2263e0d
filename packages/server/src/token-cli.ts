#!/usr/bin/env node
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

import { parseDuration, signDevelopmentToken } from "./auth/dev-token.js";
import { localSigningKeyPath, loadLocalSigningKey } from "./auth/key-store.js";
import { withoutSeparator } from "./command-line.js";
import { ConfigError, loadConfig } from "./config.js";

const USAGE = `Usage: pnpm run token --email <address> [--name <name>] [--sub <id>] [--ttl <duration>]

Prints a development bearer token, and nothing else, on stdout:

  TOKEN=$(pnpm -s token --email ana@example.com)
  curl -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/v1/users/me

The token is signed with the embedded Ed25519 key in {DATA_DIR}/keys/signing-key.pem (created on first
use), which the server trusts when neither AUTH_JWKS_URL nor AUTH_PUBLIC_KEY is set. It carries
email_verified: true and, when configured, AUTH_ISSUER as iss and AUTH_AUDIENCE as aud.

Options:
  --email <address>   Email claim (required).
  --name <name>       Name claim, such as "Ana Diaz".
  --sub <id>          Subject claim, the account id. Default: local|<email in lower case>.
  --ttl <duration>    Lifetime: seconds, or a number with s, m, h or d. Default: 1h.
  --help              Print this help and exit.

Environment variables: DATA_DIR (default ./data), AUTH_ISSUER, AUTH_AUDIENCE.
`;

export interface TokenCliDependencies {
  argv: string[];
  env: Record<string, string | undefined>;
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

/** Runs the token command and returns its exit code: 0 printed a token or help, 2 invalid input. */
export async function runTokenCli(deps: TokenCliDependencies): Promise<number> {
  let values: { email?: string; name?: string; sub?: string; ttl?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: withoutSeparator(deps.argv),
      options: { email: { type: "string" }, name: { type: "string" }, sub: { type: "string" }, ttl: { type: "string" }, help: { type: "boolean" } },
      strict: true,
    }));
  } catch (error) {
    deps.stderr(`${(error as Error).message}\nRun with --help to see the usage.\n`);
    return 2;
  }
  if (values.help === true) {
    deps.stdout(USAGE);
    return 0;
  }

  // input
  const problems: string[] = [];
  if (values.email === undefined) problems.push("--email is required, for example --email ana@example.com");
  else if (!/^[^\s@]+@[^\s@]+$/.test(values.email)) problems.push(`--email must be an email address, got "${values.email}"`);
  const ttlSeconds = parseDuration(values.ttl ?? "1h");
  if (ttlSeconds === undefined) problems.push(`--ttl must be a duration such as 3600, 30m, 1h or 7d, got "${values.ttl ?? ""}"`);
  if (values.sub === "") problems.push("--sub must not be empty");
  let config;
  try {
    config = loadConfig(deps.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    problems.push(...error.problems);
  }
  if (problems.length > 0 || config === undefined || ttlSeconds === undefined || values.email === undefined) {
    deps.stderr(`${problems.join("\n")}\nRun with --help to see the usage.\n`);
    return 2;
  }
  if (config.authJwksUrl !== undefined || config.authPublicKey !== undefined) {
    deps.stderr(`Note: the server is configured with ${config.authJwksUrl === undefined ? "AUTH_PUBLIC_KEY" : "AUTH_JWKS_URL"}, so it will not trust this development token.\n`);
  }

  // sign
  const key = loadLocalSigningKey(config.dataDir);
  const token = await signDevelopmentToken(key, {
    email: values.email,
    ttlSeconds,
    ...(values.name === undefined ? {} : { name: values.name }),
    ...(values.sub === undefined ? {} : { sub: values.sub }),
    ...(config.authIssuer === undefined ? {} : { issuer: config.authIssuer }),
    ...(config.authAudience === undefined ? {} : { audience: config.authAudience }),
  });
  deps.stdout(`${token}\n`);
  deps.stderr(`Signed with ${localSigningKeyPath(config.dataDir)}; valid for ${ttlSeconds} seconds.\n`);
  return 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  process.exitCode = await runTokenCli({
    argv: process.argv.slice(2),
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
  });
}
