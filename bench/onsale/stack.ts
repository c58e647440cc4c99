/**
 * A whole Boxoffice on this machine for the on-sale bench and the fault suite: its own MariaDB,
 * Redis, NATS and SMTP sink (started by the harness, so they can be killed and restarted), fresh
 * secrets, migrations, then the services as child processes of `bin/boxoffice serve` — one
 * process for everything (`all`) or one per service (`split`, addressed through
 * BOXOFFICE_<SVC>_URL as in the cluster and in `make dev-split`). Child processes, never
 * in-process services: the load generator must not share an event loop with the servers, and the
 * fault suite SIGKILLs them. With BENCH_PLATFORM=dist (what `make chaos`, `make chaos-short` and
 * `make test` set after `make build`) the children run the compiled program as the container image
 * does — a process is ready in ~1 s instead of the 10–50 s tsx needs to compile on a busy box,
 * which is most of a killed service's "down" time; without it, through tsx (ad-hoc runs, no build).
 */
import { type ChildProcess, type StdioOptions, spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, writeSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { modules } from "../../cmd/modules.js";
import { type EmbeddedServer, type Infra, type InfraKind, startInfra } from "../../harness/index.js";
import { freePort } from "../../harness/system.js";
import { migrateServices } from "../../platform/app/index.js";
import { generateSigningKey } from "../../platform/auth/index.js";
import { sleep } from "../../platform/clock/index.js";
import { type ServiceName, serviceNames } from "../../platform/config/runtime.js";
import { type DevSecrets, devSecrets, secretsEnv } from "../../scripts/dev-secrets.js";
import { splitUrls } from "../../scripts/split-ports.js";
import { platformProgram } from "../processes.js";

const root = fileURLToPath(new URL("../../", import.meta.url));

/** `boxoffice <args>` as a child process: the compiled program or tsx, as BENCH_PLATFORM says. */
export function spawnBoxoffice(
  args: readonly string[],
  o: { env: Record<string, string>; stdio: StdioOptions },
): ChildProcess {
  return spawn(process.execPath, [...platformProgram().args, ...args], { cwd: root, env: o.env, stdio: o.stdio });
}

export type StackMode = "all" | "split";

/** One `boxoffice serve` child: the services it runs, its ports, and the fault suite's levers. */
export interface ServiceProc {
  /** "all" in all-in-one mode, else the service's name. */
  readonly name: string;
  readonly services: readonly ServiceName[];
  readonly port: number;
  readonly adminPort: number;
  readonly logFile: string;
  readonly pid: number | undefined;
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same ports; resolves when /readyz answers 200. */
  start(): Promise<void>;
  /** SIGTERM (drain), SIGKILL after 20 s. */
  stop(): Promise<void>;
}

export interface Stack {
  readonly mode: StackMode;
  readonly dataDir: string;
  readonly infra: Infra;
  readonly secrets: DevSecrets;
  /** The environment every child gets (URLs, prefix, secrets). */
  readonly env: Record<string, string>;
  readonly prefix: string;
  readonly procs: readonly ServiceProc[];
  /** The process serving `service`. */
  procOf(service: ServiceName): ServiceProc;
  /** Base URL of the one port serving `service`. */
  urlOf(service: ServiceName): string;
  /** /metrics of every process. */
  metricsUrls(): string[];
  /** An infrastructure server the harness started (for kill/restart). */
  server(kind: InfraKind): EmbeddedServer;
  /** Stops the services (drain), then the infrastructure; removes the data dir unless `keep`. */
  stop(): Promise<void>;
}

export interface StackOptions {
  mode: StackMode;
  /** Created if missing; removed by stop() unless `keep`. */
  dataDir: string;
  keep?: boolean;
  /** Extra variables for every service process (tuning, sandbox knobs). */
  env?: Record<string, string>;
  log?: (line: string) => void;
  /** Where each process's output goes (`<name>.log`); default `<dataDir>/logs` (removed with it). */
  logDir?: string;
  /** Longest wait for a process to become ready (default 120 s: five tsx starts on two busy cores). */
  readyTimeoutMs?: number;
}

// Children still running are killed if this process exits without stopping them.
const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const c of live) c.kill("SIGKILL");
});

