/**
 * Running one server process: spawning with output to a log file, waiting for readiness, retrying
 * a lost port race, stop/kill/restart, and killing children when the parent process exits.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, statSync } from "node:fs";
import type { ServerKind } from "./install.js";

/** Everything the harness runs: the three servers from Debian binaries, and the SMTP sink (node). */
export type InfraKind = ServerKind | "smtp";

import { freePort, killLeftover, logTail, sleep } from "./system.js";

export { freePort, logTail } from "./system.js";

/** One server started by the harness. */
export interface EmbeddedServer {
  readonly kind: InfraKind;
  /** mysql://root@127.0.0.1:PORT, redis://127.0.0.1:PORT, nats://127.0.0.1:PORT or smtp://127.0.0.1:PORT */
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
  kind: InfraKind;
  /** absolute data dir; used to recognise leftover processes by their command line */
  dataDir: string;
  binary: string;
  logFile: string;
  pidFile: string;
  args(port: number): string[];
  url(port: number): string;
  /**
   * Resolves when the server on `port` answers AND is the process `pid` (not some other server
   * that won the port). Must close its connections when `signal` aborts: a check can hang on a
   * port held by something that accepts but never answers.
   */
  probe(port: number, pid: number, signal: AbortSignal): Promise<void>;
  readyTimeoutMs: number;
  log: (line: string) => void;
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

const ADDRESS_IN_USE = /address already in use|EADDRINUSE/i;

type ExitInfo = { code: number | null; signal: NodeJS.Signals | null; error?: Error };
const describeExit = (e: ExitInfo) =>
  e.error
    ? `failed to spawn (${e.error.message})`
    : e.signal
      ? `was killed by ${e.signal}`
      : `exited with code ${e.code}`;

class Managed implements EmbeddedServer {
  private child: ChildProcess | undefined;
  private exit: Promise<ExitInfo> = Promise.resolve({ code: 0, signal: null });
  private exited: ExitInfo | undefined;
  port = 0;

  constructor(private readonly spec: ServerSpec) {}

  get kind(): InfraKind {
    return this.spec.kind;
  }
  get url(): string {
    return this.spec.url(this.port);
  }
  get logFile(): string {
    return this.spec.logFile;
  }
  get pid(): number | undefined {
    return this.child && !this.exited ? this.child.pid : undefined;
  }

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
      // never inherit stdio: a child holding the parent's stdout open keeps pipes (CI, `| tee`) from closing.
      // detached: a process group of its own, so Ctrl-C on `make dev` (SIGINT to the terminal's
      // foreground group) reaches the services, which drain, and not the servers they still need;
      // the parent stops the servers afterwards (or kills them when it exits).
      child = spawn(spec.binary, spec.args(port), {
        cwd: spec.dataDir,
        stdio: ["ignore", fd, fd],
        detached: true,
      });
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
    // ~100 ms polling, but the first retries come sooner: each server binds within tens of ms,
    // and fault tests restart servers often enough for the difference to add up
    for (let attempt = 0; ; attempt++) {
      if (this.exited) throw fail(`${describeExit(this.exited)} before becoming ready`);
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await this.kill();
        throw fail(`was not ready within ${spec.readyTimeoutMs} ms (last check: ${lastError})`);
      }
      try {
        if ((await this.check(child.pid ?? -1, Math.min(3000, remaining))) && !this.exited) return;
      } catch (e) {
        lastError = (e as Error).message || String(e);
      }
      await Promise.race([sleep(Math.min(100, 20 << attempt)), this.exit]);
    }
  }

  /**
   * One readiness check, bounded by `ms`; false when the process exited meanwhile (so a dead
   * server is reported at once, not after the check's own timeout).
   */
  private async check(pid: number, ms: number): Promise<boolean> {
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error(`check timed out after ${ms} ms`)), ms);
    const aborted = new Promise<never>((_, reject) => {
      ac.signal.addEventListener("abort", () => reject(ac.signal.reason as Error), { once: true });
    });
    const probe = this.spec.probe(this.port, pid, ac.signal);
    // whichever loses the race settles later: that must not be an unhandled rejection
    aborted.catch(() => undefined);
    probe.catch(() => undefined);
    try {
      return await Promise.race([probe.then(() => true), this.exit.then(() => false), aborted]);
    } finally {
      clearTimeout(timer);
      ac.abort(new Error("check finished")); // closes whatever the probe still holds open
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || this.exited) return;
    child.kill("SIGTERM");
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), 10_000)));
    const outcome = await Promise.race([this.exit, timeout]);
    clearTimeout(timer); // a pending 10 s timer would keep a finished test run alive
    if (outcome === "timeout") {
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

/** Starts the server described by `spec` on `port` (or a free one) and waits until it is ready. */
export async function launch(spec: ServerSpec, port?: number): Promise<EmbeddedServer> {
  const server = new Managed(spec);
  await server.start(port, port === undefined ? "new-port" : "none");
  return server;
}
