import type { Pool, PoolConnection } from "mysql2/promise";

/** Bounds on how long database work may wait; see {@link guardPool}. */
export interface DbLimits {
  /** A statement that has not answered after this long fails (its connection is discarded). */
  queryTimeoutMs: number;
  /** Waiting for a free connection longer than this fails fast instead of piling up. */
  acquireTimeoutMs: number;
}

/** The error of a wait for a free connection that took too long (a busy or unreachable server). */
export class PoolTimeoutError extends Error {
  readonly code = "POOL_QUEUE_TIMEOUT";
  constructor(ms: number) {
    super(`no database connection free within ${ms} ms`);
    this.name = "PoolTimeoutError";
  }
}

type Query = Parameters<Pool["query"]>[0];

/** The statement with a client-side timeout, unless it brings its own. */
function timed(q: Query, ms: number): Query {
  if (typeof q === "string") return { sql: q, timeout: ms };
  if (q !== null && typeof q === "object" && (q as { timeout?: number }).timeout === undefined)
    return { ...(q as object), timeout: ms } as Query;
  return q;
}

/**
 * Wraps a mysql2 pool so no caller can wait forever on the database: every statement (drizzle's
 * included, inside transactions too) gets a client-side timeout, and taking a connection is bounded
 * by `acquireTimeoutMs` (the pool's own queue has no time bound). With MariaDB black-holed,
 * requests fail within the limits — the RPC layer answers UNAVAILABLE — instead of piling up until
 * load shedding refuses everything, cached reads included. mysql2 has no acquire timeout of its
 * own, hence this small wrapper rather than a library.
 */
export function guardPool(pool: Pool, limits: DbLimits): Pool {
  // mysql2 starts a statement's timer only when the statement starts, and a timed-out statement
  // leaves its connection busy: the next statement on it would wait forever. So a connection whose
  // statement timed out (or failed fatally) is destroyed, later statements on it fail at once, and
  // its release is a no-op.
  const wrapConnection = (conn: PoolConnection): PoolConnection => {
    let broken: unknown;
    return new Proxy(conn, {
      get(target, prop, receiver) {
        if (prop === "query" || prop === "execute") {
          const fn = Reflect.get(target, prop, target) as (q: Query, v?: unknown) => Promise<unknown>;
          return async (q: Query, v?: unknown) => {
            if (broken !== undefined) throw broken;
            try {
              return await fn.call(target, timed(q, limits.queryTimeoutMs), v);
            } catch (e) {
              const { code, fatal } = e as { code?: unknown; fatal?: unknown };
              if (code === "PROTOCOL_SEQUENCE_TIMEOUT" || fatal === true) {
                broken = e;
                target.destroy();
              }
              throw e;
            }
          };
        }
        if (prop === "release") return () => (broken === undefined ? target.release() : undefined);
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };

  const acquire = async (): Promise<PoolConnection> => {
    const pending = pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PoolTimeoutError(limits.acquireTimeoutMs)), limits.acquireTimeoutMs);
    });
    try {
      return wrapConnection(await Promise.race([pending, timeout]));
    } catch (e) {
      // a connection that arrives after we gave up goes straight back
      pending.then(
        (c) => c.release(),
        () => undefined,
      );
      throw e;
    } finally {
      clearTimeout(timer);
    }
  };

  const run = (method: "query" | "execute") => async (q: Query, v?: unknown) => {
    const conn = await acquire();
    try {
      return await (conn[method] as (q: Query, v?: unknown) => Promise<unknown>)(q, v);
    } finally {
      conn.release();
    }
  };

  return new Proxy(pool, {
    get(target, prop, receiver) {
      if (prop === "getConnection") return acquire;
      if (prop === "query") return run("query");
      if (prop === "execute") return run("execute");
      const value = Reflect.get(target, prop, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
