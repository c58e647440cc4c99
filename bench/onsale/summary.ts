/**
 * The figures of one on-sale run, computed from what the buyers saw (pure: the JSON behind the
 * report, and what the console prints). Definitions:
 * - holds/s, purchases/s: sustained rates — successful holds (CONFIRMED orders) between the 10th
 *   and the 90th percentile of their times, over that span; the peak is the best 1-second window;
 * - hold-to-confirmed: from the start of the HoldSeats call that succeeded to the moment the buyer
 *   saw CONFIRMED (Checkout's answer or WatchOrder), buyers paying with sandbox_ok; buyers go
 *   straight from hold to checkout (no think time), so it is the platform's time alone.
 */
import { cpus, loadavg } from "node:os";
import type { BuyerResult, FinalState } from "./buyer.js";
import type { Ceiling } from "./ceilings.js";
import type { InvariantResult } from "./invariants.js";
import type { LagPoint } from "./prom.js";
import type { Recorder } from "./record.js";
import { concurrencySeries, latencySeries, percentile, rateSeries, sustainedRate } from "./stats.js";

export const TARGETS = { purchasesPerSec: 200, holdToConfirmedP99Ms: 250, splitWithin: 1.5 } as const;

export interface Target {
  name: string;
  target: string;
  value: string;
  met: boolean;
}

export interface OnsaleSummary {
  mode: string;
  buyers: number;
  seed: number;
  startedAt: string;
  /** os.loadavg() (1, 5, 15 min) when the crowd started and when the run was summarised: the box is shared. */
  loadAverage: { start: number[]; end: number[]; cpus: number };
  places: number;
  /** From the sales start to the last buyer's end, s. */
  durationSec: number;
  holdsPerSec: number;
  holdsPeakPerSec: number;
  purchasesPerSec: number;
  purchasesPeakPerSec: number;
  holdToConfirmedMs: { p50: number; p90: number; p99: number; max: number; n: number };
  outcomes: Partial<Record<FinalState, number>>;
  /** Final states per payment token. */
  byToken: Record<string, Partial<Record<FinalState, number>>>;
  answers: Array<{ method: string; code: string; reason: string; n: number }>;
  latencyByMethod: Record<string, { p50: number; p99: number; n: number }>;
  placesSold: number;
  oversoldPlaces: number;
  doubleCharges: number;
  emails: {
    confirmedOrders: number;
    emailed: number;
    /** Distinct Message-IDs of confirmation emails in the sink. */
    confirmationEmails: number;
    files: number;
    distinctMessageIds: number;
    drained: boolean;
    drainMs: number;
  };
  cache: { hits: number; reads: number; ratio: number };
  peakConsumerLag: { lag: number; consumer: string };
  ceilings?: { emptyRpc: Ceiling; holds: Ceiling };
  targets: Target[];
  buyerErrors: string[];
  series: {
    throughput: { holds: Array<[number, number]>; purchases: Array<[number, number]> };
    latency: { p50: Array<[number, number]>; p90: Array<[number, number]>; p99: Array<[number, number]> };
    inflight: { buyers: Array<[number, number]>; checkingOut: Array<[number, number]> };
    lag: Array<[number, number]>;
  };
}

