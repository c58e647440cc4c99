/**
 * WatchAvailability watchers in a process of their own (bench/support/watch-client.ts), so their
 * client work never shares the bench's or the server's event loop: `start` resolves once every
 * stream has its snapshot; `received` says how many messages came in so far; `stop` ends them and
 * says what they received.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

export interface WatchersOptions {
  baseUrl: string;
  eventId: string;
  count: number;
  /** HTTP/2 connections the streams are spread over. */
  connections: number;
}

export interface WatchersReport {
  messages: number;
  errors: number;
  /** Streams that ended before they were told to. */
  ended: number;
}

export interface Watchers {
  /** The watchers' process (its CPU time is read from /proc). */
  pid: number;
  /** Messages received so far, every stream together. */
  received(): Promise<number>;
  stop(): Promise<WatchersReport>;
}

export async function startWatchers(o: WatchersOptions): Promise<Watchers> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/support/watch-client.ts"], {
    cwd: root,
    env: { ...process.env, BENCH_WATCH: JSON.stringify(o) },
    stdio: ["pipe", "pipe", "inherit"],
  });
  let out = "";
  const lines: Array<Record<string, number>> = [];
  const waiters: Array<() => void> = [];
  child.stdout!.on("data", (d: Buffer) => {
    out += d.toString();
    for (let i = out.indexOf("\n"); i >= 0; i = out.indexOf("\n")) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      if (line.startsWith("{")) lines.push(JSON.parse(line) as Record<string, number>);
      for (const w of waiters.splice(0)) w();
    }
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const next = async (key: string, timeoutMs: number): Promise<Record<string, number>> => {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const at = lines.findIndex((l) => key in l);
      if (at >= 0) return lines.splice(at, 1)[0]!;
      if (child.exitCode !== null) throw new Error(`watchers exited with ${child.exitCode}`);
      if (Date.now() > until) throw new Error(`watchers: no ${key} within ${timeoutMs} ms`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  try {
    const ready = await next("ready", 120_000);
    if (ready.ready !== o.count) throw new Error(`watchers: ${ready.ready} of ${o.count} streams opened`);
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  }
  return {
    pid: child.pid!,
    async received() {
      child.stdin!.write("count\n");
      return (await next("count", 30_000)).count ?? 0;
    },
    async stop() {
      child.stdin!.end();
      const r = await next("messages", 30_000);
      await exited;
      return { messages: r.messages ?? 0, errors: r.errors ?? 0, ended: r.ended ?? 0 };
    },
  };
}
