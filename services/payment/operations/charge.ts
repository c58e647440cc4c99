/**
 * Charge: at most one charge per idempotency key, whatever the concurrency, crashes or lost
 * answers (docs/payment.md, "Charge protocol"). Insert-then-act: the first caller inserts the
 * PENDING payment (the unique key is the lock), holds its lease while it calls the provider with
 * the key, and records the outcome with its event. A duplicate finds the row and waits for the
 * outcome; once nobody holds the lease (the holder died, or its answer was lost) a duplicate takes
 * over and asks the provider by key before anything else, sending the charge again (same key, so
 * the provider dedupes) only when the provider never received it.
 */

import { isDuplicateKey, withTransaction } from "../../../platform/db/index.js";
import { InvalidArgumentError } from "../../../platform/rpc/errors.js";
import {
  claimPayment,
  insertLedgerEntry,
  insertPayment,
  loadPayment,
  loadPaymentByKey,
  loadPaymentByOrder,
  releasePayment,
  type StoredPayment,
  savePayment,
} from "../db/repository.js";
import {
  OrderAlreadyChargedError,
  PaymentOutcomeUnknownError,
  ProviderUnavailableError,
  RequestReusedError,
} from "../domain/errors.js";
import { outcomeEvent } from "../domain/events.js";
import { chargeFingerprint, sameRequest } from "../domain/fingerprint.js";
import { type Money, moneyViolations } from "../domain/money.js";
import { abandonCharge, applyChargeOutcome, type ChargeDecision, isSettled } from "../domain/payment.js";
import { ProviderKeyReusedError, ProviderRejectedError, ProviderRetryableError } from "../provider/provider.js";
import { nap, type PaymentOpsDeps, providerKey } from "./deps.js";

export interface ChargeInput {
  /** The caller's idempotency key (ticket: the order id); 1–64 characters. */
  idempotencyKey: string;
  orderId: string;
  userId: string;
  amount: Money;
  /** Passed to the provider only; never stored or logged. */
  paymentToken: string;
  /** Statement text; defaults to "Boxoffice order <order id>". */
  description?: string;
}

export interface CallOptions {
  /** The caller's deadline: waiting and provider calls stop when it aborts. */
  signal?: AbortSignal;
}

/**
 * Charges once per idempotency key and returns the settled payment (SUCCEEDED or FAILED — a decline
 * is a result, not an error). Throws RequestReusedError (same key, other parameters),
 * OrderAlreadyChargedError (the order has a payment under another key), ProviderUnavailableError
 * (nothing was charged; retry) and PaymentOutcomeUnknownError (the provider's answer is unknown;
 * retry with the same key, or wait for the event).
 */
export async function charge(d: PaymentOpsDeps, input: ChargeInput, opts: CallOptions = {}): Promise<StoredPayment> {
  validateCharge(input);
  const fingerprint = chargeFingerprint(input);
  const now = d.clock.date();
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
    claimedUntil: new Date(now.getTime() + d.timing.claimMs),
    lastAttemptTime: now,
  };
  const inserted = await withTransaction(d.db, (tx) => insertPayment(tx, fresh)).then(
    () => true,
    (e) => {
      if (isDuplicateKey(e)) return false;
      throw e;
    },
  );
  if (inserted) return sendCharge(d, fresh, input, opts.signal);
  const existing = await loadPaymentByKey(d.db.orm, input.idempotencyKey);
  if (existing === undefined) {
    const other = await loadPaymentByOrder(d.db.orm, input.orderId);
    if (other !== undefined) throw new OrderAlreadyChargedError(input.orderId, other.id);
    throw new Error(`payment ${input.idempotencyKey}: duplicate key but no row`);
  }
  assertSameCharge(existing, input, fingerprint);
  return followCharge(d, existing, input, opts.signal);
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
async function followCharge(
  d: PaymentOpsDeps,
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
    const claimed = await takeOver(d, p);
    if (claimed !== undefined) return settleOrThrow(await resume(d, claimed, input, signal));
    if (performance.now() >= deadline || !(await nap(pause, signal))) throw new PaymentOutcomeUnknownError(p.id);
    p = await loadPayment(d.db.orm, p.id);
  }
}

/** The payment with its lease taken by us, or undefined when it is settled or held by someone else. */
export async function takeOver(d: PaymentOpsDeps, p: StoredPayment): Promise<StoredPayment | undefined> {
  const now = d.clock.date();
  if (isSettled(p) || p.claimedUntil.getTime() > now.getTime()) return undefined;
  const until = new Date(now.getTime() + d.timing.claimMs);
  if (!(await claimPayment(d.db.orm, p.id, now, until))) return undefined;
  return { ...p, claimedUntil: until, lastAttemptTime: now, attempts: p.attempts + 1 };
}

function settleOrThrow(p: StoredPayment): StoredPayment {
  if (!isSettled(p)) throw new PaymentOutcomeUnknownError(p.id);
  return p;
}

