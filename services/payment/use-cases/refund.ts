/**
 * Refund (internal, caller ticket): idempotent by its own request_id and bounded by what was
 * captured. The refund row is inserted PENDING under the payment's row lock, with the amount
 * checked against what is neither refunded nor already in flight, so concurrent refunds can never
 * exceed the charge. The provider refund carries the refund's key, so sending it again after an
 * unknown outcome refunds once.
 */
import type { RefundRequest, RefundResponse } from "../../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import type { WriteScope } from "../../../platform/commands/index.js";
import { isDuplicateKey } from "../../../platform/db/index.js";
import { NotFoundError } from "../../../platform/errors/index.js";
import { type Principal, requireService } from "../../../platform/principal/index.js";
import {
  inFlightRefundMinor,
  insertRefund,
  loadPayment,
  loadRefundByKey,
  type StoredRefund,
} from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { RefundOutcomeUnknownError, RequestReusedError } from "../domain/errors.js";
import { refundFingerprint, sameRequest } from "../domain/fingerprint.js";
import type { Money } from "../domain/money.js";
import { planRefund } from "../domain/refund.js";
import { moneyOf, toRefundMessage } from "../mappers.js";
import type { CallOptions } from "./charge.js";
import { nap } from "./charge-steps.js";
import { paymentMessage } from "./get-payment.js";
import { type RefundOutcome, sendRefund, settledRefund, takeOverRefund } from "./refund-steps.js";

interface RefundInput {
  idempotencyKey: string;
  paymentId: string;
  /** Unset: everything not refunded yet. */
  amount?: Money;
  reason: string;
}

/**
 * Refunds (part of) a captured payment once per request_id. Throws NOT_FOUND (unknown payment),
 * FAILED_PRECONDITION (PAYMENT_NOT_SETTLED, PAYMENT_FAILED, PAYMENT_REFUNDED, REFUND_EXCEEDS_PAYMENT,
 * REQUEST_ID_REUSED, REFUND_REJECTED), INVALID_ARGUMENT (amount, currency) and UNAVAILABLE
 * (PROVIDER_UNAVAILABLE, REFUND_OUTCOME_UNKNOWN: retry with the same request_id).
 */
export async function refund(
  d: PaymentDeps,
  principal: Principal | undefined,
  req: RefundRequest,
  opts: CallOptions = {},
): Promise<Pick<RefundResponse, "payment" | "refund">> {
  requireService(principal);
  const input: RefundInput = {
    idempotencyKey: req.requestId,
    paymentId: req.paymentId,
    amount: req.amount === undefined ? undefined : moneyOf("amount", req.amount),
    reason: req.reason,
  };
  const out = await refundOnce(d, principal, input, opts.signal);
  return { payment: await paymentMessage(d, out.payment), refund: toRefundMessage(out.refund) };
}

async function refundOnce(
  d: PaymentDeps,
  who: Principal | undefined,
  input: RefundInput,
  signal: AbortSignal | undefined,
): Promise<RefundOutcome> {
  const fingerprint = refundFingerprint(input);
  let r = await loadRefundByKey(d.db.orm, input.idempotencyKey);
  if (r === undefined) {
    const made = await d.commands
      .transaction(who, (w) => createRefund(d, w, input, fingerprint))
      .catch((e) => {
        if (isDuplicateKey(e)) return undefined;
        throw e;
      });
    if (made?.created) return sendRefund(d, who, made.refund, signal);
    r = made?.refund ?? (await loadRefundByKey(d.db.orm, input.idempotencyKey));
    if (r === undefined) throw new Error(`refund ${input.idempotencyKey}: duplicate key but no row`);
  }
  if (!sameRequest(r.requestFingerprint, fingerprint)) throw new RequestReusedError("refund", input.idempotencyKey);
  return follow(d, who, r, signal);
}

/** In the payment's row lock: the refund of a key found, or a new PENDING one (lease ours). */
async function createRefund(
  d: PaymentDeps,
  w: WriteScope,
  input: RefundInput,
  fingerprint: Buffer,
): Promise<{ refund: StoredRefund; created: boolean }> {
  const p = await loadPayment(w.tx, input.paymentId, true);
  if (p === undefined) throw new NotFoundError("payment", input.paymentId);
  // Another call with this key may have committed while we waited for the lock.
  const existing = await loadRefundByKey(w.tx, input.idempotencyKey);
  if (existing !== undefined) return { refund: existing, created: false };
  const amountMinor = planRefund(p, await inFlightRefundMinor(w.tx, p.id), input.amount);
  const now = new Date(w.now);
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
  await insertRefund(w.tx, r);
  return { refund: r, created: true };
}

/** Waits for the attempt in progress; once its lease is free, takes over and sends the refund again. */
async function follow(
  d: PaymentDeps,
  who: Principal | undefined,
  first: StoredRefund,
  signal: AbortSignal | undefined,
): Promise<RefundOutcome> {
  // How long this caller waits is real time, whatever clock the records use.
  const deadline = performance.now() + d.timing.waitMs;
  let r: StoredRefund | undefined = first;
  for (let pause = d.timing.pollMs; ; pause = Math.min(pause * 2, d.timing.pollMs * 8)) {
    if (r === undefined) throw new Error(`refund ${first.id} disappeared`);
    if (r.state !== "PENDING") return settledRefund(d, r);
    const mine = await takeOverRefund(d, who, r);
    if (mine !== undefined) return sendRefund(d, who, mine, signal);
    if (performance.now() >= deadline || !(await nap(pause, signal))) throw new RefundOutcomeUnknownError(r.id);
    r = await loadRefundByKey(d.db.orm, first.idempotencyKey);
  }
}
