import type { PoolConnection } from "mysql2/promise";
import type { Db } from "../db/index.js";
import type { Logger } from "../log/index.js";

/** A background job a service runs every so often (a sweeper, a pruner). */
export interface PeriodicJobSpec {
  /** Unique within the service: in logs, and the name of its lock. */
  name: string;
  /** The pause between the end of one run and the start of the next. */
  everyMs: number;
  /** Delay before the first run; default a random part of `everyMs`, so replicas do not start in step. */
  firstRunMs?: number;
  /**
   * One replica at a time: each run takes a MariaDB named lock (GET_LOCK, no waiting) on the
   * service's database and a replica that does not get it skips that run. Leave it off for work
   * that is safe everywhere at once (conditional updates, `SKIP LOCKED` batches).
   */
  exclusive?: boolean;
  /** The work. `signal` aborts when the process stops: check it between batches. */
  run(signal: AbortSignal): Promise<void>;
}

/** A started job. */
export interface PeriodicJob {
  readonly name: string;
  /** Runs once now, waiting for a run in progress first; false when another replica held the lock. */
  runNow(): Promise<boolean>;
  /** No new runs; aborts the signal and waits for the run in progress. */
  stop(): Promise<void>;
}

/**
 * Starts `spec` on timers that do not keep the process alive. Runs never overlap in one process;
 * with `exclusive`, not across replicas either. A failing run is logged and the schedule goes on.
 */
export function startPeriodicJob(spec: PeriodicJobSpec, env: { db?: Db; logger: Logger }): PeriodicJob {
  if (spec.exclusive && env.db === undefined)
    throw new Error(`job ${spec.name}: exclusive needs the service's database`);
  const log = env.logger.child({ job: spec.name });
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<boolean> | undefined;
  let stopped = false;

  const once = async (): Promise<boolean> => {
    let conn: PoolConnection | undefined;
    const lock = `${env.db?.name}:${spec.name}`.slice(0, 64);
    try {
      if (spec.exclusive) {
        conn = await env.db!.pool.getConnection();
        const [rows] = await conn.query("SELECT GET_LOCK(?, 0) AS got", [lock]);
        if ((rows as Array<{ got: number | null }>)[0]?.got !== 1) return false;
      }
      await spec.run(abort.signal);
      return true;
    } catch (err) {
      if (!abort.signal.aborted) log.warn({ err }, "periodic job failed; next run as scheduled");
      return true;
    } finally {
      if (conn !== undefined) {
        await conn.query("SELECT RELEASE_LOCK(?)", [lock]).catch(() => undefined);
        conn.release();
      }
    }
  };
  const runNow = async (): Promise<boolean> => {
    while (current !== undefined) await current;
    if (stopped) return false;
    current = once().finally(() => (current = undefined));
    return current;
  };
  const schedule = (ms: number) => {
    if (stopped) return;
    timer = setTimeout(() => {
      void runNow().finally(() => schedule(spec.everyMs));
    }, ms);
    timer.unref();
  };
  schedule(spec.firstRunMs ?? Math.floor(Math.random() * spec.everyMs));
  return {
    name: spec.name,
    runNow,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      abort.abort(new Error(`job ${spec.name} stopped`));
      await current;
    },
  };
}
