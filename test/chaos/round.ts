/**
 * One chaos round: a split-mode stack on servers of its own, a crowd of seeded buyers arriving all
 * through the round, and the seeded faults injected one after another. Each fault is aimed at work
 * in flight whatever the machine's speed: shortly before its moment the round sends a small wave of
 * buyers of its own whose charges are slow (sandbox_slow, charged after BOXOFFICE_SANDBOX_SLOW_MS),
 * so their checkouts are still in progress when the fault lands, and the fault waits (bounded) until
 * at least `minInFlight` checkouts are in progress. Then a recovery window that ends when nothing is
 * left to settle (no order PENDING_PAYMENT, no notification pending, every confirmed order emailed),
 * and the invariants, read from the databases, the mail folder and the dead-letter stream.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BuyerMix, type BuyerResult, type Live, runBuyer } from "../../bench/onsale/buyer.js";
import { type OnsaleClients, onsaleClients } from "../../bench/onsale/clients.js";
import { runCrowd, seedBuyers } from "../../bench/onsale/crowd.js";
import { type OnsaleEvent, setUpOnsale, venuePlanFor } from "../../bench/onsale/event-setup.js";
import { checkInvariants, type InvariantResult, orderStatesByHold, unsettled } from "../../bench/onsale/invariants.js";
import { prng } from "../../bench/onsale/random.js";
import { Recorder } from "../../bench/onsale/record.js";
import { startStack } from "../../bench/onsale/stack.js";
import type { SeededUser } from "../../cmd/seed-users.js";
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
  /** Longest wait for them, from the fault's moment. */
  aimTimeoutMs: number;
  /** Buyers of the wave sent before each fault (sandbox_slow, one standing place each). */
  aimWave: number;
  /** How long before the fault's moment its wave arrives (less than the slow charge's duration). */
  aimLeadMs: number;
  /** How long one buyer keeps retrying from its arrival. */
  buyerBudgetMs: number;
  /** Longest wait for a fault to heal (a canary's purchase and email). */
  healTimeoutMs: number;
  /** After the crowd: the longest wait for pending orders and notifications to settle. */
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
  okConfirmed: { confirmed: number; checkouts: number; others?: Record<string, number> };
  /** Phases of the round (ms): the stack's start, the crowd and faults, the recovery window. */
  phases: { stackMs: number; crowdMs: number; recoveryMs: number };
  /** What was still unsettled when the recovery window closed (all 0 unless it ran out). */
  leftUnsettled: { pendingOrders: number; pendingNotifications: number; confirmedWithoutEmail: number };
  /** Reasons the round does not count (a fault that hit too little, too few confirmed). */
  notCounted: string[];
  durationMs: number;
}

