import type { Pool, PoolConnection } from "mysql2/promise";

/** Bounds on how long database work may wait; see {@link guardPool}. */
export interface DbLimits {
  /** A statement that has not answered after this long fails (its connection is discarded). */
  queryTimeoutMs: number;
  /** Waiting for a free connection longer than this fails fast instead of piling up. */
  acquireTimeoutMs: number;
  /** Connections of the pool (its connectionLimit): one permit each. */
  connections: number;
  /** Most callers waiting for a connection; more fail at once. */
  queueLimit: number;
}

/** The error of a wait for a free connection that took too long (a busy or unreachable server). */
export class PoolTimeoutError extends Error {
  readonly code = "POOL_QUEUE_TIMEOUT";
  constructor(ms: number) {
    super(`no database connection free within ${ms} ms`);
    this.name = "PoolTimeoutError";
  }
}

/**
 * The wait for a connection failed (timed out, or the queue was full) while the database kept
 * answering — statements answered or connections came back healthy during the wait — so the pool
 * is saturated by this process's own work: overload (RESOURCE_EXHAUSTED at the
 * RPC layer), not an outage.
 */
export class PoolBusyError extends Error {
  readonly code = "POOL_BUSY";
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "PoolBusyError";
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
  // its release gives back only its permit.
  //
  // Waiting is done here, in front of mysql2's queue, with one permit per connection: mysql2 has no
  // way to withdraw a waiter, so a caller that gave up would stay queued there and later take a
  // freed connection only to hand it back. Under a retry storm (an on-sale shedding thousands of
  // calls) freed connections then spend their time on abandoned waiters while every live caller
  // times out behind them — measured: no hold granted for a minute. A waiter that times out here
  // leaves the queue.
  let permits = limits.connections;
  const waiters = new Set<() => void>(); // insertion order: first come, first served
  const givePermit = () => {
    const next = waiters.values().next();
    if (next.done) permits++;
    else {
      waiters.delete(next.value);
      next.value();
    }
  };
  // When the server last showed it was there — a statement answered (a result or the server's
  // error) or a connection came back healthy: a failed wait with one since it began was overload. Releases alone were not enough: at an on-sale's first second the pool is
  // still opening its connections and every one that is open runs a multi-statement transaction,
  // so for 3 s nothing is released while the server answers all along — the 2,000-call race
  // answered those waits UNAVAILABLE "the database is unavailable".
  let lastAnswer = Number.NEGATIVE_INFINITY;
  const wrapConnection = (conn: PoolConnection): PoolConnection => {
    let broken: unknown;
    let released = false;
    return new Proxy(conn, {
      get(target, prop, receiver) {
        if (prop === "query" || prop === "execute") {
          const fn = Reflect.get(target, prop, target) as (q: Query, v?: unknown) => Promise<unknown>;
          return async (q: Query, v?: unknown) => {
            if (broken !== undefined) throw broken;
            try {
              const result = await fn.call(target, timed(q, limits.queryTimeoutMs), v);
              lastAnswer = performance.now();
              return result;
            } catch (e) {
              const { code, fatal } = e as { code?: unknown; fatal?: unknown };
              if (code === "PROTOCOL_SEQUENCE_TIMEOUT" || fatal === true) {
                broken = e;
                target.destroy();
              } else lastAnswer = performance.now(); // the server's own error is an answer
              throw e;
            }
          };
        }
        if (prop === "release")
          return () => {
            if (released) return;
            released = true;
            if (broken === undefined) {
              lastAnswer = performance.now();
              target.release();
            }
            givePermit();
          };
        // A caller that drops a connection (the outbox relay does when its lock connection failed)
        // hands its permit back too: passed straight through, every destroy lost one permit for
        // good, and after `connections` of them the pool refused everyone for ever — what the
        // fault suite saw after MariaDB and NATS were killed.
        if (prop === "destroy")
          return () => {
            broken ??= new Error("connection destroyed by its holder");
            target.destroy();
            if (released) return;
            released = true;
            givePermit();
          };
        const value = Reflect.get(target, prop, receiver);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  };

  /** A failed wait: overload when the server kept answering meanwhile, else the error as it is. */
  const waitFailed = (e: Error, since: number, queueFull: boolean): Error => {
    const busy = queueFull ? lastAnswer >= since - limits.acquireTimeoutMs : lastAnswer >= since;
    return busy ? new PoolBusyError(`every database connection is busy (${e.message})`, { cause: e }) : e;
  };

  const acquire = async (): Promise<PoolConnection> => {
    const since = performance.now();
    if (permits > 0) permits--;
    else {
      if (waiters.size >= limits.queueLimit) throw waitFailed(new Error("Queue limit reached."), since, true);
      await new Promise<void>((resolve, reject) => {
        const waiter = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(waitFailed(new PoolTimeoutError(limits.acquireTimeoutMs), since, false));
        }, limits.acquireTimeoutMs);
        waiters.add(waiter);
      });
    }
    // a permit is ours: the connection is free or about to be opened (bounded by what is left of the wait)
    const pending = pool.getConnection();
    let timer: NodeJS.Timeout | undefined;
    const left = Math.max(1, limits.acquireTimeoutMs - (performance.now() - since));
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PoolTimeoutError(limits.acquireTimeoutMs)), left);
    });
    try {
      return wrapConnection(await Promise.race([pending, timeout]));
    } catch (e) {
      givePermit();
      // a connection that arrives after we gave up goes straight back
      pending.then(
        (c) => c.release(),
        () => undefined,
      );
      throw e instanceof PoolTimeoutError ? waitFailed(e, since, false) : e;
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
