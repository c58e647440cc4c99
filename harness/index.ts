/**
 * Local infrastructure for Boxoffice: MariaDB, Redis and NATS JetStream started from the Debian
 * binaries on free ports in a data dir of their own, and an SMTP sink (node, storing each message
 * as an .eml in `<dataDir>/mail`), for `make dev` and the test suites. Never uses the servers on
 * the standard ports (3306/6379/4222/25); URLs given in the environment (BOXOFFICE_MARIADB_URL,
 * BOXOFFICE_REDIS_URL, BOXOFFICE_NATS_URL, BOXOFFICE_SMTP_URL) are used instead of starting.
 *
 * This file is the harness's one public entry point.
 */
import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { ensureBinaries, type ServerKind } from "./install.js";
import { startMariaDb } from "./mariadb.js";
import { startNats } from "./nats.js";
import { type EmbeddedServer, type InfraKind, type StartServerOptions, stderrLog } from "./process.js";
import { startRedis } from "./redis.js";
import { type SmtpSink, startSmtpSink } from "./smtp.js";

export type { ServerKind } from "./install.js";
export { startMariaDb } from "./mariadb.js";
export { startNats } from "./nats.js";
export type { EmbeddedServer, InfraKind, StartServerOptions } from "./process.js";
export { startRedis } from "./redis.js";
export {
  type Fault,
  listMail,
  type SinkStatus,
  type SmtpSink,
  SmtpSinkControl,
  type StartSmtpSinkOptions,
  type StoredMail,
  startSmtpSink,
} from "./smtp.js";

/** Where the servers are. */
export interface InfraUrls {
  /** mysql://root@127.0.0.1:PORT */
  mariadbUrl: string;
  /** redis://127.0.0.1:PORT */
  redisUrl: string;
  /** nats://127.0.0.1:PORT */
  natsUrl: string;
  /** smtp://127.0.0.1:PORT */
  smtpUrl: string;
}

/**
 * Running infrastructure. A URL is "" for a server that was neither requested (`only`) nor given
 * in the environment.
 */
export interface Infra extends InfraUrls {
  /** servers this harness started (empty when all came from the environment) */
  readonly started: readonly EmbeddedServer[];
  /** the SMTP sink this harness started, if it did (its fault switch is `sink.fail()`) */
  readonly smtpSink: SmtpSink | undefined;
  /** where the sink stores mail (`<dataDir>/mail`); "" when BOXOFFICE_SMTP_URL was given */
  readonly mailDir: string;
  /** Stops what this harness started and removes dataDir unless `keep`. Idempotent. */
  stop(): Promise<void>;
}

/** Options of {@link startInfra}. */
export interface StartInfraOptions {
  /** Data directory for embedded servers; created if missing. Kept across runs when `keep` is true (make dev), else removed by stop(). */
  dataDir: string;
  keep?: boolean;
  /** Which servers (default all four). */
  only?: Array<InfraKind>;
  /** Environment to read BOXOFFICE_MARIADB_URL / BOXOFFICE_REDIS_URL / BOXOFFICE_NATS_URL / BOXOFFICE_SMTP_URL from (default process.env). A server whose URL is given is used as is, not started. */
  env?: Record<string, string | undefined>;
  /** Per server; default 30000. */
  readyTimeoutMs?: number;
  /** Progress lines; default stderr. */
  log?: (line: string) => void;
}

const ALL: readonly InfraKind[] = ["mariadb", "redis", "nats", "smtp"];
const ENV: Record<InfraKind, string> = {
  mariadb: "BOXOFFICE_MARIADB_URL",
  redis: "BOXOFFICE_REDIS_URL",
  nats: "BOXOFFICE_NATS_URL",
  smtp: "BOXOFFICE_SMTP_URL",
};
const isBinary = (k: InfraKind): k is ServerKind => k !== "smtp";

/**
 * Starts the servers that are requested and not given by URL in `env`, concurrently, each in
 * `<dataDir>/<kind>`. If one fails, the others are stopped again before the error is thrown.
 */
export async function startInfra(opts: StartInfraOptions): Promise<Infra> {
  const log = opts.log ?? stderrLog;
  const env = opts.env ?? process.env;
  const dataDir = resolve(opts.dataDir);
  const wanted = new Set(opts.only ?? ALL);
  const urls: Record<InfraKind, string> = { mariadb: "", redis: "", nats: "", smtp: "" };
  const toStart: InfraKind[] = [];
  for (const kind of ALL) {
    const given = env[ENV[kind]]?.trim();
    if (given) {
      urls[kind] = given;
      log(`${kind}: using ${ENV[kind]}=${given}`);
    } else if (wanted.has(kind)) {
      toStart.push(kind);
    }
  }

  const cleanup = () => {
    // a mistyped dataDir of "/" or "/home" must not cost the machine its files
    if (!opts.keep && dataDir.split("/").filter(Boolean).length >= 2) rmSync(dataDir, { recursive: true, force: true });
  };
  let started: EmbeddedServer[] = [];
  if (toStart.length > 0) {
    mkdirSync(dataDir, { recursive: true });
    const t0 = Date.now();
    try {
      // one lookup for all, so missing packages are installed in a single apt-get call
      await ensureBinaries(toStart.filter(isBinary), { log });
    } catch (e) {
      cleanup();
      throw e;
    }
    const starters: Record<InfraKind, (o: StartServerOptions) => Promise<EmbeddedServer>> = {
      mariadb: startMariaDb,
      redis: startRedis,
      nats: startNats,
      smtp: (o) => startSmtpSink({ ...o, mailDir: join(dataDir, "mail") }),
    };
    const results = await Promise.allSettled(
      toStart.map((kind) => starters[kind]({ dataDir: join(dataDir, kind), readyTimeoutMs: opts.readyTimeoutMs, log })),
    );
    started = results.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    const failures = results.flatMap((r) => (r.status === "rejected" ? [r.reason as Error] : []));
    if (failures.length > 0) {
      await Promise.allSettled(started.map((s) => s.stop()));
      cleanup();
      if (failures.length === 1) throw failures[0];
      throw new AggregateError(failures, failures.map((f) => f.message).join("\n\n"));
    }
    for (const s of started) urls[s.kind] = s.url;
    log(`infra ready in ${Date.now() - t0} ms (${started.map((s) => `${s.kind} ${s.port}`).join(", ")})`);
  }

  let stopping: Promise<void> | undefined;
  const smtpSink = started.find((s): s is SmtpSink => s.kind === "smtp");
  return {
    mariadbUrl: urls.mariadb,
    redisUrl: urls.redis,
    natsUrl: urls.nats,
    smtpUrl: urls.smtp,
    smtpSink,
    mailDir: smtpSink?.mailDir ?? "",
    started,
    stop() {
      stopping ??= (async () => {
        await Promise.all(started.map((s) => s.stop()));
        if (started.length > 0) cleanup();
      })();
      return stopping;
    },
  };
}
