import { subscribe, unsubscribe } from "node:diagnostics_channel";

/**
 * Counts the statements MariaDB receives from this process, through mysql2's diagnostics channels
 * (every query and execute of every pool, whatever wraps the pool), for those matching `filter`.
 */
export function countStatements(filter: (s: { database: string; query: string }) => boolean): {
  count: () => number;
  stop: () => void;
} {
  let n = 0;
  const onStart = (msg: unknown) => {
    if (filter(msg as { database: string; query: string })) n++;
  };
  const channels = ["tracing:mysql2:query:start", "tracing:mysql2:execute:start"];
  for (const c of channels) subscribe(c, onStart);
  return {
    count: () => n,
    stop: () => {
      for (const c of channels) unsubscribe(c, onStart);
    },
  };
}
