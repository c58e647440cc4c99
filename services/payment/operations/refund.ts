/**
 * Refund: idempotent by its own key and bounded by what was captured. The refund row is inserted
 * PENDING under the payment's row lock, with the amount checked against what is neither refunded
 * nor already in flight, so concurrent refunds can never exceed the charge. The provider refund
 * carries the refund's key, so sending it again after an unknown outcome refunds once.
 */
import { isDuplicateKey, type Tx, withTransaction } from "../../../platform/db/index.js";
import { InvalidArgumentError, NotFoundError } from "../../../platform/rpc/errors.js";
import {
  claimRefund,
  inFlightRefundMinor,
  insertLedgerEntry,
  insertRefund,
  loadPayment,
  loadRefundByKey,
  releaseRefund,
  type StoredPayment,
  type StoredRefund,
  savePayment,
  settleRefund,
} from "../db/repository.js";
import {
  ProviderUnavailableError,
  RefundOutcomeUnknownError,
  RefundRejectedError,
  RequestReusedError,
} from "../domain/errors.js";
import { refundedEvent } from "../domain/events.js";
import { refundFingerprint, sameRequest } from "../domain/fingerprint.js";
import { type Money, moneyViolations } from "../domain/money.js";
import { applyRefund, planRefund } from "../domain/refund.js";
import { ProviderKeyReusedError, ProviderRejectedError, ProviderRetryableError } from "../provider/provider.js";
import type { CallOptions } from "./charge.js";
import { nap, type PaymentOpsDeps, providerKey } from "./deps.js";

export interface RefundInput {
  /** The caller's idempotency key (request_id); 1–64 characters. */
  idempotencyKey: string;
  paymentId: string;
  /** Unset: everything not refunded yet. */
  amount?: Money;
  /** Why, e.g. ORDER_CANCELLED; 1–200 characters. */
  reason: string;
}

export interface RefundOutcome {
  payment: StoredPayment;
  refund: StoredRefund;
}

/**
 * Refunds (part of) a captured payment once per idempotency key. Throws NotFoundError (unknown
 * payment), FailedPreconditionError (not captured, fully refunded, more than is left, key reused),
 * InvalidArgumentError (bad amount or currency), RefundRejectedError (the provider refused),
 * ProviderUnavailableError and RefundOutcomeUnknownError (retry with the same key).
 */
export async function refund(d: PaymentOpsDeps, input: RefundInput, opts: CallOptions = {}): Promise<RefundOutcome> {
  validateRefund(input);
  const fingerprint = refundFingerprint(input);
  let r = await loadRefundByKey(d.db.orm, input.idempotencyKey);
  if (r === undefined) {
    const made = await withTransaction(d.db, (tx) => createRefund(d, tx, input, fingerprint)).catch((e) => {
      if (isDuplicateKey(e)) return undefined;
      throw e;
    });
    if (made?.created) return sendRefund(d, made.refund, opts.signal);
    r = made?.refund ?? (await loadRefundByKey(d.db.orm, input.idempotencyKey));
    if (r === undefined) throw new Error(`refund ${input.idempotencyKey}: duplicate key but no row`);
  }
  if (!sameRequest(r.requestFingerprint, fingerprint)) throw new RequestReusedError("refund", input.idempotencyKey);
  return followRefund(d, r, opts.signal);
}

/** In the payment's row lock: the refund of a key found, or a new PENDING one (lease ours). */
async function createRefund(
  d: PaymentOpsDeps,
  tx: Tx,
  input: RefundInput,
  fingerprint: Buffer,
): Promise<{ refund: StoredRefund; created: boolean }> {
  const p = await loadPayment(tx, input.paymentId, true);
  if (p === undefined) throw new NotFoundError("payment", input.paymentId);
  // Another call with this key may have committed while we waited for the lock.
  const existing = await loadRefundByKey(tx, input.idempotencyKey);
  if (existing !== undefined) return { refund: existing, created: false };
  const amountMinor = planRefund(p, await inFlightRefundMinor(tx, p.id), input.amount);
  const now = d.clock.date();
  const r: StoredRefund = {
    id: d.newId(),
    paymentId: p.id,
    idempotencyKey: input.idempotencyKey,
    requestFingerprint: fingerprint,
    amountMinor,
    currencyCode: p.amount.currencyCode,
    reason: input.reason,
    state: "PENDING",
    failureCode: "",
    providerReference: "",
    attempts: 1,
    claimedUntil: new Date(now.getTime() + d.timing.claimMs),
    createTime: now,
    updateTime: now,
  };
  await insertRefund(tx, r);
  return { refund: r, created: true };
}