export async function chaosRound(o: RoundOptions): Promise<RoundResult> {
  const t0 = Date.now();
  const plan = planFaults(o.seed, o);
  const dataDir = mkdtempSync(join(tmpdir(), "boxoffice-chaos-"));
  const stack = await startStack({ mode: "split", dataDir, logDir: o.logDir, env: o.env, log: o.log });
  const stackMs = Date.now() - t0;
  try {
    const clients = onsaleClients((s) => stack.urlOf(s), 4);
    const canariesPerFault = 6;
    const users = await seedBuyers(stack.env, o.buyers + plan.length * (canariesPerFault + o.aimWave));
    const crowdUsers = users.slice(0, o.buyers);
    const canaries = users.slice(o.buyers, o.buyers + plan.length * canariesPerFault);
    const waveUsers = users.slice(o.buyers + plan.length * canariesPerFault);
    const crowdMs = o.warmupMs + plan.length * o.slotMs;
    const event = await setUpOnsale(clients.pick(0), {
      adminEmail: stack.secrets.adminEmail,
      adminPassword: stack.secrets.adminPassword,
      // the crowd, plus a standing place per canary attempt and per wave buyer
      plan: venuePlanFor(o.buyers + plan.length * (canariesPerFault + o.aimWave)),
      salesOpenInMs: 2_000,
      log: o.log,
    });
    const rec = new Recorder();
    const live: Live = { arrived: 0, held: 0, checkingOut: 0, confirmed: 0, done: 0 };
    // the crowd arrives all through the round, so faults meet sandbox_ok checkouts as they happen to
    // be; aiming at work in flight is the waves' job (below), not the crowd's
    const t1 = Date.now();
    const crowd = runCrowd(clients, event, crowdUsers, rec, live, {
      startAtMs: event.salesStartMs,
      spreadMs: crowdMs,
      mix: chaosMix,
      seed: o.seed,
      budgetMs: o.buyerBudgetMs,
    });
    // Faults follow the plan without waiting for the previous one to heal (only for its part to be
    // back): heal times are measured alongside, and the round keeps to its time.
    const healing: Array<Promise<unknown>> = [];
    const waves: Array<Promise<unknown>> = [];
    const faults: FaultOutcome[] = [];
    for (const [i, p] of plan.entries()) {
      const moment = event.salesStartMs + p.atMs;
      await sleep(Math.max(0, moment - o.aimLeadMs - Date.now()));
      waves.push(
        aimWave(waveUsers.slice(i * o.aimWave, (i + 1) * o.aimWave), {
          clients,
          event,
          rec,
          live,
          seed: o.seed + i,
          budgetMs: o.buyerBudgetMs,
        }),
      );
      await sleep(Math.max(0, moment - Date.now()));
      const aimFrom = Date.now();
      while (live.checkingOut < o.minInFlight && Date.now() - aimFrom < o.aimTimeoutMs) await sleep(10);
      const atMs = Date.now();
      const f: FaultOutcome = {
        name: faultName(p.fault),
        atMs,
        checkoutsInFlight: live.checkingOut,
        aimWaitMs: atMs - aimFrom,
        downMs: 0,
      };
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
        `fault ${i + 1}/${plan.length} ${f.name} injected (${f.checkoutsInFlight} checkouts in flight after ${f.aimWaitMs} ms) · crowd ${live.done}/${o.buyers} done, ${live.confirmed} confirmed`,
      );
    }
    await Promise.all([...healing, ...waves]);
    const results = await crowd;
    const crowdPhaseMs = Date.now() - t1;
    o.log(`crowd done: ${results.filter((r) => r.final === "CONFIRMED").length} confirmed of ${results.length}`);

    // recovery: reconciliation settles what the faults left pending, the sender drains its queue;
    // done when nothing is left to settle (bounded), not after a fixed time
    const db = { mariadbUrl: stack.infra.mariadbUrl, prefix: stack.prefix };
    const r0 = Date.now();
    let left = await unsettled(db);
    while (
      left.pendingOrders + left.pendingNotifications + left.confirmedWithoutEmail > 0 &&
      Date.now() - r0 < o.recoveryMs
    ) {
      await sleep(250);
      left = await unsettled(db);
    }
    const recoveryMs = Date.now() - r0;
    o.log(
      `recovery: ${recoveryMs} ms; left: ${left.pendingOrders} orders pending, ${left.pendingNotifications} notifications pending, ${left.confirmedWithoutEmail} confirmed orders without their email`,
    );
    const invariants = await checkInvariants({
      mariadbUrl: stack.infra.mariadbUrl,
      natsUrl: stack.infra.natsUrl,
      prefix: stack.prefix,
      mailDir: stack.infra.mailDir,
      clientErrors: rec.errors,
    });
    const okConfirmed = await sandboxOkOutcome(db, results, faults);
    const notCounted = [
      ...faults
        .filter((f) => f.checkoutsInFlight < o.minInFlight)
        .map((f) => `${f.name} hit ${f.checkoutsInFlight} checkouts in flight (< ${o.minInFlight})`),
      ...(okConfirmed.checkouts === 0 || okConfirmed.confirmed / okConfirmed.checkouts < 0.8
        ? [`${okConfirmed.confirmed} of ${okConfirmed.checkouts} sandbox_ok checkouts ended CONFIRMED (< 80 %)`]
        : []),
    ];
    return {
      seed: o.seed,
      faults,
      invariants,
      okConfirmed,
      notCounted,
      phases: { stackMs, crowdMs: crowdPhaseMs, recoveryMs },
      leftUnsettled: left,
      durationMs: Date.now() - t0,
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The wave aimed at one fault: buyers who arrive together, hold one standing place each and check
 * out with sandbox_slow, so their checkouts are in progress for the slow charge's duration — on a
 * fast box as on a slow one (the fault still waits until they are). Their orders settle like any
 * buyer's and count in every invariant; they are not sandbox_ok, so not in the 80 % rule.
 */
function aimWave(
  users: readonly SeededUser[],
  c: {
    clients: { pick(i: number): OnsaleClients };
    event: OnsaleEvent;
    rec: Recorder;
    live: Live;
    seed: number;
    budgetMs: number;
  },
): Promise<BuyerResult[]> {
  return Promise.all(
    users.map((u, i) =>
      runBuyer(
        100_000 + i,
        { kind: "ga", quantity: 1, token: "sandbox_slow", abandon: "none" },
        {
          clients: c.clients.pick(i),
          event: c.event,
          token: u.accessToken,
          rec: c.rec,
          random: prng((c.seed ^ Math.imul(i + 1, 0x85ebca6b)) >>> 0),
          deadlineMs: Date.now() + c.budgetMs,
          live: c.live,
        },
      ),
    ),
  );
}

/** sandbox_ok buyers who started a checkout, how many of their orders are CONFIRMED in the database, and why not the others. */
async function sandboxOkOutcome(
  db: { mariadbUrl: string; prefix: string },
  results: readonly BuyerResult[],
  faults: readonly FaultOutcome[],
): Promise<RoundResult["okConfirmed"]> {
  const ok = results.filter(
    (r) => r.plan.token === "sandbox_ok" && r.checkoutStartMs !== undefined && r.holdId !== undefined,
  );
  const states = await orderStatesByHold(
    db,
    ok.map((r) => r.holdId!),
  );
  // why the others did not end CONFIRMED: the order's state in the database and the reason the buyer saw
  const others: Record<string, number> = {};
  for (const r of ok) {
    const state = states.get(r.holdId!);
    if (state === "CONFIRMED") continue;
    // the fault in force (injected, not yet restarted or reset) when it sent Checkout
    const hit = faults.find((f) => f.atMs <= r.checkoutStartMs! && f.atMs + f.downMs >= r.checkoutStartMs!);
    const seen = r.failureReason
      ? ` ${r.failureReason}`
      : r.error
        ? ` (${r.error.replace(/[0-9a-f]{8}-[0-9a-f-]{27}/g, "…").slice(0, 70)})` // ids apart, alike errors count together
        : r.final !== state
          ? ` (the buyer's last word: ${r.final})`
          : "";
    const why = `${state ?? "no order"}${seen}, ${hit ? `Checkout during ${hit.name}` : "no fault in force at its Checkout"}`;
    others[why] = (others[why] ?? 0) + 1;
  }
  return {
    confirmed: ok.filter((r) => states.get(r.holdId!) === "CONFIRMED").length,
    checkouts: ok.length,
    others,
  };
}
