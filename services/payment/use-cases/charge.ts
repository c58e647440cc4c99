/**
 * Charge (internal, caller ticket): at most one charge per idempotency key, whatever the
 * concurrency, crashes or lost answers (docs/payment.md, "Charge protocol"). Insert-then-act: the
 * first caller inserts the PENDING payment (the unique key is the lock), holds its lease while it
 * calls the provider with the key, and records the outcome with its event. A duplicate finds the
 * row and waits for the outcome; once nobody holds the lease (the holder died, or its answer was
 * lost) a duplicate takes over and asks the provider by key before anything else, sending the
 * charge again (same key, so the provider dedupes) only when the provider never received it.
 *
 * The payments table is this command's idempotency record (as a card processor keeps one), so the
 * pipeline runs its steps as plain transactions (`deps.commands.transaction`), never as one
 * transaction held across the provider call.
 */
import type { ChargeRequest } from "../../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import type { Payment } from "../../../gen/boxoffice/payment/v1/payment_pb.js";
import { isDuplicateKey } from "../../../platform/db/index.js";
import { type Principal, requireService } from "../../../platform/principal/index.js";
import {
  insertPayment,
  loadPayment,
  loadPaymentByKey,
  loadPaymentByOrder,
  type StoredPayment,
} from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { doubtWhileSending } from "../domain/doubt.js";
import { OrderAlreadyChargedError, PaymentOutcomeUnknownError, RequestReusedError } from "../domain/errors.js";
import { chargeFingerprint, sameRequest } from "../domain/fingerprint.js";
import { isSettled } from "../domain/payment.js";
import { moneyOf } from "../mappers.js";
import { type ChargeInput, nap, resume, sendCharge, takeOver } from "./charge-steps.js";
import { paymentMessage } from "./get-payment.js";

/** Per-call options of the money-moving use-cases. */
export interface CallOptions {
  /** The caller's deadline: waiting and provider calls stop when it aborts. */
  signal?: AbortSignal;
}

/**
 * Charges once per request_id and returns the payment as it stands: SUCCEEDED or FAILED (a decline
 * is a result, not an error), or later states if it was refunded since. Throws REQUEST_ID_REUSED
 * and ORDER_ALREADY_CHARGED (FAILED_PRECONDITION), PROVIDER_UNAVAILABLE (UNAVAILABLE: nothing was
 * charged; retry) and PAYMENT_OUTCOME_UNKNOWN (UNAVAILABLE: retry with the same request_id, or wait
 * for the event).
 */
export async function charge(
  d: PaymentDeps,
  principal: Principal | undefined,
  req: ChargeRequest,
  opts: CallOptions = {},
): Promise<Payment> {
  requireService(principal);
  const input: ChargeInput = {
    idempotencyKey: req.requestId,
    orderId: req.orderId,
    userId: req.userId,
    amount: moneyOf("amount", req.amount),
    paymentToken: req.paymentToken,
  };
  return paymentMessage(d, await chargeOnce(d, principal, input, opts.signal));
}

async function chargeOnce(
  d: PaymentDeps,
  who: Principal | undefined,
  input: ChargeInput,
  signal: AbortSignal | undefined,
): Promise<StoredPayment> {
  const fingerprint = chargeFingerprint(input);
  const now = d.clock.date();
  const claimedUntil = new Date(now.getTime() + d.timing.claimMs);
  const fresh: StoredPayment = {
    id: d.newId(),
    idempotencyKey: input.idempotencyKey,
    orderId: input.orderId,
    userId: input.userId,
    amount: input.amount,
    state: "PENDING",
    failureCode: "",
    failureMessage: "",
    provider: d.provider.name,
    providerReference: "",
    refundedMinor: 0,
    version: 0,
    createTime: now,
    updateTime: now,
    requestFingerprint: fingerprint,
    attempts: 1,
    claimedUntil,
    lastAttemptTime: now,
    // Written before the request leaves: if we die mid-call, the window still covers it.
    doubtUntil: doubtWhileSending(now, claimedUntil, d.timing),
  };
  // One statement in autocommit (it emits nothing): a transaction around it would add BEGIN and
  // COMMIT, two more round trips on every purchase.
  const inserted = await insertPayment(d.db.orm, fresh).then(
    () => true,
    (e) => {
      if (isDuplicateKey(e)) return false;
      throw e;
    },
  );
  if (inserted) return sendCharge(d, who, fresh, input, signal, true);
  const existing = await loadPaymentByKey(d.db.orm, input.idempotencyKey);
  if (existing === undefined) {
    const other = await loadPaymentByOrder(d.db.orm, input.orderId);
    if (other !== undefined) throw new OrderAlreadyChargedError(input.orderId, other.id);
    throw new Error(`payment ${input.idempotencyKey}: duplicate key but no row`);
  }
  assertSameCharge(existing, input, fingerprint);
  return follow(d, who, existing, input, signal);
}

/** A repeat must be the same request; a payment rebuilt from the provider is compared field by field. */
function assertSameCharge(p: StoredPayment, input: ChargeInput, fingerprint: Buffer): void {
  const same =
    p.requestFingerprint === null
      ? p.orderId === input.orderId &&
        p.userId === input.userId &&
        p.amount.currencyCode === input.amount.currencyCode &&
        p.amount.amountMinor === input.amount.amountMinor
      : sameRequest(p.requestFingerprint, fingerprint);
  if (!same) throw new RequestReusedError("charge", input.idempotencyKey);
}

/** Waits for the attempt in progress, taking over once its lease is free. */
async function follow(
  d: PaymentDeps,
  who: Principal | undefined,
  first: StoredPayment,
  input: ChargeInput,
  signal: AbortSignal | undefined,
): Promise<StoredPayment> {
  // How long this caller waits is real time, whatever clock the records use.
  const deadline = performance.now() + d.timing.waitMs;
  let p: StoredPayment | undefined = first;
  for (let pause = d.timing.pollMs; ; pause = Math.min(pause * 2, d.timing.pollMs * 8)) {
    if (p === undefined) throw new Error(`payment ${first.id} disappeared`);
    if (isSettled(p)) return p;
    const mine = await takeOver(d, who, p);
    if (mine !== undefined) {
      const after = await resume(d, who, mine, input, signal);
      if (!isSettled(after)) throw new PaymentOutcomeUnknownError(after.id);
      return after;
    }
    if (performance.now() >= deadline || !(await nap(pause, signal))) throw new PaymentOutcomeUnknownError(p.id);
    p = await loadPayment(d.db.orm, p.id);
  }
}
