/**
 * Running one server process: free ports, spawning with output to a log file, waiting for
 * readiness, stop/kill/restart, leftover processes of crashed runs, and cleanup on parent exit.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, statSync } from "node:fs";
import { createServer } from "node:net";
import type { ServerKind } from "./install.js";

/** One server started by the harness. */
export interface EmbeddedServer {
  readonly kind: ServerKind;
  /** mysql://root@127.0.0.1:PORT, redis://127.0.0.1:PORT or nats://127.0.0.1:PORT */
  readonly url: string;
  readonly port: number;
  /** pid of the running process; undefined while stopped */
  readonly pid: number | undefined;
  /** the server's log file (stdout and stderr go there too) */
  readonly logFile: string;
  /** SIGTERM, then SIGKILL after 10 s; resolves once the process has exited. No-op when stopped. */
  stop(): Promise<void>;
  /** SIGKILL, for fault tests; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts again on the SAME port and data dir (stopping first if running). */
  restart(): Promise<void>;
}

/** Options of startMariaDb, startRedis and startNats. */
export interface StartServerOptions {
  /** The server's own directory (created if missing); for MariaDB it IS the datadir. */
  dataDir: string;
  /** Port on 127.0.0.1; default: a free one. */
  port?: number;
  /** Default 30000. */
  readyTimeoutMs?: number;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

/** Default progress sink: stderr, so test reporters on stdout stay readable. */
export const stderrLog = (line: string): void => void process.stderr.write(`[harness] ${line}\n`);

/** What differs between servers; everything else lives in {@link launch}. */
export interface ServerSpec {
  kind: ServerKind;
  /** absolute data dir; used to recognise leftover processes by their command line */
  dataDir: string;
  binary: string;
  logFile: string;
  pidFile: string;
  args(port: number): string[];
  url(port: number): string;
  /** Resolves when the server on `port` answers AND is the process `pid` (not some other server that won the port). */
  probe(port: number, pid: number): Promise<void>;
  readyTimeoutMs: number;
  log: (line: string) => void;
}

/** A port on 127.0.0.1 that was free a moment ago (the caller retries if it is taken meanwhile). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const port = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error("harness: no port from the kernel"))));
    });
  });
}

// Children still running; killed synchronously if the parent exits without stopping them
// (a crashed or process.exit()-ed test run), because 'exit' handlers cannot await anything.
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
});

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());
const ADDRESS_IN_USE = /address already in use|EADDRINUSE/i;

type ExitInfo = { code: number | null; signal: NodeJS.Signals | null; error?: Error };
const describeExit = (e: ExitInfo) =>
  e.error ? `failed to spawn (${e.error.message})` : e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;

/** Last `max` lines written to `file` since byte `from` (reads at most the last 64 KiB). */
export function logTail(file: string, from = 0, max = 30): string {
  try {
    const size = statSync(file).size;
    const start = Math.max(from, size - 65536);
    if (size <= start) return "(nothing logged)";
    const buf = Buffer.alloc(size - start);
    const fd = openSync(file, "r");
    try {
      readSync(fd, buf, 0, buf.length, start);
    } finally {
      closeSync(fd);
    }
    return buf.toString("utf8").split("\n").filter((l) => l.trim() !== "").slice(-max).join("\n");
  } catch (e) {
    return `(log unreadable: ${(e as Error).message})`;
  }
}

const isAlive = (pid: number): boolean => {
  try {
    // field 3 of /proc/PID/stat is the state; a zombie holds no ports or files any more
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
};

/** True when an argument is `dir`, under `dir`, or `--opt=` either of those. */
function mentionsDir(args: string[], dir: string): boolean {
  return args.some((a) => {
    const v = a.replace(/^--?[\w-]+=/, "");
    return v === dir || v.startsWith(dir + "/");
  });
}

/** Kills a server left running by a crashed run on this data dir (its pid file names it). */
async function killLeftover(spec: ServerSpec): Promise<void> {
  let pid: number;
  let cmdline: string;
  try {
    pid = Number.parseInt(readFileSync(spec.pidFile, "utf8").trim(), 10);
    if (!Number.isInteger(pid) || pid <= 1 || pid === process.pid) return;
    cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return; // no pid file, or that process is gone
  }
  // pids are reused: only a process whose command line names this data dir is ours to kill
  if (!isAlive(pid) || !mentionsDir(cmdline.split("\0"), spec.dataDir)) return;
  spec.log(`${spec.kind}: stopping leftover pid ${pid} still using ${spec.dataDir}`);
  process.kill(pid, "SIGTERM");
  for (let waited = 0; isAlive(pid); waited += 100) {
    if (waited === 10_000) process.kill(pid, "SIGKILL");
    if (waited > 15_000) throw new Error(`harness: leftover ${spec.kind} pid ${pid} does not die`);
    await sleep(100);
  }
}

class Managed implements EmbeddedServer {
  private child: ChildProcess | undefined;
  private exit: Promise<ExitInfo> = Promise.resolve({ code: 0, signal: null });
  private exited: ExitInfo | undefined;
  port = 0;

  constructor(private readonly spec: ServerSpec) {}

  get kind(): ServerKind { return this.spec.kind; }
  get url(): string { return this.spec.url(this.port); }
  get logFile(): string { return this.spec.logFile; }
  get pid(): number | undefined { return this.child && !this.exited ? this.child.pid : undefined; }

  /**
   * Starts on `port`. `retry`: "new-port" picks another free port when the chosen one was taken
   * between freePort() and the bind; "same-port" waits a little and tries the same port again
   * (restart); "none" fails at once (the caller asked for that exact port).
   */
  async start(port: number | undefined, retry: "new-port" | "same-port" | "none"): Promise<void> {
    await killLeftover(this.spec);
    for (let attempt = 1; ; attempt++) {
      this.port = port ?? (await freePort());
      const t0 = Date.now();
      try {
        await this.spawnAndWait();
        this.spec.log(`${this.kind}: ready on 127.0.0.1:${this.port} in ${Date.now() - t0} ms (pid ${this.pid})`);
        return;
      } catch (e) {
        const inUse = e instanceof Error && (e as Error & { addressInUse?: boolean }).addressInUse;
        if (!inUse || retry === "none" || attempt >= 5) throw e;
        this.spec.log(`${this.kind}: port ${this.port} was taken, retrying`);
        if (retry === "new-port") port = undefined;
        else await sleep(300);
      }
    }
  }

  private async spawnAndWait(): Promise<void> {
    const { spec } = this;
    const port = this.port;
    // append, so a kept data dir (make dev) keeps its history; errors quote only this run's lines
    const fd = openSync(spec.logFile, "a");
    const logStart = statSync(spec.logFile).size;
    let child: ChildProcess;
    try {
      // never inherit stdio: a child holding the parent's stdout open keeps pipes (CI, `| tee`) from closing
      child = spawn(spec.binary, spec.args(port), { cwd: spec.dataDir, stdio: ["ignore", fd, fd] });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.exited = undefined;
    live.add(child);
    this.exit = new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo) => {
        live.delete(child);
        if (this.child === child) this.exited = info;
        resolve(info);
      };
      child.once("exit", (code, signal) => done({ code, signal }));
      child.once("error", (error) => done({ code: null, signal: null, error }));
    });

    const fail = (reason: string): Error => {
      const tail = logTail(spec.logFile, logStart);
      const err = new Error(
        `harness: ${spec.kind} on 127.0.0.1:${port} ${reason}\n--- last lines of ${spec.logFile} ---\n${tail}`,
      );
      // start() retries on another port when the bind lost a race
      return Object.assign(err, { addressInUse: ADDRESS_IN_USE.test(tail) });
    };

    const deadline = Date.now() + spec.readyTimeoutMs;
    let lastError = "no probe yet";
    for (;;) {
      if (this.exited) throw fail(`${describeExit(this.exited)} before becoming ready`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await this.kill();
        throw fail(`was not ready within ${spec.readyTimeoutMs} ms (last check: ${lastError})`);
      }
      try {
        await withTimeout(spec.probe(port, child.pid ?? -1), Math.min(3000, remaining));
        if (!this.exited) return;
      } catch (e) {
        lastError = (e as Error).message || String(e);
      }
      await Promise.race([sleep(100), this.exit]);
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    child.kill("SIGTERM");
    const timer = sleep(10_000).then(() => "timeout" as const);
    if ((await Promise.race([this.exit, timer])) === "timeout") {
      this.spec.log(`${this.kind}: no exit 10 s after SIGTERM, sending SIGKILL`);
      child.kill("SIGKILL");
      await this.exit;
    }
  }

  async kill(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    child.kill("SIGKILL");
    await this.exit;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start(this.port, "same-port");
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`check timed out after ${ms} ms`)), ms);
  });
  p.catch(() => undefined); // a probe that loses the race must not become an unhandled rejection
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Starts the server described by `spec` on `port` (or a free one) and waits until it is ready. */
export async function launch(spec: ServerSpec, port?: number): Promise<EmbeddedServer> {
  const server = new Managed(spec);
  await server.start(port, port === undefined ? "new-port" : "none");
  return server;
}
