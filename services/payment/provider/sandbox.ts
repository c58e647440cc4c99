/**
 * The built-in sandbox provider: behaves like a card processor, driven by test payment tokens
 * (docs/payment.md), with its books in the payment service's database (sandbox_* tables) so it
 * survives restarts. Like a real processor it dedupes on the idempotency key — insert-then-act on
 * the key's primary key, so concurrent duplicates charge once — refuses a key reused with other
 * parameters, and answers lookups by key.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { eq, sql } from "drizzle-orm";
import type { Clock } from "../../../platform/clock/index.js";
import { type Db, isDuplicateKey, withTransaction } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import { sandboxCharges, sandboxRefunds } from "../db/schema.js";
import {
  type PaymentProvider,
  type ProviderCallOptions,
  type ProviderChargeLookup,
  type ProviderChargeOutcome,
  type ProviderChargeRequest,
  ProviderKeyReusedError,
  type ProviderRefundRequest,
  type ProviderRefundResult,
  ProviderRejectedError,
  ProviderRetryableError,
  ProviderUnknownOutcomeError,
} from "./provider.js";
import { SandboxFaultSwitch, type SandboxFaults } from "./sandbox-faults.js";

/** The test payment tokens and what each does. Any other token is declined with INVALID_TOKEN. */
export const sandboxTokens = {
  ok: "sandbox_ok",
  declined: "sandbox_declined",
  insufficientFunds: "sandbox_insufficient_funds",
  error: "sandbox_error",
  lostAnswer: "sandbox_lost_answer",
  slow: "sandbox_slow",
} as const;

type Behaviour =
  | { kind: "error" }
  | { kind: "outcome"; status: "SUCCEEDED" | "DECLINED"; failureCode: string; lose: boolean; slow: boolean };

function behaviourOf(token: string): Behaviour {
  const outcome = (status: "SUCCEEDED" | "DECLINED", failureCode = "", lose = false, slow = false): Behaviour => ({
    kind: "outcome",
    status,
    failureCode,
    lose,
    slow,
  });
  switch (token) {
    case sandboxTokens.ok:
      return outcome("SUCCEEDED");
    case sandboxTokens.declined:
      return outcome("DECLINED", "CARD_DECLINED");
    case sandboxTokens.insufficientFunds:
      return outcome("DECLINED", "INSUFFICIENT_FUNDS");
    case sandboxTokens.error:
      return { kind: "error" };
    case sandboxTokens.lostAnswer:
      return outcome("SUCCEEDED", "", true);
    case sandboxTokens.slow:
      return outcome("SUCCEEDED", "", false, true);
    default:
      return outcome("DECLINED", "INVALID_TOKEN");
  }
}

export interface SandboxOptions {
  db: Db;
  clock: Clock;
  newId: IdGenerator;
  /** How long a sandbox_slow charge takes (BOXOFFICE_SANDBOX_SLOW_MS). */
  slowMs: number;
  /** Random numbers in [0, 1) for the fault rates (injectable so chaos runs can be seeded). */
  random?: () => number;
}

const digest = (parts: ReadonlyArray<string | number>) => createHash("sha256").update(JSON.stringify(parts)).digest();

type ChargeRow = typeof sandboxCharges.$inferSelect;

export class SandboxProvider implements PaymentProvider {
  readonly name = "sandbox";
  /** Run-time fault knobs for chaos tests (latency, failure and lost-answer rates). */
  readonly faults: SandboxFaultSwitch;

  constructor(private readonly opts: SandboxOptions) {
    this.faults = new SandboxFaultSwitch(opts.random ?? Math.random);
  }

  /** Shorthand for {@link SandboxFaultSwitch.set}. */
  setFaults(f: Partial<SandboxFaults>): SandboxFaults {
    return this.faults.set(f);
  }

  async charge(req: ProviderChargeRequest, opts: ProviderCallOptions = {}): Promise<ProviderChargeOutcome> {
    await this.faults.beforeCall(opts.signal);
    const b = behaviourOf(req.paymentToken);
    if (b.kind === "error") throw new ProviderRetryableError("sandbox_error: processing error, nothing was charged");
    const metadata = Object.fromEntries(Object.entries(req.metadata).sort(([a], [c]) => a.localeCompare(c)));
    const fingerprint = digest([
      req.amount.currencyCode,
      req.amount.amountMinor,
      req.paymentToken,
      req.description,
      JSON.stringify(metadata),
    ]);
    const now = this.opts.clock.now();
    let row: ChargeRow = {
      idempotencyKey: req.idempotencyKey,
      reference: `sbx_ch_${this.opts.newId()}`,
      requestFingerprint: fingerprint,
      currencyCode: req.amount.currencyCode,
      amountMinor: req.amount.amountMinor,
      status: b.status,
      failureCode: b.failureCode,
      description: req.description.slice(0, 500),
      metadata: JSON.stringify(metadata),
      settleTime: new Date(now + (b.slow ? this.opts.slowMs : 0)),
      createTime: new Date(now),
    };
    try {
      await this.opts.db.orm.insert(sandboxCharges).values(row);
    } catch (e) {
      if (!isDuplicateKey(e)) throw new ProviderRetryableError("sandbox: could not record the charge", { cause: e });
      const existing = await this.chargeRow(req.idempotencyKey);
      if (existing === undefined) throw new ProviderRetryableError("sandbox: charge vanished", { cause: e });
      if (!Buffer.from(existing.requestFingerprint).equals(fingerprint))
        throw new ProviderKeyReusedError(req.idempotencyKey);
      row = existing;
    }
    const wait = row.settleTime.getTime() - this.opts.clock.now();
    if (wait > 0) {
      try {
        await sleep(wait, undefined, { signal: opts.signal });
      } catch (e) {
        throw new ProviderUnknownOutcomeError("sandbox: the caller stopped waiting for a slow charge", { cause: e });
      }
    }
    if (b.lose) await noAnswer(opts.signal);
    if (this.faults.loseAnswer())
      throw new ProviderUnknownOutcomeError("sandbox: the charge was processed but its answer was lost");
    return outcomeOf(row);
  }

