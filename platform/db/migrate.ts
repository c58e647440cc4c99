import { readFileSync } from "node:fs";
import { join } from "node:path";
import { readMigrationFiles } from "drizzle-orm/migrator";
import { createConnection } from "mysql2/promise";
import type { Logger } from "pino";
import { ensureDatabase } from "./index.js";

/** A migration that failed: which one, which statement, and the server's message. */
export class MigrationError extends Error {
  constructor(
    readonly database: string,
    readonly tag: string,
    readonly statement: number,
    cause: unknown,
  ) {
    super(
      `migration ${tag} on ${database} failed at statement ${statement}: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
    this.name = "MigrationError";
  }
}

export interface MigrateOptions {
  url: string;
  database: string;
  /** A drizzle-kit output folder (SQL files + meta/_journal.json). */
  migrationsFolder: string;
  logger?: Logger;
  /** How long to wait for another migrator of the same database, in seconds. */
  lockTimeoutSeconds?: number;
}

/** The bookkeeping table drizzle's own migrator uses, so drizzle-kit tooling keeps working. */
const table = "__drizzle_migrations";

/**
 * Applies pending migrations of one database under a named lock (GET_LOCK), so migrators started at
 * once are safe: one applies, the others wait and then find nothing to do.
 *
 * Our own loop instead of drizzle's `migrate()` because that one takes no lock and runs every
 * pending file in one transaction, which MariaDB cannot honour (DDL commits implicitly), and its
 * errors do not say which migration failed. Here each migration is recorded only after all its
 * statements succeeded, so a failure never marks a half-applied step as done, and the error names
 * the migration and the statement.
 */
export async function migrate(opts: MigrateOptions): Promise<{ applied: string[] }> {
  await ensureDatabase(opts.url, opts.database);
  const u = new URL(opts.url);
  const conn = await createConnection({
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database: opts.database,
    timezone: "Z",
    multipleStatements: false,
  });
  const lock = `migrate:${opts.database}`.slice(0, 64);
  try {
    const [[got]] = (await conn.query("SELECT GET_LOCK(?, ?) AS got", [
      lock,
      opts.lockTimeoutSeconds ?? 120,
    ])) as unknown as [[{ got: number | null }]];
    if (got.got !== 1) throw new Error(`could not take the migration lock ${lock} (another migrator holds it)`);
    await conn.query(
      `CREATE TABLE IF NOT EXISTS \`${table}\` (id serial PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
    );
    const [rows] = (await conn.query(
      `SELECT created_at FROM \`${table}\` ORDER BY created_at DESC LIMIT 1`,
    )) as unknown as [Array<{ created_at: number | string }>];
    const last = rows[0] === undefined ? -1 : Number(rows[0].created_at);

    const journal = JSON.parse(readFileSync(join(opts.migrationsFolder, "meta", "_journal.json"), "utf8")) as {
      entries: Array<{ tag: string; when: number }>;
    };
    const files = readMigrationFiles({ migrationsFolder: opts.migrationsFolder });
    const applied: string[] = [];
    for (const [i, m] of files.entries()) {
      if (m.folderMillis <= last) continue;
      const tag = journal.entries[i]?.tag ?? String(m.folderMillis);
      const statements = m.sql.map((s) => s.trim()).filter((s) => s.length > 0);
      for (const [n, stmt] of statements.entries()) {
        try {
          await conn.query(stmt);
        } catch (e) {
          throw new MigrationError(opts.database, tag, n + 1, e);
        }
      }
      await conn.query(`INSERT INTO \`${table}\` (hash, created_at) VALUES (?, ?)`, [m.hash, m.folderMillis]);
      applied.push(tag);
      opts.logger?.info({ database: opts.database, migration: tag }, "migration applied");
    }
    return { applied };
  } finally {
    await conn.query("SELECT RELEASE_LOCK(?)", [lock]).catch(() => undefined);
    await conn.end();
  }
}
