/**
 * GetChargeOutcome (internal, caller ticket): the payment of an order, for the ticket service's
 * reconciliation, which never sends a Charge again (it has no token). Our record, settled by asking
 * the provider by key when its outcome is unknown and nobody is asking already; with no record, the
 * provider asked under the order's key and the payment rebuilt from its record. A payment whose
 * charge the provider never received is answered FAILED (CHARGE_NOT_COMPLETED) as soon as no request
 * of ours can still reach it (domain/doubt.ts) — seconds after a `sandbox_error` charge, not minutes.
 */
import type { GetChargeOutcomeRequest } from "../../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import type { Payment } from "../../../gen/boxoffice/payment/v1/payment_pb.js";
import { isDuplicateKey } from "../../../platform/db/index.js";
import { type Principal, requireService } from "../../../platform/principal/index.js";
import { insertPayment, loadPaymentByOrder, type StoredPayment } from "../db/repository.js";
import type { PaymentDeps } from "../deps.js";
import { ChargeNotFoundError, PaymentOutcomeUnknownError, ProviderUnavailableError } from "../domain/errors.js";
import type { ProviderChargeLookup } from "../provider/provider.js";
import type { CallOptions } from "./charge.js";
import { providerKey, recordOutcome, resume, takeOver } from "./charge-steps.js";
import { paymentMessage } from "./get-payment.js";

/**
 * The order's payment: SUCCEEDED, FAILED, (PARTIALLY_)REFUNDED, or PENDING while the provider is
 * processing or a request may still reach it (ask again later). NOT_FOUND (CHARGE_NOT_FOUND) when
 * nothing was charged; UNAVAILABLE (PROVIDER_UNAVAILABLE) when the provider cannot tell now.
 */
export async function getChargeOutcome(
  d: PaymentDeps,
  principal: Principal | undefined,
  req: GetChargeOutcomeRequest,
  opts: CallOptions = {},
): Promise<Payment> {
  requireService(principal);
  return paymentMessage(d, await chargeOutcome(d, principal, req.orderId, req.orderId, opts.signal));
}

/** As {@link getChargeOutcome}, on stored payments; `key` is the charge's idempotency key. */
export async function chargeOutcome(
  d: PaymentDeps,
  who: Principal | undefined,
  orderId: string,
  key: string,
  signal?: AbortSignal,
): Promise<StoredPayment> {
  for (let round = 0; round < 2; round++) {
    const p = await loadPaymentByOrder(d.db.orm, orderId);
    if (p !== undefined) {
      if (p.state !== "PENDING") return p;
      const mine = await takeOver(d, who, p);
      return mine === undefined ? p : resume(d, who, mine, undefined, signal);
    }
    const adopted = await adopt(d, who, orderId, key, signal);
    if (adopted !== undefined) return adopted;
  }
  throw new Error(`payment of order ${orderId}: inserted concurrently, yet not found`);
}

/**
 * Rebuilds the payment of a charge the provider has and we have not (our record lost, e.g. a
 * restored backup); undefined when it raced an insert.
 */
async function adopt(
  d: PaymentDeps,
  who: Principal | undefined,
  orderId: string,
  key: string,
  signal: AbortSignal | undefined,
): Promise<StoredPayment | undefined> {
  let found: ProviderChargeLookup;
  try {
    found = await d.provider.lookupCharge(providerKey("charge", key), { signal });
  } catch (e) {
    throw new ProviderUnavailableError(e);
  }
  if (found.status === "NOT_FOUND") throw new ChargeNotFoundError(orderId);
  if (found.status === "PROCESSING") throw new PaymentOutcomeUnknownError(orderId, "order");
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
    doubtUntil: now,
  };
  try {
    await d.commands.transaction(who, (w) => insertPayment(w.tx, p));
  } catch (e) {
    if (isDuplicateKey(e)) return undefined;
    throw e;
  }
  return recordOutcome(d, who, p.id, found);
}