  async refund(req: ProviderRefundRequest, opts: ProviderCallOptions = {}): Promise<ProviderRefundResult> {
    await this.faults.beforeCall(opts.signal);
    const fingerprint = digest([req.chargeReference, req.amount.currencyCode, req.amount.amountMinor]);
    const reference = await withTransaction(this.opts.db, async (tx) => {
      // The charge row's lock serialises refunds of one charge: their sum is checked against it.
      const [charge] = await tx
        .select()
        .from(sandboxCharges)
        .where(eq(sandboxCharges.reference, req.chargeReference))
        .for("update");
      const [existing] = await tx
        .select()
        .from(sandboxRefunds)
        .where(eq(sandboxRefunds.idempotencyKey, req.idempotencyKey));
      if (existing !== undefined) {
        if (!Buffer.from(existing.requestFingerprint).equals(fingerprint))
          throw new ProviderKeyReusedError(req.idempotencyKey);
        return existing.reference;
      }
      if (charge === undefined || charge.status !== "SUCCEEDED" || charge.settleTime.getTime() > this.opts.clock.now())
        throw new ProviderRejectedError("CHARGE_NOT_REFUNDABLE", "no succeeded charge with this reference");
      if (charge.currencyCode !== req.amount.currencyCode)
        throw new ProviderRejectedError("CURRENCY_MISMATCH", "the refund's currency differs from the charge's");
      const [sum] = await tx
        .select({ refunded: sql<string | null>`SUM(${sandboxRefunds.amountMinor})` })
        .from(sandboxRefunds)
        .where(eq(sandboxRefunds.chargeReference, req.chargeReference));
      if (Number(sum?.refunded ?? 0) + req.amount.amountMinor > charge.amountMinor)
        throw new ProviderRejectedError("REFUND_EXCEEDS_CHARGE", "refunds would exceed the charge");
      const ref = `sbx_re_${this.opts.newId()}`;
      await tx.insert(sandboxRefunds).values({
        idempotencyKey: req.idempotencyKey,
        reference: ref,
        requestFingerprint: fingerprint,
        chargeReference: req.chargeReference,
        currencyCode: req.amount.currencyCode,
        amountMinor: req.amount.amountMinor,
        createTime: new Date(this.opts.clock.now()),
      });
      return ref;
    });
    if (this.faults.loseAnswer()) throw new ProviderUnknownOutcomeError("sandbox: the refund's answer was lost");
    return { reference };
  }

  async lookupCharge(idempotencyKey: string, opts: ProviderCallOptions = {}): Promise<ProviderChargeLookup> {
    await this.faults.beforeCall(opts.signal);
    const row = await this.chargeRow(idempotencyKey);
    if (row === undefined) return { status: "NOT_FOUND" };
    if (row.settleTime.getTime() > this.opts.clock.now()) return { status: "PROCESSING" };
    return {
      ...outcomeOf(row),
      amount: { currencyCode: row.currencyCode, amountMinor: row.amountMinor },
      metadata: JSON.parse(row.metadata) as Record<string, string>,
    };
  }

  private async chargeRow(key: string): Promise<ChargeRow | undefined> {
    const [row] = await this.opts.db.orm.select().from(sandboxCharges).where(eq(sandboxCharges.idempotencyKey, key));
    return row;
  }
}

/**
 * A lost answer as a caller meets it: the charge took effect, and no answer comes until the caller
 * stops waiting (its timeout). Without a signal there is nothing to wait for: it fails at once.
 */
async function noAnswer(signal: AbortSignal | undefined): Promise<never> {
  if (signal !== undefined && !signal.aborted)
    await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
  throw new ProviderUnknownOutcomeError("sandbox_lost_answer: the charge was processed, its answer never came");
}

function outcomeOf(row: ChargeRow): ProviderChargeOutcome {
  return row.status === "SUCCEEDED"
    ? { status: "SUCCEEDED", reference: row.reference }
    : { status: "DECLINED", reference: row.reference, failureCode: row.failureCode };
}
