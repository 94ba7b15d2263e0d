import { randomBytes } from "node:crypto";

import pg from "pg";

const CONNECT_TIMEOUT_MS = 3000;

/** Returns the URL without its password, for output. */
export function describeUrl(url) {
  const parsed = new URL(url);
  if (parsed.password !== "") parsed.password = "***";
  return parsed.toString();
}

/** Connects once to tell whether PostgreSQL is reachable; returns its version, or the reason it is not. */
export async function checkPostgres(url) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  try {
    await client.connect();
    const { rows } = await client.query("SHOW server_version");
    return { reachable: true, version: rows[0].server_version };
  } catch (error) {
    return { reachable: false, reason: `${describeUrl(url)} is unreachable: ${error.message || error.code || String(error)}` };
  } finally {
    await client.end().catch(() => {});
  }
}

/** Returns a fresh schema name for one server; the server creates it, `dropSchema` removes it. */
export function newSchemaName() {
  return `bench_jobs_${randomBytes(6).toString("hex")}`;
}

export async function dropSchema(url, schema) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}