/** Waits for the attempt in progress; once its lease is free, takes over and sends the refund again. */
async function followRefund(d: PaymentOpsDeps, first: StoredRefund, signal: AbortSignal | undefined) {
  // How long this caller waits is real time, whatever clock the records use.
  const deadline = performance.now() + d.timing.waitMs;
  let r: StoredRefund | undefined = first;
  for (let pause = d.timing.pollMs; ; pause = Math.min(pause * 2, d.timing.pollMs * 8)) {
    if (r === undefined) throw new Error(`refund ${first.id} disappeared`);
    if (r.state !== "PENDING") return settledRefund(d, r);
    const mine = await takeOverRefund(d, r);
    if (mine !== undefined) return sendRefund(d, mine, signal);
    if (performance.now() >= deadline || !(await nap(pause, signal))) throw new RefundOutcomeUnknownError(r.id);
    r = await loadRefundByKey(d.db.orm, first.idempotencyKey);
  }
}

export async function takeOverRefund(d: PaymentOpsDeps, r: StoredRefund): Promise<StoredRefund | undefined> {
  const now = d.clock.date();
  if (r.state !== "PENDING" || r.claimedUntil.getTime() > now.getTime()) return undefined;
  const until = new Date(now.getTime() + d.timing.claimMs);
  if (!(await claimRefund(d.db.orm, r.id, now, until))) return undefined;
  return { ...r, claimedUntil: until, attempts: r.attempts + 1 };
}

async function settledRefund(d: PaymentOpsDeps, r: StoredRefund): Promise<RefundOutcome> {
  if (r.state === "FAILED") throw new RefundRejectedError(r.id, r.failureCode);
  const payment = await loadPayment(d.db.orm, r.paymentId);
  if (payment === undefined) throw new Error(`payment ${r.paymentId} disappeared`);
  return { payment, refund: r };
}

/** Sends the refund (lease held) and records the outcome; on no outcome gives the lease back and throws. */
export async function sendRefund(
  d: PaymentOpsDeps,
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
      const code = e instanceof ProviderRejectedError ? e.code : "KEY_REUSED";
      const now = d.clock.date();
      await d.runStep(async (tx) => ({
        value: await settleRefund(tx, r.id, {
          state: "FAILED",
          failureCode: code,
          providerReference: "",
          updateTime: now,
        }),
        events: [],
      }));
      return settledRefund(d, (await loadRefundByKey(d.db.orm, r.idempotencyKey)) ?? r);
    }
    await releaseRefund(d.db.orm, r.id, d.clock.date());
    if (e instanceof ProviderRetryableError) throw new ProviderUnavailableError(undefined, e);
    throw new RefundOutcomeUnknownError(r.id, undefined, e);
  }
  return recordRefund(d, r, reference);
}

/** Books a succeeded refund: refund row, ledger entry and payment in one step with PaymentRefunded. */
function recordRefund(d: PaymentOpsDeps, r: StoredRefund, reference: string): Promise<RefundOutcome> {
  return d.runStep(async (tx) => {
    const p = await loadPayment(tx, r.paymentId, true);
    if (p === undefined) throw new Error(`payment ${r.paymentId} disappeared`);
    const now = d.clock.date();
    const change = { state: "SUCCEEDED", failureCode: "", providerReference: reference, updateTime: now } as const;
    const done: StoredRefund = { ...r, ...change };
    if (!(await settleRefund(tx, r.id, change))) {
      // Booked by another caller already: answer what is stored.
      const stored = await loadRefundByKey(tx, r.idempotencyKey);
      return { value: { payment: p, refund: stored ?? done }, events: [] };
    }
    const next = applyRefund(p, r.amountMinor, now);
    await savePayment(tx, next, p.version);
    await insertLedgerEntry(tx, {
      id: d.newId(),
      paymentId: p.id,
      kind: "REFUND",
      currencyCode: r.currencyCode,
      amountMinor: r.amountMinor,
      refundId: r.id,
      providerReference: reference,
      createTime: now,
    });
    return { value: { payment: { ...p, ...next }, refund: done }, events: [refundedEvent(next, done)] };
  });
}

function validateRefund(r: RefundInput): void {
  const v = r.amount === undefined ? [] : moneyViolations("amount", r.amount);
  const text = (field: string, value: string, max: number) => {
    if (value === "") v.push({ field, description: "required", reason: "REQUIRED" });
    else if (value.length > max) v.push({ field, description: `at most ${max} characters`, reason: "TOO_LONG" });
  };
  text("request_id", r.idempotencyKey, 64);
  text("payment_id", r.paymentId, 36);
  text("reason", r.reason, 200);
  if (v.length > 0) throw new InvalidArgumentError(v);
}
