import { randomBytes } from "node:crypto";
import { copyFile, mkdir, mkdtemp, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

import { createFruxonClient, unwrap, waitForOperation } from "@fruxon/client";

import { dropSchema, newSchemaName } from "./postgres.mjs";
import { seedMembers } from "./seed.mjs";
import { readMemory, resetPeakMemory, sampleMemory, startServerProcess } from "./server-process.mjs";

/** How often the outbox folder is listed while waiting for the emails. */
const OUTBOX_POLL_MS = 100;
/** Minimum time between two progress lines of one wait. */
const PROGRESS_EVERY_MS = 2000;

const EXPORT_HEADER = "id,email,firstName,lastName,role,status,createdAt,modifiedAt";

/**
 * Runs `work` against a fresh server process on `database`, with its own temporary DATA_DIR and, on
 * PostgreSQL, its own schema. Stops the server and removes both afterwards, also when `work` fails,
 * after printing the end of the server's log.
 */
async function withServer(runtime, { database, label, env = {} }, work) {
  const { options, deadline, progress, cleanups, publicKeyPem } = runtime;
  const dataDir = await mkdtemp(join(tmpdir(), "fruxon-bench-jobs-"));
  const schema = database === "postgres" ? newSchemaName() : undefined;
  let server;

  // Runs once: the run's time limit may call it while `work` is still unwinding.
  let cleaning;
  const cleanup = () =>
    (cleaning ??= (async () => {
      await server?.stop();
      if (server !== undefined && options.keepLogsDir !== undefined) {
        await mkdir(options.keepLogsDir, { recursive: true });
        await copyFile(server.logFile, join(options.keepLogsDir, `${label.replaceAll(" ", "-")}.log`));
      }
      if (schema !== undefined) await dropSchema(options.postgresUrl, schema).catch((error) => progress(`could not drop schema ${schema}: ${error.message}`));
      await rm(dataDir, { recursive: true, force: true });
    })());
  cleanups.add(cleanup);

  try {
    const serverEnv = {
      AUTH_PUBLIC_KEY: publicKeyPem,
      PAGE_TOKEN_SECRET: randomBytes(32).toString("hex"),
      LOG_LEVEL: options.logLevel,
      WORKER: "in-process",
      ...env,
    };
    if (schema !== undefined) Object.assign(serverEnv, { DATABASE_URL: options.postgresUrl, DATABASE_SCHEMA: schema });

    progress(`${label}: starting the server (${database}${schema === undefined ? "" : `, schema ${schema}`})`);
    server = await startServerProcess({ entry: options.serverEntry, nodeArgs: options.nodeArgs, dataDir, env: serverEnv, deadline, label });
    return await work({ server, dataDir, schema });
  } catch (error) {
    if (server !== undefined && !deadline.signal.aborted) progress(`${label}: failed; last server log lines:\n${server.logTail(10)}`);
    throw error;
  } finally {
    await cleanup();
    cleanups.delete(cleanup);
  }
}

/** Creates a tenant whose ADMIN is the bench user, and returns its id and a client with that user's token. */
async function createTenant(runtime, server) {
  const client = createFruxonClient({ baseUrl: server.baseUrl, token: runtime.adminToken, maxRetries: 0 });
  const slug = `bench-${randomBytes(4).toString("hex")}`;
  const tenant = await unwrap(client.POST("/v1/tenants", { body: { slug, displayName: `Bench ${slug}` }, signal: runtime.deadline.signal }));
  return { client, tenantId: tenant.id };
}

/** Sends a request that must return 202 with an Operation, and returns the operation. */
async function startOperation(runtime, call) {
  const result = await call;
  const operation = await unwrap(result);
  if (result.response.status !== 202) throw new Error(`expected 202 Accepted, got ${result.response.status}`);
  return operation;
}

/**
 * Polls the operation with `waitForOperation` (at most once per second, following `Retry-After`)
 * until it is DONE, printing its progress. Returns the operation and when the poll saw it DONE.
 */
async function waitUntilDone(runtime, client, tenantId, operation, label) {
  const { deadline, progress } = runtime;
  let lastPrinted = 0;
  const done = await waitForOperation(client, { tenant: tenantId, operation: operation.name }, {
    signal: deadline.signal,
    timeoutMs: deadline.remainingMs(`${label} waiting for DONE`),
    onProgress: (metadata) => {
      if (Date.now() - lastPrinted < PROGRESS_EVERY_MS) return;
      lastPrinted = Date.now();
      progress(`${label}: operation ${operation.name} ${metadata.processed ?? 0}/${metadata.total ?? "?"} processed`);
    },
  });
  return { operation: done, observedAt: Date.now() };
}

/**
 * Waits until `expected` `.eml` files exist in the outbox folder, then returns the modification
 * times of the first and the last file. The file mailer writes each email under a `.tmp` name and
 * renames it, so only finished emails are counted.
 */
async function waitForEmails(runtime, outboxDir, expected, label) {
  const { deadline, progress } = runtime;
  let lastPrinted = Date.now();
  let files = [];
  for (;;) {
    try {
      files = (await readdir(outboxDir)).filter((name) => name.endsWith(".eml"));
    } catch (error) {
      if (error.code !== "ENOENT") throw error;
    }
    if (files.length >= expected) break;
    if (Date.now() - lastPrinted >= PROGRESS_EVERY_MS) {
      lastPrinted = Date.now();
      progress(`${label}: ${files.length}/${expected} emails written to the outbox folder`);
    }
    await deadline.sleep(OUTBOX_POLL_MS, `${label} waiting for ${expected} emails (${files.length} written)`);
  }

  const times = await Promise.all(files.map(async (name) => (await stat(join(outboxDir, name))).mtimeMs));
  return { count: files.length, firstAt: Math.min(...times), lastAt: Math.max(...times) };
}

/**
 * Batch invite of `options.batch` entries. DONE is timed from the operation's own `createdAt`,
 * `startedAt` and `completedAt`, the epoch ms at which the server accepted, claimed and finished the
 * job. The 202 is sent right after `createdAt`, and the 1 s polling does not blur these times. The
 * time at which the poll saw DONE is reported too. Emails are timed by the `.eml` files' modification times.
 */
export async function benchBatchInvite(runtime, database) {
  const { options, progress } = runtime;
  const label = `batch invite ${database}`;
  const env = { INVITATIONS_PER_TENANT_PER_HOUR: String(Math.max(10_000, options.batch * 10)) };

  return withServer(runtime, { database, label, env }, async ({ server, dataDir }) => {
    const { client, tenantId } = await createTenant(runtime, server);
    const invitations = Array.from({ length: options.batch }, (_, index) => ({
      email: `invitee-${String(index + 1).padStart(5, "0")}@bench.example`,
      role: "MEMBER",
    }));

    progress(`${label}: posting ${invitations.length} entries`);
    const accepted = await startOperation(
      runtime,
      client.POST("/v1/tenants/{tenant}/users:batchInvite", { params: { path: { tenant: tenantId } }, body: { invitations }, signal: runtime.deadline.signal }),
    );
    const acceptedAt = Date.now();

    const [{ operation, observedAt }, emails] = await Promise.all([
      waitUntilDone(runtime, client, tenantId, accepted, label),
      waitForEmails(runtime, join(dataDir, "outbox"), invitations.length, label),
    ]);

    // check
    const metadata = operation.metadata ?? {};
    const invited = await unwrap(
      client.GET("/v1/tenants/{tenant}/users", { params: { path: { tenant: tenantId }, query: { status: "INVITED", pageSize: 1 } }, signal: runtime.deadline.signal }),
    );
    const problems = [];
    if (metadata.succeeded !== invitations.length) problems.push(`metadata.succeeded is ${metadata.succeeded}, expected ${invitations.length}`);
    if (metadata.failed !== 0) problems.push(`metadata.failed is ${metadata.failed}: ${JSON.stringify(metadata.failures?.slice(0, 3))}`);
    if (invited.totalCount !== invitations.length) problems.push(`the tenant lists ${invited.totalCount} INVITED users, expected ${invitations.length}`);
    if (emails.count !== invitations.length) problems.push(`${emails.count} .eml files, expected ${invitations.length}`);
    if (problems.length > 0) throw new Error(`${label} finished with wrong results: ${problems.join("; ")}`);

    const emailsMs = emails.lastAt - operation.createdAt;
    const result = {
      database,
      entries: invitations.length,
      operation: operation.name,
      queueMs: operation.startedAt - operation.createdAt,
      doneMs: operation.completedAt - operation.createdAt,
      observedDoneMs: observedAt - acceptedAt,
      succeeded: metadata.succeeded,
      failed: metadata.failed,
      emails: {
        count: emails.count,
        allWrittenMs: Math.round(emailsMs),
        perSecond: round(emails.count / (emailsMs / 1000), 1),
        firstToLastMs: Math.round(emails.lastAt - emails.firstAt),
      },
    };
    progress(`${label}: DONE after ${result.doneMs} ms; all ${emails.count} emails after ${result.emails.allWrittenMs} ms (${result.emails.perSecond}/s)`);
    return result;
  });
}

/**
 * Export of a tenant with `members` members (the bench admin plus `members - 1` seeded rows) in a
 * fresh server process. The server's peak RSS during the export is VmHWM, reset right before the
 * export is posted and checked against RSS sampled every 50 ms. The peak anonymous RSS is sampled too.
 * The CSV is then downloaded, and its records are counted and checked.
 */
export async function benchExport(runtime, database, members) {
  const { options, deadline, progress } = runtime;
  const label = `export ${members} ${database}`;

  return withServer(runtime, { database, label }, async ({ server, dataDir, schema }) => {
    const { client, tenantId } = await createTenant(runtime, server);
    await seedMembers({ database, dataDir, postgresUrl: options.postgresUrl, schema, tenantId, count: members - 1, deadline, progress });

    // The idle server's RSS fell from about 125 to 83 MiB within 25 s after seeding (Node 20, V8 shrinking
    // its heap), so without this wait a longer seeding would start the export from a smaller RSS.
    if (options.settleMs > 0) {
      progress(`${label}: waiting ${options.settleMs / 1000} s for the idle server's memory to settle`);
      await deadline.sleep(options.settleMs, `${label} waiting for the server to settle`);
    }
    const before = readMemory(server.pid);
    const peakReset = resetPeakMemory(server.pid);
    const sampler = sampleMemory(server.pid);

    let operation;
    let observedAt;
    let acceptedAt;
    let sampled;
    try {
      progress(`${label}: posting the export (server RSS ${megabytes(before.rssBytes)} MiB)`);
      const accepted = await startOperation(runtime, client.POST("/v1/tenants/{tenant}/users:export", { params: { path: { tenant: tenantId } }, signal: deadline.signal }));
      acceptedAt = Date.now();
      ({ operation, observedAt } = await waitUntilDone(runtime, client, tenantId, accepted, label));
    } finally {
      sampled = sampler.stop();
    }
    const after = readMemory(server.pid);
    const peakRssBytes = peakReset ? Math.max(after.peakBytes, sampled.maxRssBytes) : sampled.maxRssBytes;

    // check
    const csv = await downloadCsv(`${server.baseUrl}/v1/tenants/${tenantId}/storage/${operation.resourceName}`, deadline);
    const problems = [];
    if (csv.header !== EXPORT_HEADER) problems.push(`the header is "${csv.header}", expected "${EXPORT_HEADER}"`);
    if (csv.records - 1 !== members) problems.push(`the CSV holds ${csv.records - 1} data records, expected ${members}`);
    if (csv.firstOutOfOrder !== undefined) problems.push(`record ${csv.firstOutOfOrder} does not follow its predecessor in createdAt order: a member is repeated or out of order`);
    if (csv.contentLength !== undefined && csv.contentLength !== csv.bytes) problems.push(`Content-Length ${csv.contentLength} differs from the ${csv.bytes} bytes received`);
    if (operation.metadata?.processed !== members) problems.push(`metadata.processed is ${operation.metadata?.processed}, expected ${members}`);
    if (problems.length > 0) throw new Error(`${label} finished with wrong results: ${problems.join("; ")}`);

    const result = {
      database,
      members,
      operation: operation.name,
      queueMs: operation.startedAt - operation.createdAt,
      doneMs: operation.completedAt - operation.createdAt,
      observedDoneMs: observedAt - acceptedAt,
      rowsPerSecond: Math.round(members / ((operation.completedAt - operation.createdAt) / 1000)),
      csv: { bytes: csv.bytes, records: csv.records, dataRecords: csv.records - 1, headerOk: true, strictlyOrdered: true },
      memory: {
        method: peakReset ? "VmHWM reset via /proc/<pid>/clear_refs, max with 50 ms VmRSS samples" : "VmRSS sampled every 50 ms (VmHWM could not be reset)",
        rssBeforeBytes: before.rssBytes,
        peakRssBytes,
        growthBytes: peakRssBytes - before.rssBytes,
        sampledMaxRssBytes: sampled.maxRssBytes,
        anonBeforeBytes: before.anonBytes,
        peakAnonBytes: sampled.maxAnonBytes,
        samples: sampled.samples,
      },
    };
    progress(`${label}: DONE after ${result.doneMs} ms, ${csv.bytes} bytes, peak RSS ${megabytes(peakRssBytes)} MiB (before ${megabytes(before.rssBytes)} MiB), peak anonymous RSS ${megabytes(sampled.maxAnonBytes)} MiB`);
    return result;
  });
}

/**
 * Downloads a CSV, counts its bytes and records, and checks the record order. A record ends at a line
 * feed outside double quotes (RFC 4180), so a quoted field containing a line break stays one record.
 * Every seeded member has its own `createdAt`, so the export, ordered by `createdAt` and `id`, must
 * list strictly increasing `createdAt` values. With the record count, this proves that no member is
 * missing or written twice.
 */
export async function downloadCsv(url, deadline) {
  const response = await fetch(url, { signal: deadline.signal });
  if (response.status !== 200) throw new Error(`GET ${url} returned ${response.status}: ${(await response.text()).slice(0, 200)}`);

  const decoder = new TextDecoder();
  let bytes = 0;
  let records = 0;
  let header;
  let previousCreatedAt = "";
  let firstOutOfOrder;
  let inQuotes = false;
  let partial = "";

  const onRecord = (record) => {
    records += 1;
    if (records === 1) {
      header = record.replace(/\r?\n$/, "");
      return;
    }
    const createdAt = parseCsvRecord(record)[6] ?? "";
    if (createdAt <= previousCreatedAt && firstOutOfOrder === undefined) firstOutOfOrder = records;
    previousCreatedAt = createdAt;
  };

  for await (const chunk of response.body) {
    bytes += chunk.length;
    const text = decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let index = 0; index < text.length; index += 1) {
      const code = text.charCodeAt(index);
      if (code === 0x22) {
        inQuotes = !inQuotes;
      } else if (code === 0x0a && !inQuotes) {
        onRecord(partial + text.slice(start, index + 1));
        partial = "";
        start = index + 1;
      }
    }
    partial += text.slice(start);
  }
  if (partial !== "") onRecord(partial);

  const contentLength = response.headers.get("content-length");
  return { bytes, records, header, firstOutOfOrder, contentLength: contentLength === null ? undefined : Number(contentLength) };
}

/** Splits one CSV record into its fields, undoing RFC 4180 quoting. */
function parseCsvRecord(record) {
  const text = record.replace(/\r?\n$/, "");
  const fields = [];
  let field = "";
  let inQuotes = false;
  for (let index = 0; index < text.length; index += 1) {
    const character = text[index];
    if (inQuotes) {
      if (character === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (character === '"') {
        inQuotes = false;
      } else {
        field += character;
      }
    } else if (character === '"') {
      inQuotes = true;
    } else if (character === ",") {
      fields.push(field);
      field = "";
    } else {
      field += character;
    }
  }
  fields.push(field);
  return fields;
}

export function megabytes(bytesCount) {
  return round(bytesCount / 1024 / 1024, 1);
}

export function round(value, digits) {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}
