/**
 * Refusal against grant, one caller at a time (issue 12's "a refusal no slower than a grant"),
 * measured alone and precisely: the platform's on-CPU time per call from the kernel's per-thread
 * scheduler counters (`/proc/<pid>/task/<tid>/schedstat`, nanoseconds, every thread — /proc/stat's
 * 10 ms ticks are too coarse for a ~3 ms call), MariaDB's likewise, the statements MariaDB received
 * (`Questions`) and the latency. Grants are pairs of seats nobody holds, each by a new buyer;
 * refusals are the pairs granted just before, asked by new buyers (a refusal rolls its buyer row
 * back). Batches alternate within each round, so a neighbour's load moves both sides alike.
 *
 *   node --import tsx bench/refusal.ts                 # BENCH_PLATFORM=dist: the compiled program
 *   BENCH_PROFILE=dir node --import tsx bench/refusal.ts
 *
 * Knobs: REFUSAL_ROUNDS (default 40), REFUSAL_BATCH (calls per batch, default 20). With
 * BENCH_PROFILE the platform runs under `--cpu-prof` and, after the rounds, a grants-only and a
 * refusals-only phase (REFUSAL_PROFILE_CALLS each, default 1,500) are cut out of the profile by time
 * and compared function by function, per call. REFUSAL_SQL=1 times, on the bench's own rows, the
 * refusal's count of free seats as claim_seats did it before migration 0009 (a scan of the section
 * from its first seat) and as it does now (the index of free seats).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { createPool } from "mysql2/promise";
import { modules } from "../cmd/modules.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { TicketService } from "../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { startInfra } from "../harness/index.js";
import { migrateServices } from "../platform/app/index.js";
import { generateSigningKey, signAccessToken } from "../platform/auth/index.js";
import { serviceNames } from "../platform/config/runtime.js";
import { Health } from "../platform/health/index.js";
import { platformProgram, startPlatform } from "./processes.js";
import { area } from "./profile-summary.js";
import { prepare } from "./setup.js";

const rounds = Number(process.env.REFUSAL_ROUNDS ?? 40);
const batch = Number(process.env.REFUSAL_BATCH ?? 20);
const settleMs = Number(process.env.REFUSAL_SETTLE_MS ?? 700);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const profileCalls = Number(process.env.REFUSAL_PROFILE_CALLS ?? 1500);
const profileDir = process.env.BENCH_PROFILE ? resolve(process.env.BENCH_PROFILE) : undefined;
const log = (line: string) => process.stderr.write(`${line}\n`);

/** On-CPU nanoseconds of every thread of `pid` so far (schedstat's first field). */
function cpuNs(pid: number): number {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "latin1").split(" ")[0]);
    } catch {
      // a thread that ended meanwhile
    }
  }
  return total;
}

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.floor(p * xs.length)] ?? Number.NaN;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const f2 = (x: number) => x.toFixed(2);