export function summarise(o: {
  mode: string;
  seed: number;
  startedAt: Date;
  salesStartMs: number;
  places: number;
  results: readonly BuyerResult[];
  rec: Recorder;
  invariants: readonly InvariantResult[];
  drain: { drained: boolean; ms: number };
  cache: { hits: number; reads: number; ratio: number };
  lag: readonly LagPoint[];
  ceilings?: { emptyRpc: Ceiling; holds: Ceiling };
  loadAtStart: number[];
}): OnsaleSummary {
  const r = o.results;
  const t0 = o.salesStartMs;
  const t1 = Math.max(t0 + 1000, ...r.map((b) => b.finalMs));
  const holdTimes = r.flatMap((b) => (b.holdOkMs === undefined ? [] : [b.holdOkMs]));
  const confirmed = r.filter((b) => b.final === "CONFIRMED");
  const buyTimes = confirmed.map((b) => b.finalMs);
  const okConfirmed = confirmed.filter((b) => b.plan.token === "sandbox_ok" && b.holdStartMs !== undefined);
  const h2c = okConfirmed.map((b) => b.finalMs - b.holdStartMs!);
  const count = <K extends string>(keys: K[]) => {
    const m: Partial<Record<K, number>> = {};
    for (const k of keys) m[k] = (m[k] ?? 0) + 1;
    return m;
  };
  const byToken: OnsaleSummary["byToken"] = {};
  for (const b of r) {
    const t = (byToken[b.plan.token] ??= {});
    t[b.final] = (t[b.final] ?? 0) + 1;
  }
  const peak = (series: Array<[number, number]>) => Math.max(0, ...series.map((p) => p[1]));
  const holdSeries = rateSeries(holdTimes, t0, t1, 1000);
  const buySeries = rateSeries(buyTimes, t0, t1, 1000);
  const [p50, p90, p99] = latencySeries(
    okConfirmed.map((b) => ({ endMs: b.finalMs, latencyMs: b.finalMs - b.holdStartMs! })),
    t0,
    t1,
    1000,
    [0.5, 0.9, 0.99],
  );
  const inv = (id: string) => o.invariants.find((i) => i.id === id);
  const email = inv("one-email")?.facts ?? {};
  const latencyByMethod: OnsaleSummary["latencyByMethod"] = {};
  for (const [m, l] of o.rec.latencies)
    latencyByMethod[m] = { p50: percentile(l, 0.5), p99: percentile(l, 0.99), n: l.length };
  const s: OnsaleSummary = {
    mode: o.mode,
    buyers: r.length,
    seed: o.seed,
    startedAt: o.startedAt.toISOString(),
    loadAverage: {
      start: o.loadAtStart.map((l) => +l.toFixed(2)),
      end: loadavg().map((l) => +l.toFixed(2)),
      cpus: cpus().length,
    },
    places: o.places,
    durationSec: (t1 - t0) / 1000,
    holdsPerSec: sustainedRate(holdTimes),
    holdsPeakPerSec: peak(holdSeries),
    purchasesPerSec: sustainedRate(buyTimes),
    purchasesPeakPerSec: peak(buySeries),
    holdToConfirmedMs: {
      p50: percentile(h2c, 0.5),
      p90: percentile(h2c, 0.9),
      p99: percentile(h2c, 0.99),
      max: Math.max(0, ...h2c),
      n: h2c.length,
    },
    outcomes: count(r.map((b) => b.final)),
    byToken,
    answers: [...o.rec.answers.values()].sort((a, b) => a.method.localeCompare(b.method) || b.n - a.n),
    latencyByMethod,
    placesSold: confirmed.reduce((n, b) => n + b.places, 0),
    oversoldPlaces: (inv("seat-two-tickets")?.violations ?? 0) + (inv("sold-and-available")?.violations ?? 0),
    doubleCharges: inv("one-charge")?.facts?.doubleCharged ?? inv("one-charge")?.violations ?? 0,
    emails: {
      confirmedOrders: email.confirmed ?? confirmed.length,
      emailed: email.emailed ?? 0,
      confirmationEmails: email.confirmationEmails ?? 0,
      files: email.files ?? 0,
      distinctMessageIds: email.distinctMessageIds ?? 0,
      drained: o.drain.drained,
      drainMs: o.drain.ms,
    },
    cache: o.cache,
    peakConsumerLag: (() => {
      const p = o.lag.reduce((a, b) => (b.maxLag > a.maxLag ? b : a), { tMs: 0, maxLag: 0, consumer: "" });
      return { lag: p.maxLag, consumer: p.consumer };
    })(),
    ceilings: o.ceilings,
    targets: [],
    buyerErrors: [...new Set(r.flatMap((b) => (b.error === undefined ? [] : [b.error])))].slice(0, 10),
    series: {
      throughput: { holds: holdSeries, purchases: buySeries },
      latency: { p50: p50!, p90: p90!, p99: p99! },
      inflight: {
        buyers: concurrencySeries(
          r.map((b) => ({ startMs: b.arriveMs, endMs: b.finalMs })),
          t0,
          t1,
          250,
        ),
        checkingOut: concurrencySeries(
          r.flatMap((b) => (b.checkoutStartMs === undefined ? [] : [{ startMs: b.checkoutStartMs, endMs: b.finalMs }])),
          t0,
          t1,
          250,
        ),
      },
      lag: o.lag.filter((p) => p.tMs >= t0).map((p) => [(p.tMs - t0) / 1000, p.maxLag]),
    },
  };
  s.targets = [
    {
      name: "purchases/s sustained",
      target: `≥ ${TARGETS.purchasesPerSec}`,
      value: s.purchasesPerSec.toFixed(0),
      met: s.purchasesPerSec >= TARGETS.purchasesPerSec,
    },
    {
      name: "hold-to-confirmed p99 (sandbox_ok)",
      target: `≤ ${TARGETS.holdToConfirmedP99Ms} ms`,
      value: `${s.holdToConfirmedMs.p99.toFixed(0)} ms`,
      met: s.holdToConfirmedMs.n > 0 && s.holdToConfirmedMs.p99 <= TARGETS.holdToConfirmedP99Ms,
    },
  ];
  return s;
}

/** Split mode against all-in-one: within 1.5× on both figures. */
export function splitTargets(all: OnsaleSummary, split: OnsaleSummary): Target[] {
  const rate = all.purchasesPerSec / Math.max(1e-9, split.purchasesPerSec);
  const p99 = split.holdToConfirmedMs.p99 / Math.max(1e-9, all.holdToConfirmedMs.p99);
  return [
    {
      name: "split purchases/s vs all-in-one",
      target: `within ${TARGETS.splitWithin}×`,
      value: `${rate.toFixed(2)}× slower`,
      met: rate <= TARGETS.splitWithin,
    },
    {
      name: "split p99 vs all-in-one",
      target: `within ${TARGETS.splitWithin}×`,
      value: `${p99.toFixed(2)}×`,
      met: p99 <= TARGETS.splitWithin,
    },
  ];
}

/** Integrity problems that fail the run: sold twice, charged twice, or confirmed without its one email. */
export function integrityProblems(s: OnsaleSummary, invariants: readonly InvariantResult[] = []): string[] {
  const out: string[] = invariants.flatMap((i) =>
    i.examples.filter((e) => e.startsWith("check failed")).map((e) => `${i.id}: ${e}`),
  );
  if (s.oversoldPlaces > 0) out.push(`${s.oversoldPlaces} oversold place(s)`);
  if (s.doubleCharges > 0) out.push(`${s.doubleCharges} double charge(s)`);
  if (s.emails.emailed !== s.emails.confirmedOrders)
    out.push(`${s.emails.confirmedOrders} confirmed orders but ${s.emails.emailed} with exactly one email`);
  return out;
}
