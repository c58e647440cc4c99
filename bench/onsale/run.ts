/**
 * `make bench-onsale`: K seeded buyers arrive in a burst at the sales start of one event (two
 * reserved sections and a standing one), in all-in-one and in split mode, each on a fresh stack;
 * prints the figures beside the targets and the hold ceiling measured in the same run, and writes
 * a self-contained HTML report with the JSON behind it per mode (docs/onsale.md).
 *
 * Settings (environment): ONSALE_BUYERS (default 2000; smoke 40), ONSALE_MODES ("all,split";
 * smoke "all"), ONSALE_SEED (replays the crowd), ONSALE_OUT (default .data/bench-onsale/<time>),
 * ONSALE_CEILING_SECONDS (default 5; smoke 1). `--smoke` (or ONSALE_SMOKE=1): the short form
 * `make bench` runs. Exit 1 on an integrity problem (oversold, double charge, missing email);
 * targets not met are printed, not fatal (the box is shared).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join, relative, resolve } from "node:path";
import { sleep } from "../../platform/clock/index.js";
import { benchMix, type Live } from "./buyer.js";
import { measureCeilings } from "./ceilings.js";
import { onsaleClients } from "./clients.js";
import { runCrowd, seedBuyers, waitForNotifications } from "./crowd.js";
import { FlowNotBuiltError, setUpOnsale, venuePlanFor } from "./event-setup.js";
import { checkInvariants, orderCounts } from "./invariants.js";
import { startProgress } from "./progress.js";
import { cacheHitRatio, MetricsSampler } from "./prom.js";
import { seedFrom } from "./random.js";
import { Recorder } from "./record.js";
import { targetLine, textSummary, writeReport } from "./report.js";
import { type StackMode, startStack } from "./stack.js";
import { integrityProblems, type OnsaleSummary, splitTargets, summarise } from "./summary.js";

const smoke = process.argv.includes("--smoke") || process.env.ONSALE_SMOKE === "1";
const buyers = Number(process.env.ONSALE_BUYERS ?? (smoke ? 40 : 2000));
const modes = (process.env.ONSALE_MODES ?? (smoke ? "all" : "all,split"))
  .split(",")
  .map((m) => m.trim()) as StackMode[];
const seed = seedFrom(process.env.ONSALE_SEED);
const ceilingMs = Number(process.env.ONSALE_CEILING_SECONDS ?? (smoke ? 1 : 5)) * 1000;
const out = resolve(
  process.env.ONSALE_OUT ?? join(".data", "bench-onsale", new Date().toISOString().replace(/[:.]/g, "-")),
);
const log = (l: string) => process.stderr.write(`bench-onsale: ${l}\n`);

if (!Number.isInteger(buyers) || buyers < 2) throw new Error("ONSALE_BUYERS must be a whole number ≥ 2");
for (const m of modes) if (m !== "all" && m !== "split") throw new Error(`ONSALE_MODES: unknown mode ${m}`);

/** One mode: a fresh stack, the crowd, the drain, the invariants, the ceilings, the report. */
async function runMode(mode: StackMode): Promise<OnsaleSummary> {
  const dataDir = mkdtempSync(join(tmpdir(), `boxoffice-onsale-${mode}-`));
  const stack = await startStack({ mode, dataDir, logDir: join(out, mode, "logs"), log });
  try {
    const clients = onsaleClients((s) => stack.urlOf(s), 4);
    const t0 = Date.now();
    const users = await seedBuyers(stack.env, buyers);
    log(`${users.length} buyers seeded in ${Date.now() - t0} ms (boxoffice seed users)`);
    const admin = { adminEmail: stack.secrets.adminEmail, adminPassword: stack.secrets.adminPassword };
    const event = await setUpOnsale(clients.pick(0), {
      ...admin,
      plan: venuePlanFor(buyers),
      salesOpenInMs: 3_000,
      log,
    });
    const sampler = new MetricsSampler(() => stack.metricsUrls());
    sampler.start();
    const rec = new Recorder();
    const live: Live = { arrived: 0, held: 0, checkingOut: 0, confirmed: 0, done: 0 };
    const startedAt = new Date();
    const loadAtStart = loadavg();
    const stop = startProgress(mode === "all" ? "all-in-one" : "split", buyers, live);
    const results = await runCrowd(clients, event, users, rec, live, {
      startAtMs: event.salesStartMs,
      spreadMs: smoke ? 200 : 1_000,
      mix: benchMix,
      seed,
      budgetMs: 120_000,
    });
    stop();
    // Every CONFIRMED order is owed its email, also one confirmed after its buyer stopped watching
    // (reconciliation, a late charge outcome): count them in the orders table, once nothing is pending.
    const db = { mariadbUrl: stack.infra.mariadbUrl, prefix: stack.prefix };
    const settleBy = Date.now() + 60_000;
    while ((await orderCounts(db)).pending > 0 && Date.now() < settleBy) await sleep(500);
    const { confirmed } = await orderCounts(db);
    const drain = await waitForNotifications(db.mariadbUrl, db.prefix, confirmed, 90_000);
    await sampler.stop();
    const cache = cacheHitRatio(sampler.samples());
    const invariants = await checkInvariants({
      mariadbUrl: stack.infra.mariadbUrl,
      natsUrl: stack.infra.natsUrl,
      prefix: stack.prefix,
      mailDir: stack.infra.mailDir,
    });
    log(`measuring the ceilings (${ceilingMs / 1000} s each)`);
    const ceilings = await measureCeilings({
      ticketUrl: stack.urlOf("ticket"),
      clients: clients.pick(0),
      users,
      ...admin,
      workers: 32,
      durationMs: ceilingMs,
      log,
    });
    const summary = summarise({
      mode,
      seed,
      startedAt,
      salesStartMs: event.salesStartMs,
      places: event.places,
      results,
      rec,
      invariants,
      drain,
      cache,
      lag: sampler.lag,
      ceilings,
      loadAtStart,
    });
    process.stdout.write(`\n${textSummary(summary)}\n`);
    const file = writeReport(join(out, mode), summary);
    process.stdout.write(`  report: ${relative(process.cwd(), file)}\n\n`);
    problems.push(...integrityProblems(summary, invariants).map((p) => `${mode}: ${p}`));
    return summary;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const problems: string[] = [];
let code = 0;
try {
  process.stdout.write(
    `Boxoffice on-sale bench${smoke ? " (smoke)" : ""}: ${buyers} buyers, modes ${modes.join(", ")}, seed ${seed} (ONSALE_SEED=${seed} replays the crowd)\n`,
  );
  const done: OnsaleSummary[] = [];
  for (const mode of modes) done.push(await runMode(mode));
  const all = done.find((s) => s.mode === "all");
  const split = done.find((s) => s.mode === "split");
  const extra = all !== undefined && split !== undefined ? splitTargets(all, split) : [];
  if (extra.length > 0) process.stdout.write(`split mode against all-in-one:\n${extra.map(targetLine).join("\n")}\n`);
  writeFileSync(join(out, "summary.json"), `${JSON.stringify({ seed, buyers, runs: done, split: extra }, null, 2)}\n`);
  const nothingSold = done
    .filter((s) => (s.outcomes.CONFIRMED ?? 0) === 0)
    .map((s) => `${s.mode}: no order was confirmed`);
  for (const p of [...problems, ...nothingSold]) process.stdout.write(`INTEGRITY: ${p}\n`);
  if (problems.length + nothingSold.length > 0) code = 1;
} catch (e) {
  if (e instanceof FlowNotBuiltError) {
    process.stderr.write(`bench-onsale: ${e.message}\n`);
    code = 2;
  } else {
    process.stderr.write(`bench-onsale failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    code = 1;
  }
}
process.exit(code);