const dir = mkdtempSync(join(tmpdir(), "boxoffice-refusal-"));
const infra = await startInfra({ dataDir: dir, log: () => undefined });
const mariadbPid = infra.started.find((s) => s.kind === "mariadb")?.pid;
const admin = { email: "bench-admin@example.com", password: `bench-admin-${randomUUID()}` };
const signingKey = await generateSigningKey(`bench-${process.pid}`);
const env: Record<string, string | undefined> = {
  ...process.env,
  BOXOFFICE_PREFIX: `refusal${process.pid}`,
  BOXOFFICE_HOST: "127.0.0.1",
  BOXOFFICE_MARIADB_URL: infra.mariadbUrl,
  BOXOFFICE_REDIS_URL: infra.redisUrl,
  BOXOFFICE_NATS_URL: infra.natsUrl,
  BOXOFFICE_LOG_LEVEL: "info",
  BOXOFFICE_ACCESS_LOG: "errors",
  BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL: admin.email,
  BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD: admin.password,
  BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify([signingKey.privateJwk]),
  BOXOFFICE_SERVICE_SECRETS: serviceNames.map((n) => `${n}=${n}-bench-${randomUUID()}`).join(","),
};
let platform: Awaited<ReturnType<typeof startPlatform>> | undefined;
try {
  await migrateServices(
    serviceNames.map((n) => modules[n]),
    env,
  );
  platform = await startPlatform(env, { profileDir });
  const data = await prepare(platform.baseUrl, admin, { coldEvents: 0, users: 1 });
  const asAdmin = { headers: { authorization: `Bearer ${data.adminToken}` } };
  const transport = createGrpcTransport({ baseUrl: platform.baseUrl });
  const events = createClient(EventService, transport);
  const ticket = createClient(TicketService, transport);
  const health = createClient(Health, transport);

  // one event, two sections of 100 rows × 100 seats (as bench/holds.ts's specific-seat event)
  const grid = (name: string) => ({
    name,
    kind: {
      case: "reservedSeating" as const,
      value: {
        rows: Array.from({ length: 100 }, (_, r) => ({
          label: String(r + 1),
          seats: Array.from({ length: 100 }, (_, s) => ({ label: String(s + 1) })),
        })),
      },
    },
  });
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: "Refusal",
        addressLine: "Rua 3",
        city: "Braga",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections: [grid("A"), grid("B")],
      },
    },
    { ...asAdmin, timeoutMs: 60_000 },
  );
  const now = Date.now();
  const day = 86_400_000;
  const { event } = await events.createEvent(
    {
      requestId: randomUUID(),
      event: {
        venueId: venue!.id,
        name: "Refusal",
        startTime: timestampFromMs(now + 30 * day),
        endTime: timestampFromMs(now + 30 * day + 3 * 3600_000),
        salesStartTime: timestampFromMs(now - 1000),
        salesEndTime: timestampFromMs(now + 30 * day),
        maxTicketsPerOrder: 10,
        priceTiers: venue!.sections.map((s) => ({
          sectionId: s.id,
          price: { currencyCode: "EUR", amountMinor: 5000n },
        })),
      },
    },
    asAdmin,
  );
  await events.publishEvent({ requestId: randomUUID(), eventId: event!.id }, asAdmin);
  for (;;) {
    try {
      await ticket.getAvailability({ eventId: event!.id });
      break;
    } catch (e) {
      if (ConnectError.from(e).code !== Code.NotFound) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const sections = venue!.sections.map((s) => s.id);
  const pairAt = (k: number) => {
    const sec = sections[Math.floor(k / 5000) % 2]!;
    const row = String(Math.floor((k % 5000) / 50) + 1);
    const p = (k % 50) * 2 + 1;
    return [1, 0].map((d) => ({
      kind: { case: "seat" as const, value: { sectionId: sec, rowLabel: row, seatLabel: String(p + 1 - d) } },
    }));
  };
  /** New buyers, each token verified once (the server caches verified tokens) before it is measured. */
  const buyers = async (n: number): Promise<CallOptions[]> =>
    Promise.all(
      Array.from({ length: n }, async () => {
        const token = await signAccessToken({
          key: signingKey.privateJwk,
          issuer: "boxoffice-auth",
          ttlSeconds: 7200,
          subject: randomUUID(),
          roles: ["CUSTOMER"],
        });
        const as = { headers: { authorization: `Bearer ${token}` } };
        await health.check({}, as);
        return as;
      }),
    );
  const status = createPool({ uri: infra.mariadbUrl, connectionLimit: 1 });
  const questions = async () =>
    Number(((await status.query("SHOW GLOBAL STATUS LIKE 'Questions'"))[0] as Array<{ Value: string }>)[0]!.Value);

  let next = 0;
  const hold = async (k: number, as: CallOptions, refuse: boolean): Promise<number> => {
    const t = performance.now();
    try {
      await ticket.holdSeats({ requestId: randomUUID(), eventId: event!.id, items: pairAt(k) }, as);
      if (refuse) throw new Error(`pair ${k} granted twice`);
    } catch (e) {
      if (!refuse || ConnectError.from(e).code !== Code.FailedPrecondition) throw e;
    }
    return performance.now() - t;
  };
  /**
   * One batch: per call, the platform's and MariaDB's CPU (ms), the statements and the latencies.
   * The CPU window runs until `settleMs` after the last answer, so work a call leaves behind (a
   * grant's change notice, flushed every 50 ms, and the cache invalidation after it) is charged to
   * its own side, not to the batch after it; the background rate of an idle window is subtracted.
   */
  const runBatch = async (pairs: number[], refuse: boolean) => {
    const who = await buyers(pairs.length);
    await sleep(settleMs);
    const q0 = await questions();
    const c0 = cpuNs(platform!.pid);
    const m0 = mariadbPid === undefined ? Number.NaN : cpuNs(mariadbPid);
    const t0 = performance.now();
    const ms: number[] = [];
    for (const [i, k] of pairs.entries()) ms.push(await hold(k, who[i]!, refuse));
    await sleep(settleMs);
    const window = performance.now() - t0;
    const cpu = (cpuNs(platform!.pid) - c0 - idle.platform * window) / 1e6 / pairs.length;
    const db = mariadbPid === undefined ? Number.NaN : (cpuNs(mariadbPid) - m0 - idle.db * window) / 1e6 / pairs.length;
    // minus the second status read (it counts itself) and the background's statements
    const statements = ((await questions()) - q0 - 1 - idle.statements * window) / pairs.length;
    return { cpu, db, statements, ms };
  };
  /** Background CPU (ns per ms of wall time) and statements per ms while no call runs. */
  const idle = { platform: 0, db: 0, statements: 0 };
  const measureIdle = async (windowMs: number) => {
    const q0 = await questions();
    const c0 = cpuNs(platform!.pid);
    const m0 = mariadbPid === undefined ? Number.NaN : cpuNs(mariadbPid);
    const t0 = performance.now();
    await sleep(windowMs);
    const window = performance.now() - t0;
    idle.platform = (cpuNs(platform!.pid) - c0) / window;
    idle.db = mariadbPid === undefined ? Number.NaN : (cpuNs(mariadbPid) - m0) / window;
    idle.statements = ((await questions()) - q0 - 1) / window;
  };

  log(`bench: refusal: ${rounds} rounds of ${batch} grants and ${batch} refusals`);
  // warm-up: JIT both paths
  await measureIdle(5000);
  for (let r = 0; r < 5; r++) {
    const pairs = Array.from({ length: batch }, () => next++);
    await runBatch(pairs, false);
    await runBatch(pairs, true);
  }
  type Batch = Awaited<ReturnType<typeof runBatch>>;
  const seen = { grant: [] as Batch[], refusal: [] as Batch[] };
  for (let r = 0; r < rounds; r++) {
    if (r > 0 && r % 10 === 0) await measureIdle(3000);
    const pairs = Array.from({ length: batch }, () => next++);
    seen.grant.push(await runBatch(pairs, false));
    seen.refusal.push(await runBatch(pairs, true));
  }
  const load = readFileSync("/proc/loadavg", "latin1").split(" ").slice(0, 3).join(" ");
  const lines = [
    `refusal vs grant, one caller: ${rounds} rounds × ${batch} calls each, ${platformProgram().label}; load average ${load}`,
    `  background while idle: platform ${f2(idle.platform / 1e3)} ms CPU/s, MariaDB ${f2(idle.db / 1e3)} ms CPU/s, ${f2(idle.statements * 1e3)} statements/s (subtracted)`,
  ];
  for (const side of ["grant", "refusal"] as const) {
    const b = seen[side];
    const ms = b.flatMap((x) => x.ms);
    const cpus = b.map((x) => x.cpu);
    lines.push(
      `  ${side.padEnd(8)} platform CPU ms/call mean ${f2(mean(cpus))} (batch median ${f2(pct(cpus, 0.5))}), ` +
        `MariaDB CPU ms/call ${f2(mean(b.map((x) => x.db)))}, statements ${f2(mean(b.map((x) => x.statements)))}, ` +
        `latency p50 ${f2(pct(ms, 0.5))} / p90 ${f2(pct(ms, 0.9))} ms`,
    );
  }
  const wins = seen.grant.filter((g, i) => seen.refusal[i]!.cpu <= g.cpu).length;
  lines.push(`  rounds where the refusal's platform CPU ≤ the grant's: ${wins} of ${rounds}`);

  if (process.env.REFUSAL_SQL === "1") {
    // what the refusal's count costs in MariaDB, the old way (0007) and through seats_free (0009)
    const db = createPool({
      uri: `${infra.mariadbUrl}/${env.BOXOFFICE_PREFIX}_ticket`,
      connectionLimit: 1,
      timezone: "Z",
    });
    const [[inv]] = (await db.query("SELECT inv_id FROM inventories WHERE event_id = ?", [event!.id])) as unknown as [
      [{ inv_id: number }],
    ];
    const [secs] = (await db.query(
      "SELECT section_no, first_seat, capacity FROM inventory_sections WHERE inv_id = ? ORDER BY section_no",
      [inv!.inv_id],
    )) as unknown as [Array<{ section_no: number; first_seat: number; capacity: number }>];
    const timeIt = async (label: string, q: string, args: unknown[]) => {
      const t = performance.now();
      let r: unknown;
      for (let i = 0; i < 200; i++) r = (await db.query(q, args))[0];
      lines.push(`  sql: ${label}: ${f2((performance.now() - t) / 200)} ms ${JSON.stringify(r).slice(0, 80)}`);
    };
    const count = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM seats f WHERE f.inv_id = ? AND f.seat_no >= ? AND f.seat_no < ?
      AND (f.taken_until IS NULL OR f.taken_until <= ? OR f.hold_id = ?) LIMIT 250) AS c`;
    for (const sc of secs) {
      const [[t]] = (await db.query(
        "SELECT COUNT(*) AS n FROM seats WHERE inv_id = ? AND section_no = ? AND taken_until > ?",
        [inv!.inv_id, sc.section_no, new Date()],
      )) as unknown as [[{ n: number }]];
      await timeIt(`count ≤ 250 free, section ${sc.section_no} (${t!.n} taken)`, count, [
        inv!.inv_id,
        sc.first_seat,
        sc.first_seat + sc.capacity,
        new Date(),
        "x",
      ]);
      await timeIt(`SELECT 1`, "SELECT 1", []);
    }
    const byIndex = `SELECT COUNT(*) AS n FROM (SELECT 1 FROM seats f FORCE INDEX (seats_free) WHERE f.inv_id = ? AND f.section_no = ?
      AND (f.taken_until IS NULL OR f.taken_until <= ?) LIMIT 250) AS c`;
    for (const sc of secs) {
      await timeIt(`by index, section ${sc.section_no}`, byIndex, [inv!.inv_id, sc.section_no, new Date()]);
      const [plan] = await db.query(`EXPLAIN ${byIndex}`, [inv!.inv_id, sc.section_no, new Date()]);
      lines.push(`  plan: ${JSON.stringify(plan)}`);
    }
    await db.end();
  }
  if (profileDir !== undefined) {
    // phases cut out of the profile by time (V8's profile clock is CLOCK_MONOTONIC, as hrtime):
    // the grants of new pairs, then refusals of the same pairs, every buyer verified beforehand
    const pairs = Array.from({ length: profileCalls }, () => next++);
    const phase = async (refuse: boolean) => {
      const who = await buyers(pairs.length);
      await sleep(300);
      const from = process.hrtime.bigint() / 1000n;
      for (const [i, k] of pairs.entries()) await hold(k, who[i]!, refuse);
      const to = process.hrtime.bigint() / 1000n;
      await sleep(300);
      return { from, to, calls: pairs.length };
    };
    const grants = await phase(false);
    await sleep(500);
    const refusals = await phase(true);
    await platform.stop();
    platform = undefined;
    const file = readdirSync(profileDir).find((f) => f.endsWith(".cpuprofile"));
    if (file === undefined) throw new Error("no profile written");
    lines.push("", ...compareWindows(JSON.parse(readFileSync(join(profileDir, file), "utf8")), grants, refusals));
  }
  await status.end();
  process.stdout.write(`${lines.join("\n")}\n`);
} finally {
  await platform?.stop();
  await infra.stop();
  rmSync(dir, { recursive: true, force: true });
}

interface Profile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

/** Per-call self time by area and function in two windows of a profile, and their difference. */
function compareWindows(
  p: Profile,
  a: { from: bigint; to: bigint; calls: number },
  b: { from: bigint; to: bigint; calls: number },
): string[] {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const tally = (w: { from: bigint; to: bigint }) => {
    const fns = new Map<string, number>();
    const areas = new Map<string, number>();
    let t = p.startTime;
    for (let i = 0; i < p.samples.length; i++) {
      const d = p.timeDeltas[i]!; // as bench/profile-summary.ts: the gap before a sample is its time
      t += d;
      if (t < Number(w.from) || t > Number(w.to)) continue;
      const { functionName: f, url, lineNumber } = byId.get(p.samples[i]!)!.callFrame;
      if (f === "(idle)") continue;
      const key = `${f || "(anonymous)"}  ${url.replace(/^.*node_modules\//, "").replace(/^file:\/\/.*?\/(platform|services|gen|cmd|dist)\//, "$1/")}:${lineNumber + 1}`;
      fns.set(key, (fns.get(key) ?? 0) + d);
      const ar = area(url, f);
      areas.set(ar, (areas.get(ar) ?? 0) + d);
    }
    return { fns, areas };
  };
  const ta = tally(a);
  const tb = tally(b);
  const per = (m: Map<string, number>, k: string, calls: number) => (m.get(k) ?? 0) / calls; // µs per call
  const diff = (ma: Map<string, number>, mb: Map<string, number>, top: number) =>
    [...new Set([...ma.keys(), ...mb.keys()])]
      .map((k) => ({ k, ga: per(ma, k, a.calls), rb: per(mb, k, b.calls) }))
      .sort((x, y) => Math.abs(y.rb - y.ga) - Math.abs(x.rb - x.ga))
      .slice(0, top)
      .map((x) => `  ${(x.rb - x.ga).toFixed(0).padStart(6)} µs  (${x.ga.toFixed(0)} → ${x.rb.toFixed(0)})  ${x.k}`);
  const total = (m: Map<string, number>) => [...m.values()].reduce((s, x) => s + x, 0);
  return [
    `profile: grants ${a.calls} calls, ${(total(ta.areas) / a.calls).toFixed(0)} µs busy per call; ` +
      `refusals ${b.calls} calls, ${(total(tb.areas) / b.calls).toFixed(0)} µs busy per call`,
    "by area, refusal − grant (per call):",
    ...diff(ta.areas, tb.areas, 15),
    "by function, refusal − grant (per call):",
    ...diff(ta.fns, tb.fns, 40),
  ];
}
