/**
 * `make bench`: the platform's request path against the ceilings measured in the same run — a bare
 * node:http server answering the same bytes and a minimal connect-node server without interceptors
 * — driven by wrk (HTTP/1.1) and h2load (h2c) at 64 connections, every figure a ratio to those
 * references; then the slower on-sale paths (Login, GetMe, cold GetEvent, cache hit ratio).
 *
 * Knobs: BENCH_SMOKE=1 (what `make test` runs: one short round; never judged), BENCH_SECONDS (per
 * measurement, default 3), BENCH_ROUNDS (default 5; scenarios are interleaved round by round and
 * each ratio is taken against the references of its own round, so a neighbour's burst on a shared
 * box moves both sides of it; medians are reported), BENCH_WARMUP (unmeasured seconds before each
 * measurement, default 2), BENCH_ONLY (a regex over scenario keys, e.g. `h1.ours`; skips the slower
 * paths), BENCH_PLATFORM=dist (the compiled program; `make bench` builds it), BENCH_NODE_FLAGS
 * (every server's Node flags), BENCH_PROFILE=dir (the platform runs under `node --cpu-prof`;
 * `make bench-profile` summarises it), BENCH_NODE_ARGS (more Node flags for the platform only).
 *
 * After the request path: the hold scenarios of the ticket service (bench/holds.ts: specific seats,
 * a hot event, GA, best available, beside the empty-RPC and raw-claim ceilings; BENCH_WATCHERS
 * watchers, default 2,000) and the purchase (bench/purchase.ts; BENCH_PURCHASE_BUYERS in flight,
 * default 32). BENCH_ONLY selects them by the
 * words `holds` and `purchase` (e.g. BENCH_ONLY=holds make bench-profile profiles the hold path).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { modules } from "../cmd/modules.js";
import { startInfra } from "../harness/index.js";
import { migrateServices } from "../platform/app/index.js";
import { generateSigningKey } from "../platform/auth/index.js";
import { serviceNames } from "../platform/config/runtime.js";
import { type Figure, load } from "./generators.js";
import { benchHolds } from "./holds.js";
import { failedCalls, platformScenarios } from "./platform-scenarios.js";
import { cpuSeconds, platformProgram, serverFlags, startPlatform, startReference } from "./processes.js";
import { benchPurchase } from "./purchase.js";
import { report } from "./report.js";
import { type Scenario, scenarios } from "./scenarios.js";
import { getEventPath, healthPath, prepare } from "./setup.js";
import { ensureGenerators } from "./tools.js";

const smoke = process.env.BENCH_SMOKE === "1";
const seconds = Number(process.env.BENCH_SECONDS ?? (smoke ? 1 : 3));
const rounds = Number(process.env.BENCH_ROUNDS ?? (smoke ? 1 : 5));
// unmeasured load before each measurement (twice as long in the first round: JIT)
// the smoke run checks that every scenario runs, not what it measures: no warm-up
const warmupSeconds = Number(process.env.BENCH_WARMUP ?? (smoke ? 0 : 2));
const only = process.env.BENCH_ONLY ? new RegExp(process.env.BENCH_ONLY) : undefined;
const profileDir = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : undefined;
const connections = 64;
const log = (line: string) => process.stderr.write(`${line}\n`);

const gens = await ensureGenerators(log);
const dir = mkdtempSync(join(tmpdir(), "boxoffice-bench-"));
const infra = await startInfra({ dataDir: dir, log: () => undefined });
const admin = { email: "bench-admin@example.com", password: `bench-admin-${randomUUID()}` };
// auth signs with this key, so the hold bench can mint thousands of buyers' tokens without
// registering each (argon2id by design); the server still verifies every token
const signingKey = await generateSigningKey(`bench-${process.pid}`);
const watchers = Number(process.env.BENCH_WATCHERS ?? (smoke ? 100 : 2000));
const wants = (word: string) => only === undefined || only.test(word);
const env: Record<string, string | undefined> = {
  ...process.env,
  BOXOFFICE_PREFIX: `bench${process.pid}`,
  BOXOFFICE_HOST: "127.0.0.1",
  BOXOFFICE_MARIADB_URL: infra.mariadbUrl,
  BOXOFFICE_REDIS_URL: infra.redisUrl,
  BOXOFFICE_NATS_URL: infra.natsUrl,
  // The log settings production runs with: info, the access log of errors only.
  BOXOFFICE_LOG_LEVEL: "info",
  BOXOFFICE_ACCESS_LOG: "errors",
  BOXOFFICE_AUTH_LOGIN_MAX_PER_EMAIL: "1000000",
  BOXOFFICE_AUTH_LOGIN_MAX_PER_ADDRESS: "1000000",
  BOXOFFICE_AUTH_REGISTER_MAX_PER_ADDRESS: "1000000",
  // every bench user registers at once, before the measured part
  BOXOFFICE_AUTH_HASH_QUEUE: "10000",
  BOXOFFICE_AUTH_ACCESS_TTL_SECONDS: "7200",
  BOXOFFICE_MAX_INFLIGHT: "10000",
  BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL: admin.email,
  BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD: admin.password,
  BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify([signingKey.privateJwk]),
  // service credentials: ticket fetches layouts from event and charges through payment
  BOXOFFICE_SERVICE_SECRETS: serviceNames.map((n) => `${n}=${n}-bench-${randomUUID()}`).join(","),
};
const stops: (() => Promise<void>)[] = [];
let exitCode = 0;
try {
  await migrateServices(
    serviceNames.map((n) => modules[n]),
    env,
  );
  const platform = await startPlatform(env, { profileDir });
  stops.push(platform.stop);
  const data = await prepare(platform.baseUrl, admin, { coldEvents: only ? 0 : smoke ? 20 : 400, users: 32 });
  const bare = await startReference({
    kind: "bare",
    routes: {
      [healthPath]: {
        json: data.responses.healthJson.toString("base64"),
        grpc: data.responses.healthBinary.toString("base64"),
      },
      [getEventPath]: {
        json: data.responses.eventJson.toString("base64"),
        grpc: data.responses.eventBinary.toString("base64"),
      },
    },
  });
  stops.push(bare.stop);
  const minimal = await startReference({ kind: "minimal", eventJson: data.responses.eventJson.toString() });
  stops.push(minimal.stop);
  const get = await fetch(
    `${platform.baseUrl}${getEventPath}?connect=v1&encoding=json&message=${encodeURIComponent(data.requests.getEventJson)}`,
  );
  const etag = get.headers.get("etag") ?? undefined;
  const list = scenarios({ bare, minimal, ours: platform.baseUrl }, data, etag).filter(
    (s) => only === undefined || only.test(s.key),
  );

  const out: string[] = [
    `Boxoffice bench: ${smoke ? "SMOKE (figures mean little)" : `${rounds} round(s) × ${seconds} s per measurement`}, ${connections} connections, ` +
      "generator, servers and infrastructure on this machine",
    `platform: boxoffice serve --services=all, ${platformProgram().label}, log level info, access log errors-only (production settings)${profileDir ? ", under --cpu-prof" : ""}`,
    `node flags of every server: ${serverFlags.join(" ") || "(none)"}`,
    ...gens.notes.map((n) => `note: ${n}`),
    "",
  ];
  const figures = new Map<string, Figure[]>(list.map((s) => [s.key, []]));
  const warmed = new Set<string>();
  for (let r = 0; r < rounds; r++) {
    for (const s of list) {
      log(`bench: round ${r + 1}/${rounds} ${s.key}`);
      const failedBefore = s.rpc ? await failedCalls(platform.adminUrl, s.rpc.service, s.rpc.method) : 0;
      const warm = warmed.has(s.key) || smoke ? warmupSeconds : 2 * warmupSeconds;
      warmed.add(s.key);
      const pid = s.server === "ours" ? platform.pid : s.server === "bare" ? bare.pid : minimal.pid;
      const f = await load(gens, s.shot, { connections, seconds, warmupSeconds: warm }, () => cpuSeconds(pid));
      if (s.rpc) f.errors += (await failedCalls(platform.adminUrl, s.rpc.service, s.rpc.method)) - failedBefore;
      figures.get(s.key)!.push(f);
    }
  }
  const verdict = report(list.map((s: Scenario) => ({ scenario: s, rounds: figures.get(s.key)! })));
  out.push(...verdict.lines);
  if (verdict.errors > 0) exitCode = 1;

  if (only === undefined) {
    const empty = verdict.rates.get("h1.ours.empty");
    const slow = await platformScenarios(platform.baseUrl, platform.adminUrl, data, {
      seconds: smoke ? 0.3 : seconds,
      concurrency: 32,
      smoke,
      emptyRpcPerSec: empty ?? 1,
    });
    out.push("", "Slower paths (in-process Node client, 32 callers, gRPC)", ...slow.lines);
    if (slow.errors > 0) exitCode = 1;
  }
  const asAdmin = { headers: { authorization: `Bearer ${data.adminToken}` } };
  let holdRate: number | undefined;
  if (wants("holds")) {
    const t0 = performance.now();
    const holds = await benchHolds({
      baseUrl: platform.baseUrl,
      pid: platform.pid,
      minimalH2: minimal.h2,
      asAdmin,
      signingKey: signingKey.privateJwk,
      mariadbUrl: infra.mariadbUrl,
      ticketDatabase: `${env.BOXOFFICE_PREFIX}_ticket`,
      servicePool: Number(env.BOXOFFICE_DB_POOL_SIZE ?? 10),
      seconds: smoke ? 0.5 : seconds,
      smoke,
      watchers,
      log,
    });
    holdRate = holds.gaRate;
    log(`bench: holds took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    out.push("", ...holds.lines);
    if (holds.errors > 0) exitCode = 1;
  }
  if (wants("purchase")) {
    log("bench: purchase");
    const purchaseBuyers = Number(process.env.BENCH_PURCHASE_BUYERS ?? (smoke ? 8 : 32));
    const t0 = performance.now();
    const purchase = await benchPurchase({
      baseUrl: platform.baseUrl,
      asAdmin,
      // a purchase takes seconds at 32 in flight here: a window of several of them
      seconds: smoke ? 0.5 : Math.max(10, 2 * seconds),
      concurrency: purchaseBuyers,
      pid: platform.pid,
      mariadbUrl: infra.mariadbUrl,
      mariadbPid: infra.started.find((s) => s.kind === "mariadb")?.pid,
      adminUrl: platform.adminUrl,
    });
    out.push(
      "",
      `Purchase (hold → Checkout sandbox_ok → CONFIRMED; in-process Node client, ${purchaseBuyers} buyers, gRPC)`,
      ...purchase.lines.map((l) => `  ${l}`),
      ...(holdRate === undefined
        ? []
        : [`  (GA holds of 64 new buyers in the hold scenarios above: ${holdRate.toFixed(0)}/s)`]),
    );
    if (purchase.errors > 0) exitCode = 1;
    log(`bench: purchase took ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (exitCode !== 0) out.push("", "errors during the run: see the ERRORS marks above");
  process.stdout.write(`${out.join("\n")}\n`);
} catch (e) {
  log(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
  exitCode = 1;
} finally {
  for (const stop of stops.reverse()) await stop();
  await infra.stop();
  rmSync(dir, { recursive: true, force: true });
}
if (profileDir) log(`bench: CPU profile(s) of the platform in ${profileDir}`);
process.exit(exitCode);
