/**
 * One chaos round: a split-mode stack on servers of its own, a crowd of seeded buyers arriving all
 * through the round, and the seeded faults injected one after another — each only once at least
 * `minInFlight` checkouts are in progress, so it hits work in flight. Then a recovery window
 * (pending orders settle, the notification queue drains) and the invariants, read from the
 * databases, the mail folder and the dead-letter stream.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BuyerMix, BuyerResult, Live } from "../../bench/onsale/buyer.js";
import { onsaleClients } from "../../bench/onsale/clients.js";
import { runCrowd, seedBuyers, waitForNotifications } from "../../bench/onsale/crowd.js";
import { setUpOnsale, venuePlanFor } from "../../bench/onsale/event-setup.js";
import {
  checkInvariants,
  type InvariantResult,
  orderCounts,
  orderStatesByHold,
} from "../../bench/onsale/invariants.js";
import { Recorder } from "../../bench/onsale/record.js";
import { startStack } from "../../bench/onsale/stack.js";
import { sleep } from "../../platform/clock/index.js";
import { type FaultOutcome, faultName, healTime, inject } from "./faults.js";
import { type Fault, planFaults } from "./schedule.js";

/**
 * The crowd of a chaos round: mostly sandbox_ok; a fifth pay with sandbox_slow (charged after
 * BOXOFFICE_SANDBOX_SLOW_MS), so checkouts are in flight — a charge under way — when a fault hits.
 */
export const chaosMix: BuyerMix = {
  kinds: { seat: 0.3, best: 0.35, ga: 0.35 },
  tokens: {
    sandbox_ok: 0.7,
    sandbox_slow: 0.2,
    sandbox_declined: 0.04,
    sandbox_lost_answer: 0.04,
    sandbox_error: 0.02,
  },
  quantities: { "1": 0.4, "2": 0.4, "3": 0.2 },
  abandon: 0.05,
};

export interface RoundOptions {
  seed: number;
  buyers: number;
  faults?: readonly Fault[];
  warmupMs: number;
  slotMs: number;
  minDownMs: number;
  maxDownMs: number;
  /** Checkouts that must be in progress when a fault is injected. */
  minInFlight: number;
  /** Longest wait for them. */
  aimTimeoutMs: number;
  /** Longest wait for a fault to heal (a canary's purchase and email). */
  healTimeoutMs: number;
  /** After the crowd: how long pending orders and notifications may take to settle. */
  recoveryMs: number;
  /** Where the service processes' logs go (kept after the round). */
  logDir?: string;
  /** Extra variables for the services (sandbox timing, sweeper periods). */
  env?: Record<string, string>;
  log: (l: string) => void;
}

export interface RoundResult {
  seed: number;
  faults: FaultOutcome[];
  invariants: InvariantResult[];
  /** sandbox_ok checkouts that ended CONFIRMED (read from the database after recovery). */
  okConfirmed: { confirmed: number; checkouts: number };
  /** Reasons the round does not count (a fault that hit too little, too few confirmed). */
  notCounted: string[];
  durationMs: number;
}