/** Starts infrastructure, migrations and the service processes of `mode`. */
export async function startStack(o: StackOptions): Promise<Stack> {
  const log = o.log ?? ((l: string) => process.stderr.write(`stack: ${l}\n`));
  const dataDir = resolve(o.dataDir);
  const logDir = resolve(o.logDir ?? join(dataDir, "logs"));
  mkdirSync(logDir, { recursive: true });
  // env {}: always our own servers, even when the shell names running ones: the fault suite kills them
  const infra = await startInfra({ dataDir, keep: o.keep, env: {}, log: (l) => log(`infra: ${l}`) });
  const procs: ManagedProc[] = [];
  try {
    const secrets = await devSecrets(dataDir);
    // dev secrets have no ticket signing key: each ticket process would sign with an ephemeral one,
    // and a restarted process could no longer verify the codes it issued before
    const ticketKey = (await generateSigningKey("onsale-tickets")).privateJwk;
    const groups: Array<{ name: string; services: ServiceName[] }> =
      o.mode === "all"
        ? [{ name: "all", services: [...serviceNames] }]
        : serviceNames.map((s) => ({ name: s, services: [s] }));
    const ports = await Promise.all(groups.map(async () => ({ port: await freePort(), adminPort: await freePort() })));
    const portOf = (s: ServiceName) => ports[groups.findIndex((g) => g.services.includes(s))]!;
    const byService = {} as Record<ServiceName, { port: number }>;
    for (const s of serviceNames) byService[s] = portOf(s);
    const prefix = "onsale";
    const env: Record<string, string> = {
      // the shell's BOXOFFICE_* settings would point the children elsewhere
      ...Object.fromEntries(
        Object.entries(process.env).filter(
          (e): e is [string, string] => !e[0].startsWith("BOXOFFICE_") && e[1] !== undefined,
        ),
      ),
      ...secretsEnv(secrets),
      BOXOFFICE_PREFIX: prefix,
      BOXOFFICE_HOST: "127.0.0.1",
      BOXOFFICE_LOG_LEVEL: "warn",
      BOXOFFICE_MARIADB_URL: infra.mariadbUrl,
      BOXOFFICE_REDIS_URL: infra.redisUrl,
      BOXOFFICE_NATS_URL: infra.natsUrl,
      BOXOFFICE_SMTP_URL: infra.smtpUrl,
      BOXOFFICE_JWKS_URL: `http://127.0.0.1:${portOf("auth").port}/.well-known/jwks.json`,
      BOXOFFICE_TICKET_SIGNING_KEYS: JSON.stringify([ticketKey]),
      ...(o.mode === "split" ? splitUrls(byService) : {}),
      ...o.env,
    };
    await migrateServices(
      serviceNames.map((n) => modules[n]),
      env,
    );
    for (const [i, g] of groups.entries())
      procs.push(
        new ManagedProc(g.name, g.services, ports[i]!, env, join(logDir, `${g.name}.log`), o.readyTimeoutMs ?? 120_000),
      );
    const t0 = Date.now();
    await Promise.all(procs.map((p) => p.start()));
    log(`${o.mode}: ${procs.length} process(es) ready in ${Date.now() - t0} ms (${platformProgram().label})`);
    const procOf = (s: ServiceName) => procs.find((p) => p.services.includes(s))!;
    let stopping: Promise<void> | undefined;
    return {
      mode: o.mode,
      dataDir,
      infra,
      secrets,
      env,
      prefix,
      procs,
      procOf,
      urlOf: (s) => `http://127.0.0.1:${procOf(s).port}`,
      metricsUrls: () => procs.map((p) => `http://127.0.0.1:${p.adminPort}/metrics`),
      server(kind) {
        const s = infra.started.find((x) => x.kind === kind);
        if (s === undefined) throw new Error(`the stack did not start ${kind}`);
        return s;
      },
      stop() {
        stopping ??= (async () => {
          await Promise.all(procs.map((p) => p.stop()));
          await infra.stop();
        })();
        return stopping;
      },
    };
  } catch (e) {
    await Promise.allSettled(procs.map((p) => p.stop()));
    await infra.stop();
    throw e;
  }
}

class ManagedProc implements ServiceProc {
  #child: ChildProcess | undefined;
  readonly port: number;
  readonly adminPort: number;

  constructor(
    readonly name: string,
    readonly services: readonly ServiceName[],
    ports: { port: number; adminPort: number },
    private readonly env: Record<string, string>,
    readonly logFile: string,
    private readonly readyTimeoutMs: number,
  ) {
    this.port = ports.port;
    this.adminPort = ports.adminPort;
  }

  get pid(): number | undefined {
    const c = this.#child;
    return c && c.exitCode === null && c.signalCode === null ? c.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.pid !== undefined) return;
    const fd = openSync(this.logFile, "a");
    writeSync(fd, `\n--- ${new Date().toISOString()} start ${this.name}\n`);
    const child = spawnBoxoffice(["serve", `--services=${this.services.join(",")}`], {
      env: { ...this.env, BOXOFFICE_PORT: String(this.port), BOXOFFICE_ADMIN_PORT: String(this.adminPort) },
      stdio: ["ignore", fd, fd],
    });
    closeSync(fd);
    this.#child = child;
    live.add(child);
    child.once("exit", () => live.delete(child));
    const deadline = Date.now() + this.readyTimeoutMs;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null)
        throw new Error(
          `${this.name} exited (${child.signalCode ?? child.exitCode}) before it was ready; see ${this.logFile}`,
        );
      const ok = await fetch(`http://127.0.0.1:${this.adminPort}/readyz`, { signal: AbortSignal.timeout(2_000) }).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) return;
      await sleep(100);
    }
    throw new Error(`${this.name} was not ready within ${this.readyTimeoutMs} ms; see ${this.logFile}`);
  }

  kill(): Promise<void> {
    return this.#signal("SIGKILL", 0);
  }

  stop(): Promise<void> {
    return this.#signal("SIGTERM", 20_000);
  }

  async #signal(signal: NodeJS.Signals, killAfterMs: number): Promise<void> {
    const child = this.#child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill(signal);
    const t = killAfterMs > 0 ? setTimeout(() => child.kill("SIGKILL"), killAfterMs) : undefined;
    await exited;
    clearTimeout(t);
  }
}
