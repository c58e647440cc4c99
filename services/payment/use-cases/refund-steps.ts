/**
 * The steps of a refund that Refund and the settle sweep share: taking a refund's lease, sending it
 * under its key, and booking what the provider said — the refund, its ledger entry and the payment
 * with PaymentRefunded in one transaction of the command pipeline.
 */
import type { Principal } from "../../../platform/principal/index.js";
import {
  claimRefund,
  insertLedgerEntry,
  loadPayment,
  loadRefundByKey,
  releaseRefund,
  type StoredPayment,
  type StoredRefund,
  savePayment,
  settleRefund,
} from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { ProviderUnavailableError, RefundOutcomeUnknownError, RefundRejectedError } from "../domain/errors.js";
import { applyRefund } from "../domain/refund.js";
import { refundedEvent } from "../events/published.js";
import { ProviderKeyReusedError, ProviderRejectedError, ProviderRetryableError } from "../provider/provider.js";
import { providerKey } from "./charge-steps.js";

export interface RefundOutcome {
  payment: StoredPayment;
  refund: StoredRefund;
}

/** The refund with its lease taken by us, or undefined when it is settled or held by someone else. */
export async function takeOverRefund(d: PaymentDeps, who: Principal | undefined, r: StoredRefund) {
  const now = d.clock.date();
  if (r.state !== "PENDING" || r.claimedUntil.getTime() > now.getTime()) return undefined;
  const until = new Date(now.getTime() + d.timing.claimMs);
  const claimed = await d.commands.transaction(who, (w) => claimRefund(w.tx, r.id, r.attempts, now, until));
  if (!claimed) return undefined;
  return { ...r, claimedUntil: until, attempts: r.attempts + 1 };
}

/** A settled refund as the caller gets it: FAILED (the provider refused it) is REFUND_REJECTED. */
export async function settledRefund(d: PaymentDeps, r: StoredRefund): Promise<RefundOutcome> {
  if (r.state === "FAILED") throw new RefundRejectedError(r.id, r.failureCode);
  const payment = await loadPayment(d.db.orm, r.paymentId);
  if (payment === undefined) throw new Error(`payment ${r.paymentId} disappeared`);
  return { payment, refund: r };
}

/** Sends the refund (lease held) and books the outcome; on no outcome gives the lease back and throws. */
export async function sendRefund(
  d: PaymentDeps,
  who: Principal | undefined,
  r: StoredRefund,
  signal: AbortSignal | undefined,
): Promise<RefundOutcome> {
  const p = await loadPayment(d.db.orm, r.paymentId);
  if (p === undefined) throw new Error(`payment ${r.paymentId} disappeared`);
  let reference: string;
  try {
    ({ reference } = await d.provider.refund(
      {
        idempotencyKey: providerKey("refund", r.idempotencyKey),
        chargeReference: p.providerReference,
        amount: { currencyCode: r.currencyCode, amountMinor: r.amountMinor },
      },
      { signal },
    ));
  } catch (e) {
    if (e instanceof ProviderRejectedError || e instanceof ProviderKeyReusedError) {
      const failureCode = e instanceof ProviderRejectedError ? e.code : "KEY_REUSED";
      await d.commands.transaction(who, (w) =>
        settleRefund(w.tx, r.id, { state: "FAILED", failureCode, providerReference: "", updateTime: new Date(w.now) }),
      );
      return settledRefund(d, (await loadRefundByKey(d.db.orm, r.idempotencyKey)) ?? r);
    }
    await d.commands.transaction(who, (w) => releaseRefund(w.tx, r.id, r.attempts, d.clock.date()));
    if (e instanceof ProviderRetryableError) throw new ProviderUnavailableError(e);
    throw new RefundOutcomeUnknownError(r.id, e);
  }
  return bookRefund(d, who, r, reference);
}

/** Books a succeeded refund: refund row, ledger entry and payment in one step with PaymentRefunded. */
function bookRefund(
  d: PaymentDeps,
  who: Principal | undefined,
  r: StoredRefund,
  reference: string,
): Promise<RefundOutcome> {
  return d.commands.transaction(who, async (w) => {
    const p = await loadPayment(w.tx, r.paymentId, true);
    if (p === undefined) throw new Error(`payment ${r.paymentId} disappeared`);
    const now = new Date(w.now);
    const change = { state: "SUCCEEDED", failureCode: "", providerReference: reference, updateTime: now } as const;
    const done: StoredRefund = { ...r, ...change };
    if (!(await settleRefund(w.tx, r.id, change))) {
      // Booked by another caller already: answer what is stored.
      const stored = await loadRefundByKey(w.tx, r.idempotencyKey);
      return { payment: p, refund: stored ?? done };
    }
    const next = applyRefund(p, r.amountMinor, now);
    await savePayment(w.tx, next, p.version);
    await insertLedgerEntry(w.tx, {
      id: d.newId(),
      paymentId: p.id,
      kind: "REFUND",
      currencyCode: r.currencyCode,
      amountMinor: r.amountMinor,
      refundId: r.id,
      providerReference: reference,
      createTime: now,
    });
    await w.emit(refundedEvent(next, done));
    return { payment: { ...p, ...next }, refund: done };
  });
}
