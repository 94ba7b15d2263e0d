import { readdir } from "node:fs/promises";
import { pathToFileURL } from "node:url";

import { Migrator } from "kysely";
import type { Kysely, Migration, MigrationProvider } from "kysely";

import type { Database } from "./schema.js";

const MIGRATIONS_DIR = new URL("./migrations/", import.meta.url);
const MIGRATION_FILE = /^(\d{4}_[a-z0-9_-]+)\.(js|ts)$/;

/**
 * Finds the migrations in `src/db/migrations/` (or `dist/db/migrations/` once built): every file named
 * `NNNN_name.ts` exporting `up` and optionally `down`. They run in file-name order.
 */
class FolderMigrationProvider implements MigrationProvider {
  async getMigrations(): Promise<Record<string, Migration>> {
    const migrations: Record<string, Migration> = {};
    const files = (await readdir(MIGRATIONS_DIR)).sort();

    for (const file of files) {
      const match = MIGRATION_FILE.exec(file);
      if (match === null || file.endsWith(".d.ts")) continue;
      const name = match[1] as string;
      const module = (await import(pathToFileURL(new URL(file, MIGRATIONS_DIR).pathname).href)) as Partial<Migration>;
      if (typeof module.up !== "function") throw new Error(`Migration ${file} does not export an up(db) function.`);
      migrations[name] = { up: module.up, ...(module.down === undefined ? {} : { down: module.down }) };
    }
    return migrations;
  }
}

/**
 * Applies every migration not yet applied. Throws with the failing migration's name and error.
 * On PostgreSQL pass the schema: Kysely looks for its migration tables in every schema unless given
 * one, and would take another schema's tables for its own.
 */
export async function migrateToLatest(db: Kysely<Database>, schema?: string): Promise<string[]> {
  const migrator = new Migrator({ db, provider: new FolderMigrationProvider(), ...(schema === undefined ? {} : { migrationTableSchema: schema }) });
  const { error, results } = await migrator.migrateToLatest();

  const failed = results?.find((result) => result.status === "Error");
  if (error !== undefined) {
    const name = failed === undefined ? "" : ` ${failed.migrationName}`;
    throw new Error(`Database migration${name} failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  return (results ?? []).filter((result) => result.status === "Success").map((result) => result.migrationName);
}
