import { subscribe, unsubscribe } from "node:diagnostics_channel";

/** mysql2's diagnostics channels for one outcome (`start`, `error`) of every query and execute. */
function onStatements(outcome: "start" | "error", listener: (msg: unknown) => void): () => void {
  const channels = [`tracing:mysql2:query:${outcome}`, `tracing:mysql2:execute:${outcome}`];
  for (const c of channels) subscribe(c, listener);
  return () => {
    for (const c of channels) unsubscribe(c, listener);
  };
}

/**
 * Counts the statements MariaDB receives from this process, through mysql2's diagnostics channels
 * (every query and execute of every pool, whatever wraps the pool), for those matching `filter`.
 */
export function countStatements(filter: (s: { database: string; query: string }) => boolean): {
  count: () => number;
  stop: () => void;
} {
  let n = 0;
  const stop = onStatements("start", (msg) => {
    if (filter(msg as { database: string; query: string })) n++;
  });
  return { count: () => n, stop };
}

/**
 * Counts the statements of this process that failed with MariaDB error `errno` (e.g. 1213, a
 * deadlock victim) on `database`, through the same channels. Unlike the server's global status
 * counters (Innodb_deadlocks), it sees only this test's work when other test files run at once.
 */
export function countErrors(database: string, errno: number): { count: () => number; stop: () => void } {
  let n = 0;
  const stop = onStatements("error", (msg) => {
    const m = msg as { database?: string; error?: { errno?: number } };
    if (m.database === database && m.error?.errno === errno) n++;
  });
  return { count: () => n, stop };
}
