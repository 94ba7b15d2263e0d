import { randomUUID } from "node:crypto";
import { join } from "node:path";

import Database from "better-sqlite3";
import pg from "pg";

/** Rows inserted per transaction (SQLite) or per statement (PostgreSQL). */
const CHUNK_SIZE = 10_000;

/** Every n-th member has a last name with a comma and quotes, so the export must quote that field. */
const QUOTED_NAME_EVERY = 1000;

/**
 * Builds the seeded members and their accounts: every second member is ACTIVE with an account
 * holding first and last names, the others are INVITED; every twentieth is an ADMIN.
 */
function* memberRows(tenantId, count, firstCreatedAt) {
  for (let index = 1; index <= count; index += 1) {
    const email = `member-${String(index).padStart(7, "0")}@bench.example`;
    const active = index % 2 === 0;
    const createdAt = firstCreatedAt + index;
    const account = active
      ? {
          sub: `bench|${index}`,
          email,
          email_verified: 1,
          first_name: `First${index}`,
          last_name: index % QUOTED_NAME_EVERY === 0 ? `O'Neil, "Jr." ${index}` : `Last${index}`,
          avatar_file_id: null,
          created_at: createdAt,
          modified_at: createdAt,
        }
      : undefined;
    const member = {
      id: randomUUID(),
      tenant_id: tenantId,
      email,
      email_lower: email,
      account_sub: account?.sub ?? null,
      role: index % 20 === 0 ? "ADMIN" : "MEMBER",
      status: active ? "ACTIVE" : "INVITED",
      version: 1,
      created_at: createdAt,
      modified_at: createdAt,
    };
    yield { member, account };
  }
}

function* chunks(rows) {
  let chunk = [];
  for (const row of rows) {
    chunk.push(row);
    if (chunk.length === CHUNK_SIZE) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length > 0) yield chunk;
}

const MEMBER_COLUMNS = ["id", "tenant_id", "email", "email_lower", "account_sub", "role", "status", "version", "created_at", "modified_at"];
const ACCOUNT_COLUMNS = ["sub", "email", "email_verified", "first_name", "last_name", "avatar_file_id", "created_at", "modified_at"];

/**
 * Inserts `count` members into the tenant, straight into the server's database (the server keeps
 * running; SQLite in WAL mode and PostgreSQL both allow that). Members are dated in the past, so
 * they sort before the tenant's admin in the export.
 */
export async function seedMembers({ database, dataDir, postgresUrl, schema, tenantId, count, deadline, progress }) {
  const firstCreatedAt = Date.now() - count - 60_000;
  const rows = memberRows(tenantId, count, firstCreatedAt);
  const report = (done) => progress(`seeding ${database}: ${done}/${count} members inserted`);

  if (database === "sqlite") {
    const sqlite = new Database(join(dataDir, "fruxon.db"), { timeout: 5000 });
    try {
      sqlite.pragma("busy_timeout = 5000");
      const insertMember = sqlite.prepare(`INSERT INTO members (${MEMBER_COLUMNS.join(", ")}) VALUES (${MEMBER_COLUMNS.map((name) => `@${name}`).join(", ")})`);
      const insertAccount = sqlite.prepare(`INSERT INTO accounts (${ACCOUNT_COLUMNS.join(", ")}) VALUES (${ACCOUNT_COLUMNS.map((name) => `@${name}`).join(", ")})`);
      const insertChunk = sqlite.transaction((chunk) => {
        for (const { member, account } of chunk) {
          if (account !== undefined) insertAccount.run(account);
          insertMember.run(member);
        }
      });
      let done = 0;
      for (const chunk of chunks(rows)) {
        deadline.remainingMs(`seeding ${count} members on ${database}`);
        insertChunk(chunk);
        done += chunk.length;
        report(done);
      }
      // Moves the seeded pages from the WAL into the database file, so the export reads a settled file.
      sqlite.pragma("wal_checkpoint(TRUNCATE)");
      sqlite.exec("ANALYZE");
    } finally {
      sqlite.close();
    }
    return;
  }

  const client = new pg.Client({ connectionString: postgresUrl, options: `-c search_path=${schema}` });
  await client.connect();
  try {
    let done = 0;
    for (const chunk of chunks(rows)) {
      deadline.remainingMs(`seeding ${count} members on ${database}`);
      const accounts = chunk.flatMap(({ account }) => (account === undefined ? [] : [account]));
      await client.query("BEGIN");
      await client.query(
        `INSERT INTO accounts (${ACCOUNT_COLUMNS.join(", ")})
         SELECT * FROM unnest($1::text[], $2::text[], $3::int[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[])`,
        ACCOUNT_COLUMNS.map((name) => accounts.map((account) => account[name])),
      );
      await client.query(
        `INSERT INTO members (${MEMBER_COLUMNS.join(", ")})
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::int[], $9::bigint[], $10::bigint[])`,
        MEMBER_COLUMNS.map((name) => chunk.map(({ member }) => member[name])),
      );
      await client.query("COMMIT");
      done += chunk.length;
      report(done);
    }
    await client.query("ANALYZE accounts");
    await client.query("ANALYZE members");
  } finally {
    await client.end();
  }
}