/**
 * With the lease held and the outcome unknown: asks the provider by key and records what it says.
 * When the provider never received the charge, sends it again if the token is at hand (a retried
 * Charge), otherwise abandons the payment once it is old enough. Returns the payment, PENDING when
 * the provider is still processing (or the payment is young) — the lease is given back then.
 */
export async function resume(
  d: PaymentOpsDeps,
  p: StoredPayment,
  input: ChargeInput | undefined,
  signal: AbortSignal | undefined,
): Promise<StoredPayment> {
  let found: Awaited<ReturnType<PaymentOpsDeps["provider"]["lookupCharge"]>>;
  try {
    found = await d.provider.lookupCharge(providerKey("charge", p.idempotencyKey), { signal });
  } catch (e) {
    await releasePayment(d.db.orm, p.id, d.clock.date());
    throw new ProviderUnavailableError(undefined, e);
  }
  if (found.status === "SUCCEEDED" || found.status === "DECLINED") return recordOutcome(d, p.id, found);
  if (found.status === "NOT_FOUND" && input !== undefined) return sendCharge(d, p, input, signal);
  if (found.status === "NOT_FOUND" && d.clock.now() - p.createTime.getTime() >= d.timing.abandonAfterMs)
    return abandon(d, p.id);
  await releasePayment(d.db.orm, p.id, d.clock.date());
  return p;
}

/** Sends the charge (lease held) and records the outcome; on no outcome gives the lease back and throws. */
async function sendCharge(
  d: PaymentOpsDeps,
  p: StoredPayment,
  input: ChargeInput,
  signal: AbortSignal | undefined,
): Promise<StoredPayment> {
  let outcome: ChargeDecision;
  try {
    outcome = await d.provider.charge(
      {
        idempotencyKey: providerKey("charge", p.idempotencyKey),
        amount: input.amount,
        paymentToken: input.paymentToken,
        description: input.description ?? `Boxoffice order ${input.orderId}`,
        metadata: { order_id: p.orderId, user_id: p.userId, payment_id: p.id },
      },
      { signal },
    );
  } catch (e) {
    if (e instanceof ProviderRejectedError) {
      outcome = { status: "DECLINED", reference: "", failureCode: e.code };
    } else {
      await releasePayment(d.db.orm, p.id, d.clock.date());
      if (e instanceof ProviderKeyReusedError) throw new RequestReusedError("charge", input.idempotencyKey);
      if (e instanceof ProviderRetryableError) throw new ProviderUnavailableError(undefined, e);
      throw new PaymentOutcomeUnknownError(p.id, undefined, e);
    }
  }
  return recordOutcome(d, p.id, outcome);
}

/** Records the provider's outcome (idempotent: a second recorder finds it recorded). */
export function recordOutcome(d: PaymentOpsDeps, paymentId: string, outcome: ChargeDecision): Promise<StoredPayment> {
  return d.runStep(async (tx) => {
    const p = await loadPayment(tx, paymentId, true);
    if (p === undefined) throw new Error(`payment ${paymentId} disappeared`);
    const now = d.clock.date();
    const t = applyChargeOutcome(p, outcome, now);
    if (t.kind === "unchanged") return { value: p, events: [] };
    await savePayment(tx, t.payment, p.version);
    if (t.capture)
      await insertLedgerEntry(tx, {
        id: d.newId(),
        paymentId: p.id,
        kind: "CHARGE",
        currencyCode: p.amount.currencyCode,
        amountMinor: p.amount.amountMinor,
        providerReference: t.payment.providerReference,
        createTime: now,
      });
    return { value: { ...p, ...t.payment }, events: [outcomeEvent(t.payment)] };
  });
}

/** FAILED with CHARGE_NOT_COMPLETED: the provider never received the charge, long after it was due. */
function abandon(d: PaymentOpsDeps, paymentId: string): Promise<StoredPayment> {
  return d.runStep(async (tx) => {
    const p = await loadPayment(tx, paymentId, true);
    if (p === undefined) throw new Error(`payment ${paymentId} disappeared`);
    if (p.state !== "PENDING") return { value: p, events: [] };
    const next = abandonCharge(p, d.clock.date());
    await savePayment(tx, next, p.version);
    return { value: { ...p, ...next }, events: [outcomeEvent(next)] };
  });
}

function validateCharge(c: ChargeInput): void {
  const v = moneyViolations("amount", c.amount);
  const text = (field: string, value: string, max: number) => {
    if (value === "") v.push({ field, description: "required", reason: "REQUIRED" });
    else if (value.length > max) v.push({ field, description: `at most ${max} characters`, reason: "TOO_LONG" });
  };
  text("request_id", c.idempotencyKey, 64);
  text("order_id", c.orderId, 36);
  text("user_id", c.userId, 36);
  text("payment_token", c.paymentToken, 255);
  if (c.description !== undefined && c.description.length > 500)
    v.push({ field: "description", description: "at most 500 characters", reason: "TOO_LONG" });
  if (v.length > 0) throw new InvalidArgumentError(v);
}