export async function chaosRound(o: RoundOptions): Promise<RoundResult> {
  const t0 = Date.now();
  const plan = planFaults(o.seed, o);
  const dataDir = mkdtempSync(join(tmpdir(), "boxoffice-chaos-"));
  const stack = await startStack({ mode: "split", dataDir, logDir: o.logDir, env: o.env, log: o.log });
  try {
    const clients = onsaleClients((s) => stack.urlOf(s), 4);
    const canariesPerFault = 6;
    const users = await seedBuyers(stack.env, o.buyers + plan.length * canariesPerFault);
    const crowdUsers = users.slice(0, o.buyers);
    const canaries = users.slice(o.buyers);
    const crowdMs = o.warmupMs + plan.length * o.slotMs;
    const event = await setUpOnsale(clients.pick(0), {
      adminEmail: stack.secrets.adminEmail,
      adminPassword: stack.secrets.adminPassword,
      plan: venuePlanFor(o.buyers + plan.length),
      salesOpenInMs: 2_000,
      log: o.log,
    });
    const rec = new Recorder();
    const live: Live = { arrived: 0, held: 0, checkingOut: 0, confirmed: 0, done: 0 };
    // a third of the buyers arrive all through the round; the others in a wave 1–4 s before a
    // fault's moment (reading, holding, then checking out), so each fault meets checkouts in flight
    const crowd = runCrowd(clients, event, crowdUsers, rec, live, {
      startAtMs: event.salesStartMs,
      spreadMs: crowdMs,
      arrivalOffsetMs: (i, random) =>
        i % 3 === 0 ? random() * crowdMs : Math.max(0, plan[i % plan.length]!.atMs - 1_000 - random() * 3_000),
      mix: chaosMix,
      seed: o.seed,
      budgetMs: 120_000,
    });
    // Faults follow the plan without waiting for the previous one to heal (only for its part to be
    // back): heal times are measured alongside, and the round keeps to its time.
    const healing: Array<Promise<unknown>> = [];
    const faults: FaultOutcome[] = [];
    for (const [i, p] of plan.entries()) {
      await sleep(Math.max(0, event.salesStartMs + p.atMs - Date.now()));
      const aimedUntil = Date.now() + o.aimTimeoutMs;
      while (live.checkingOut < o.minInFlight && Date.now() < aimedUntil) await sleep(10);
      const atMs = Date.now();
      const f: FaultOutcome = { name: faultName(p.fault), atMs, checkoutsInFlight: live.checkingOut, downMs: 0 };
      faults.push(f);
      const h = healTime({
        stack,
        clients: clients.pick(i),
        event,
        canaries: canaries.slice(i * canariesPerFault, (i + 1) * canariesPerFault),
        rec,
        startMs: atMs,
        everyMs: 2_000,
        timeoutMs: o.healTimeoutMs,
      });
      await inject(stack, p.fault, p.downMs, clients.pick(0).payments, event.adminToken);
      f.downMs = Date.now() - atMs;
      healing.push(
        h.heal.then((r) => {
          f.healMs = r.healMs;
          f.healError = r.error;
          o.log(
            `${f.name}: ${f.checkoutsInFlight} checkouts in flight, down ${f.downMs} ms, ${f.healMs === undefined ? `NOT healed (${f.healError})` : `healed in ${f.healMs} ms`}`,
          );
        }),
        h.settled,
      );
      o.log(
        `fault ${i + 1}/${plan.length} ${f.name} injected · crowd ${live.done}/${o.buyers} done, ${live.confirmed} confirmed`,
      );
    }
    await Promise.all(healing);
    const results = await crowd;
    o.log(`crowd done: ${results.filter((r) => r.final === "CONFIRMED").length} confirmed of ${results.length}`);

    // recovery: reconciliation settles what the faults left pending, the sender drains its queue
    const db = { mariadbUrl: stack.infra.mariadbUrl, prefix: stack.prefix };
    const r0 = Date.now();
    while ((await orderCounts(db)).pending > 0 && Date.now() - r0 < o.recoveryMs) await sleep(500);
    const { confirmed } = await orderCounts(db);
    await waitForNotifications(db.mariadbUrl, db.prefix, confirmed, Math.max(5_000, o.recoveryMs - (Date.now() - r0)));
    o.log(`recovery: ${Date.now() - r0} ms until nothing was pending`);
    const invariants = await checkInvariants({
      mariadbUrl: stack.infra.mariadbUrl,
      natsUrl: stack.infra.natsUrl,
      prefix: stack.prefix,
      mailDir: stack.infra.mailDir,
      clientErrors: rec.errors,
    });
    const okConfirmed = await sandboxOkOutcome(db, results);
    const notCounted = [
      ...faults
        .filter((f) => f.checkoutsInFlight < o.minInFlight)
        .map((f) => `${f.name} hit ${f.checkoutsInFlight} checkouts in flight (< ${o.minInFlight})`),
      ...(okConfirmed.checkouts === 0 || okConfirmed.confirmed / okConfirmed.checkouts < 0.8
        ? [`${okConfirmed.confirmed} of ${okConfirmed.checkouts} sandbox_ok checkouts ended CONFIRMED (< 80 %)`]
        : []),
    ];
    return { seed: o.seed, faults, invariants, okConfirmed, notCounted, durationMs: Date.now() - t0 };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** sandbox_ok buyers who started a checkout, and how many of their orders are CONFIRMED in the database. */
async function sandboxOkOutcome(
  db: { mariadbUrl: string; prefix: string },
  results: readonly BuyerResult[],
): Promise<{ confirmed: number; checkouts: number }> {
  const ok = results.filter(
    (r) => r.plan.token === "sandbox_ok" && r.checkoutStartMs !== undefined && r.holdId !== undefined,
  );
  const states = await orderStatesByHold(
    db,
    ok.map((r) => r.holdId!),
  );
  return { confirmed: ok.filter((r) => states.get(r.holdId!) === "CONFIRMED").length, checkouts: ok.length };
}
