import { setTimeout as sleep } from "node:timers/promises";
import type { OutboxEvent } from "../../../platform/bus/outbox.js";
import type { Clock } from "../../../platform/clock/index.js";
import { type Db, type Tx, withTransaction } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import type { PaymentProvider } from "../provider/provider.js";
import { type ProviderPolicyOptions, worstCaseCallMs } from "../provider/resilient.js";

/** What one write step commits: its value, and the integration events that commit with it. */
export interface StepResult<T> {
  value: T;
  events: OutboxEvent[];
}

/**
 * Runs one write step in a transaction and writes the events it returns in that same transaction.
 * The command pipeline provides the real one (outbox rows + relay wake-up after commit); the
 * operations never touch the outbox themselves. A step may be re-run on deadlock.
 */
export type RunStep = <T>(step: (tx: Tx) => Promise<StepResult<T>>) => Promise<T>;

/**
 * A step runner with no outbox: commits, then hands the events to `sink`. For tests and tools;
 * never for serving, where an event lost between commit and sink would be lost for good.
 */
export function directSteps(db: Db, sink: (events: OutboxEvent[]) => void = () => {}): RunStep {
  return async (step) => {
    const r = await withTransaction(db, step);
    sink(r.events);
    return r.value;
  };
}

/** Time bounds of the charge and refund protocols (docs/payment.md, "Timing"). */
export interface PaymentTiming {
  /** Lease of one attempt at the provider: longer than the provider policy's worst case. */
  claimMs: number;
  /** How long a duplicate waits for an attempt in progress before answering "unknown". */
  waitMs: number;
  /** First pause of a waiting duplicate (doubles up to 8×). */
  pollMs: number;
  /** Pause before the sweep asks the provider again about an unknown outcome. */
  recheckMs: number;
  /** Age after which a PENDING payment the provider never received is FAILED (CHARGE_NOT_COMPLETED). */
  abandonAfterMs: number;
}

export function paymentTiming(policy: ProviderPolicyOptions = {}, over: Partial<PaymentTiming> = {}): PaymentTiming {
  const claimMs = worstCaseCallMs(policy) + 5_000;
  return {
    claimMs,
    waitMs: claimMs,
    pollMs: 25,
    recheckMs: 2_000,
    abandonAfterMs: Math.max(120_000, 2 * claimMs),
    ...over,
  };
}

export interface PaymentOpsDeps {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  /** The provider under its resilience policy (ResilientProvider). */
  provider: PaymentProvider;
  runStep: RunStep;
  timing: PaymentTiming;
}

/** The key a charge or refund carries to the provider: one namespace per kind, as processors share one. */
export const providerKey = (kind: "charge" | "refund", key: string) => `${kind}:${key}`;

/** Waits `ms` unless `signal` aborts first; false when it aborted. */
export async function nap(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  try {
    await sleep(ms, undefined, { signal });
    return true;
  } catch {
    return false;
  }
}
