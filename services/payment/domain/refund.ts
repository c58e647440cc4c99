/**
 * Refund rules (pure): what may be refunded from a payment, and what a refund changes. Refunds in
 * flight (PENDING: sent to the provider, outcome not recorded yet) already count against what is
 * left, so two concurrent refunds can never together exceed the charge.
 */
import { FailedPreconditionError, InvalidArgumentError } from "../../../platform/errors/index.js";
import { PaymentInvariantError } from "./errors.js";
import type { Money } from "./money.js";
import { capturedState, type Payment } from "./payment.js";

export type RefundState = "PENDING" | "SUCCEEDED" | "FAILED";

export interface Refund {
  id: string;
  paymentId: string;
  idempotencyKey: string;
  amountMinor: number;
  currencyCode: string;
  reason: string;
  state: RefundState;
  /** The provider's code when it refused the refund (FAILED). */
  failureCode: string;
  providerReference: string;
  createTime: Date;
  updateTime: Date;
}

/**
 * The amount a new refund takes: `requested` or, when unset, everything not refunded or being
 * refunded yet. `inFlightMinor` is the sum of the payment's PENDING refunds.
 */
export function planRefund(p: Payment, inFlightMinor: number, requested: Money | undefined): number {
  if (p.state === "PENDING")
    throw new FailedPreconditionError("PAYMENT_NOT_SETTLED", "the charge's outcome is not known yet", {
      payment_id: p.id,
    });
  if (p.state === "FAILED")
    throw new FailedPreconditionError("PAYMENT_FAILED", "a failed payment has nothing to refund", { payment_id: p.id });
  if (p.state === "REFUNDED")
    throw new FailedPreconditionError("PAYMENT_REFUNDED", "the payment is already refunded in full", {
      payment_id: p.id,
    });
  if (requested !== undefined) {
    if (requested.currencyCode !== p.amount.currencyCode)
      throw new InvalidArgumentError([
        {
          field: "amount.currency_code",
          description: `must be the payment's currency ${p.amount.currencyCode}`,
          reason: "CURRENCY_MISMATCH",
        },
      ]);
    if (!Number.isSafeInteger(requested.amountMinor) || requested.amountMinor <= 0)
      throw new InvalidArgumentError([
        { field: "amount.amount_minor", description: "must be positive", reason: "MUST_BE_POSITIVE" },
      ]);
  }
  const left = p.amount.amountMinor - p.refundedMinor - inFlightMinor;
  const amount = requested?.amountMinor ?? left;
  if (amount > left || left <= 0)
    throw new FailedPreconditionError(
      "REFUND_EXCEEDS_PAYMENT",
      left <= 0 ? "everything left is already being refunded" : "the amount exceeds what is left to refund",
      {
        payment_id: p.id,
        refundable_minor: String(Math.max(left, 0)),
        in_flight_minor: String(inFlightMinor),
      },
    );
  return amount;
}

/** The payment after a refund of `amountMinor` succeeded. */
export function applyRefund(p: Payment, amountMinor: number, at: Date): Payment {
  if (amountMinor <= 0) throw new PaymentInvariantError(`refund of ${amountMinor}`);
  const refundedMinor = p.refundedMinor + amountMinor;
  if (p.state !== "SUCCEEDED" && p.state !== "PARTIALLY_REFUNDED")
    throw new PaymentInvariantError(`refund booked on a ${p.state} payment ${p.id}`);
  return { ...p, refundedMinor, state: capturedState(p, refundedMinor), version: p.version + 1, updateTime: at };
}
