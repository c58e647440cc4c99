/**
 * Settling what is unknown: the outcome of an order's charge on request (GetChargeOutcome, for
 * the ticket service's reconciliation, which never re-sends a Charge — it has no token), and the
 * sweep that settles PENDING payments and refunds nobody is waiting for.
 */
import { isDuplicateKey } from "../../../platform/db/index.js";
import {
  insertPayment,
  loadPaymentByOrder,
  type StoredPayment,
  unsettledPayments,
  unsettledRefunds,
} from "../db/repository.js";
import { ChargeNotFoundError, PaymentOutcomeUnknownError, ProviderUnavailableError } from "../domain/errors.js";
import { notCompletedCode } from "../domain/failure-codes.js";
import type { ProviderChargeLookup } from "../provider/provider.js";
import { type CallOptions, recordOutcome, resume, takeOver } from "./charge.js";
import { type PaymentOpsDeps, providerKey } from "./deps.js";
import { sendRefund, takeOverRefund } from "./refund.js";

/**
 * The payment of an order: our record, settled by asking the provider by key when its outcome is
 * unknown and nobody is asking already. PENDING when the provider is still processing or an attempt
 * is in progress (ask again later). With no record, asks the provider under `idempotencyKey`
 * (default: the order id, the ticket service's key) and rebuilds the payment from the provider's
 * record; ChargeNotFoundError when the provider never received a charge for it.
 */
export async function chargeOutcome(
  d: PaymentOpsDeps,
  q: { orderId: string; idempotencyKey?: string },
  opts: CallOptions = {},
): Promise<StoredPayment> {
  for (let round = 0; round < 2; round++) {
    const p = await loadPaymentByOrder(d.db.orm, q.orderId);
    if (p !== undefined) {
      if (p.state !== "PENDING") return p;
      const mine = await takeOver(d, p);
      return mine === undefined ? p : resume(d, mine, undefined, opts.signal);
    }
    const adopted = await adopt(d, q.orderId, q.idempotencyKey ?? q.orderId, opts.signal);
    if (adopted !== undefined) return adopted;
  }
  throw new Error(`payment of order ${q.orderId}: inserted concurrently, yet not found`);
}

/** Rebuilds the payment of a charge the provider has and we have not; undefined when it raced an insert. */
async function adopt(
  d: PaymentOpsDeps,
  orderId: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<StoredPayment | undefined> {
  let found: ProviderChargeLookup;
  try {
    found = await d.provider.lookupCharge(providerKey("charge", key), { signal });
  } catch (e) {
    throw new ProviderUnavailableError(undefined, e);
  }
  if (found.status === "NOT_FOUND") throw new ChargeNotFoundError(orderId);
  if (found.status === "PROCESSING") throw new PaymentOutcomeUnknownError(orderId, undefined, undefined, "order");
  // A key of another order is not this order's charge.
  if (found.metadata.order_id !== orderId || !found.metadata.user_id) throw new ChargeNotFoundError(orderId);
  const now = d.clock.date();
  const p: StoredPayment = {
    id: found.metadata.payment_id || d.newId(),
    idempotencyKey: key,
    orderId,
    userId: found.metadata.user_id,
    amount: found.amount,
    state: "PENDING",
    failureCode: "",
    failureMessage: "",
    provider: d.provider.name,
    providerReference: "",
    refundedMinor: 0,
    version: 0,
    createTime: now,
    updateTime: now,
    requestFingerprint: null,
    attempts: 0,
    claimedUntil: now,
    lastAttemptTime: now,
  };
  try {
    await insertPayment(d.db.orm, p);
  } catch (e) {
    if (isDuplicateKey(e)) return undefined;
    throw e;
  }
  return recordOutcome(d, p.id, found);
}

export interface SweepResult {
  /** Payments settled from the provider's record (SUCCEEDED or declined). */
  settled: number;
  /** Payments the provider never received, now FAILED (CHARGE_NOT_COMPLETED). */
  abandoned: number;
  /** Payments still unknown (processing, or too young to abandon). */
  pending: number;
  /** Refunds sent again and settled. */
  refunds: number;
  /** Items that failed this round (provider unavailable…); the next sweep tries again. */
  errors: number;
}

/**
 * One round of the settle sweep (run periodically by the service): PENDING payments whose last
 * attempt is older than `timing.recheckMs` and that nobody holds are looked up by key and
 * recorded; PENDING refunds idle as long are sent again under their key.
 */
export async function settleUnsettled(
  d: PaymentOpsDeps,
  opts: { limit?: number; signal?: AbortSignal } = {},
): Promise<SweepResult> {
  const out: SweepResult = { settled: 0, abandoned: 0, pending: 0, refunds: 0, errors: 0 };
  const now = d.clock.date();
  const idleSince = new Date(now.getTime() - d.timing.recheckMs);
  for (const p of await unsettledPayments(d.db.orm, now, idleSince, opts.limit ?? 100)) {
    const mine = await takeOver(d, p);
    if (mine === undefined) continue;
    try {
      const after = await resume(d, mine, undefined, opts.signal);
      if (after.state === "PENDING") out.pending++;
      else if (after.failureCode === notCompletedCode) out.abandoned++;
      else out.settled++;
    } catch {
      out.errors++;
    }
  }
  for (const r of await unsettledRefunds(d.db.orm, idleSince, opts.limit ?? 100)) {
    const mine = await takeOverRefund(d, r);
    if (mine === undefined) continue;
    try {
      await sendRefund(d, mine, opts.signal);
      out.refunds++;
    } catch {
      out.errors++;
    }
  }
  return out;
}
