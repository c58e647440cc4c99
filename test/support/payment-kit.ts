/**
 * Payment test kit: a migrated payment database, the sandbox provider under its resilience policy
 * with a call counter in between, and operation deps whose events are collected in memory.
 */
import { fileURLToPath } from "node:url";
import type { OutboxEvent } from "../../platform/bus/outbox.js";
import { type Clock, systemClock } from "../../platform/clock/index.js";
import { createDb, type Db } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { createIdGenerator } from "../../platform/ids/index.js";
import {
  directSteps,
  type PaymentOpsDeps,
  type PaymentTiming,
  paymentTiming,
} from "../../services/payment/operations/index.js";
import type {
  PaymentProvider,
  ProviderCallOptions,
  ProviderChargeRequest,
  ProviderRefundRequest,
} from "../../services/payment/provider/provider.js";
import { type ProviderPolicyOptions, ResilientProvider } from "../../services/payment/provider/resilient.js";
import { SandboxProvider } from "../../services/payment/provider/sandbox.js";
import { infraUrls } from "./infra.js";

const migrations = fileURLToPath(new URL("../../services/payment/db/migrations", import.meta.url));

/** Creates and migrates `<prefix>_payment` and opens a pool on it. */
export async function paymentDatabase(prefix: string, poolSize = 12): Promise<Db> {
  const database = `${prefix}_payment`;
  await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: migrations });
  return createDb({ url: infraUrls().mariadbUrl, database, poolSize });
}

/** Counts what reaches the provider (each attempt, after the policy's retries). */
export class CountingProvider implements PaymentProvider {
  readonly name: string;
  readonly calls = { charge: 0, refund: 0, lookup: 0 };
  constructor(readonly inner: PaymentProvider) {
    this.name = inner.name;
  }
  charge(req: ProviderChargeRequest, opts?: ProviderCallOptions) {
    this.calls.charge++;
    return this.inner.charge(req, opts);
  }
  refund(req: ProviderRefundRequest, opts?: ProviderCallOptions) {
    this.calls.refund++;
    return this.inner.refund(req, opts);
  }
  lookupCharge(key: string, opts?: ProviderCallOptions) {
    this.calls.lookup++;
    return this.inner.lookupCharge(key, opts);
  }
}

export interface PaymentKit {
  sandbox: SandboxProvider;
  counting: CountingProvider;
  provider: ResilientProvider;
  deps: PaymentOpsDeps;
  /** Every event the operations committed, in order. */
  events: OutboxEvent[];
}

/** Fast policy defaults for tests: short attempts, quick backoff. */
export const testPolicy: ProviderPolicyOptions = { timeoutMs: 1_000, retries: 2, backoffMs: 5, breakAfter: 5 };

/** A sandbox (a "process" of the payment service) on `db`; call again for a restarted one. */
export function paymentKit(
  db: Db,
  o: {
    clock?: Clock;
    slowMs?: number;
    policy?: ProviderPolicyOptions;
    timing?: Partial<PaymentTiming>;
    random?: () => number;
  } = {},
): PaymentKit {
  const clock = o.clock ?? systemClock;
  const newId = createIdGenerator();
  const sandbox = new SandboxProvider({ db, clock, newId, slowMs: o.slowMs ?? 300, random: o.random });
  const counting = new CountingProvider(sandbox);
  const policy = { ...testPolicy, ...o.policy };
  const provider = new ResilientProvider(counting, policy);
  const events: OutboxEvent[] = [];
  const deps: PaymentOpsDeps = {
    db,
    clock,
    newId,
    provider,
    runStep: directSteps(db, (e) => events.push(...e)),
    timing: paymentTiming(policy, { pollMs: 10, ...o.timing }),
  };
  return { sandbox, counting, provider, deps, events };
}

/** Row counts of a table, optionally filtered by one column. */
export async function countRows(db: Db, table: string, where?: [string, string]): Promise<number> {
  const [rows] = await db.pool.query(
    `SELECT COUNT(*) AS n FROM \`${table}\`${where ? ` WHERE \`${where[0]}\` = ?` : ""}`,
    where ? [where[1]] : [],
  );
  return Number((rows as Array<{ n: number }>)[0]?.n);
}

/** A seeded PRNG (mulberry32) so randomised runs can be replayed from their seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
