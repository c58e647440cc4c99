import { ExponentialBackoff, handleWhen, retry } from "cockatiel";
import { drizzle, type MySql2Database } from "drizzle-orm/mysql2";
import { createConnection, createPool, type Pool, type PoolOptions } from "mysql2/promise";
import type { Logger } from "pino";
import { isRetryableTxError } from "./errors.js";
import { guardPool } from "./guard.js";

export { isDatabaseBusy, isDatabaseUnavailable, isDuplicateKey, isRetryableTxError, mysqlErrno } from "./errors.js";
export { PoolBusyError, PoolTimeoutError } from "./guard.js";

/** A service's database handle: a drizzle instance over its own pool. */
export interface Db {
  readonly name: string;
  readonly orm: MySql2Database;
  readonly pool: Pool;
  close(): Promise<void>;
}

export interface DbOptions {
  /** Server URL without a database, e.g. `mysql://root@127.0.0.1:3306`. */
  url: string;
  /** The database, `<prefix>_<service>`. */
  database: string;
  /** Connections in this pool (see the budget in docs/data.md). */
  poolSize: number;
  logger?: Logger;
  /** Statement timeout, ms (default 10 s): a statement of the hot path takes milliseconds. */
  queryTimeoutMs?: number;
  /** Longest wait for a free connection, ms (default 3 s). */
  acquireTimeoutMs?: number;
  /** Most callers queued for a connection (default 50 per connection); more fail at once. */
  queueLimit?: number;
}

/**
 * Session defaults for every connection: READ COMMITTED (REPEATABLE READ gap locks cost 4× on the
 * seat-claim path, see docs/data.md) and UTC. mysql2's `timezone: 'Z'` makes it read and write
 * DATETIMEs as UTC too; without it they are taken as local time.
 */
const sessionSetup = [
  // MariaDB 10.11 has no `transaction_isolation` variable (11.1 added it); this syntax works on both.
  "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED",
  "SET SESSION time_zone = '+00:00'",
];

function poolOptions(url: string, database: string | undefined, poolSize: number): PoolOptions {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 3306),
    user: decodeURIComponent(u.username || "root"),
    password: decodeURIComponent(u.password),
    database,
    connectionLimit: poolSize,
    maxIdle: poolSize,
    idleTimeout: 60_000,
    waitForConnections: true,
    queueLimit: 0,
    connectTimeout: 5_000,
    timezone: "Z",
    charset: "utf8mb4_unicode_ci",
    supportBigNumbers: true,
    bigNumberStrings: false,
    enableKeepAlive: true,
  };
}

/** Opens a pool on `database` with the platform's session defaults. The database must exist. */
export function createDb(opts: DbOptions): Db {
  const raw = createPool({
    ...poolOptions(opts.url, opts.database, opts.poolSize),
    queueLimit: opts.queueLimit ?? opts.poolSize * 50,
  });
  const pool = guardPool(raw, {
    queryTimeoutMs: opts.queryTimeoutMs ?? 10_000,
    acquireTimeoutMs: opts.acquireTimeoutMs ?? 3_000,
    connections: opts.poolSize,
    queueLimit: opts.queueLimit ?? opts.poolSize * 50,
  });
  // Runs on every new physical connection before it is handed out.
  // Queries on one connection run in order, so these finish before the connection's first use.
  raw.pool.on("connection", (conn) => {
    for (const stmt of sessionSetup) {
      conn.query(stmt, (err: unknown) => {
        if (err) opts.logger?.error({ err, stmt }, "session setup failed");
      });
    }
  });
  return {
    name: opts.database,
    orm: drizzle(pool),
    pool,
    close: () => raw.end(),
  };
}

/** Creates `database` if it does not exist (utf8mb4). */
export async function ensureDatabase(url: string, database: string): Promise<void> {
  assertIdentifier(database);
  const conn = await createConnection(poolOptions(url, undefined, 1));
  try {
    await conn.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
}

/** Drops every database whose name starts with `prefix_` (test clean-up). */
export async function dropDatabases(url: string, prefix: string): Promise<string[]> {
  assertIdentifier(prefix);
  const conn = await createConnection(poolOptions(url, undefined, 1));
  try {
    const [rows] = await conn.query(
      "SELECT schema_name AS name FROM information_schema.schemata WHERE schema_name LIKE ?",
      [`${prefix.replace(/_/g, "\\_")}\\_%`],
    );
    const names = (rows as Array<{ name: string }>).map((r) => r.name);
    for (const name of names) await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
    return names;
  } finally {
    await conn.end();
  }
}

function assertIdentifier(name: string): void {
  if (!/^[A-Za-z0-9_]{1,64}$/.test(name)) throw new Error(`not a safe database name: ${JSON.stringify(name)}`);
}

export type Tx = Parameters<Parameters<MySql2Database["transaction"]>[0]>[0];

/** Work to do once a transaction has committed (cache invalidation, relay wake-up, stream notifications). */
export type CommitHook = () => Promise<void> | void;

const commitHooks = new WeakMap<Tx, CommitHook[]>();

/**
 * Runs `hook` after the transaction `tx` commits, never if it rolls back. Only transactions opened
 * by {@link withTransaction} take hooks; each retry of a deadlocked transaction starts with none,
 * so only the attempt that committed runs its hooks. Hooks run in the order they were added.
 */
export function afterCommit(tx: Tx, hook: CommitHook): void {
  const hooks = commitHooks.get(tx);
  if (hooks === undefined) throw new Error("afterCommit: the transaction was not opened by withTransaction");
  hooks.push(hook);
}

/**
 * The one transaction helper: runs `fn` in a transaction and retries the whole transaction on
 * deadlock (1213) and lock-wait timeout (1205), up to `attempts` times with jittered exponential
 * backoff (cockatiel's decorrelated jitter). `fn` must be safe to re-run: everything it does is
 * inside the transaction, which rolled back. After the commit it runs the hooks added with
 * {@link afterCommit}, all of them, and then rethrows the first hook error if any failed (the
 * change is committed; a caller that retries with the same request id gets the replay).
 */
export async function withTransaction<T>(
  db: Db,
  fn: (tx: Tx) => Promise<T>,
  opts: { attempts?: number } = {},
): Promise<T> {
  const policy = retry(handleWhen(isRetryableTxError), {
    maxAttempts: (opts.attempts ?? 5) - 1,
    backoff: new ExponentialBackoff({ initialDelay: 10, maxDelay: 500 }),
  });
  let hooks: CommitHook[] = [];
  const result = await policy.execute(() =>
    db.orm.transaction((tx) => {
      hooks = [];
      commitHooks.set(tx, hooks);
      return fn(tx);
    }),
  );
  let failure: { error: unknown } | undefined;
  for (const hook of hooks) {
    try {
      await hook();
    } catch (error) {
      failure ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
  return result;
}
