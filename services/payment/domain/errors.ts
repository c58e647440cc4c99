import { Code } from "@connectrpc/connect";
import { DomainError, FailedPreconditionError } from "../../../platform/rpc/errors.js";

/** The same idempotency key (request_id) came with different parameters; nothing was done. */
export class RequestReusedError extends FailedPreconditionError {
  constructor(what: "charge" | "refund", key: string) {
    super("REQUEST_ID_REUSED", `request_id was already used for a different ${what}`, { request_id: key.slice(0, 64) });
  }
}

/** The order already has a payment under another idempotency key: one charge per order. */
export class OrderAlreadyChargedError extends FailedPreconditionError {
  constructor(orderId: string, paymentId: string) {
    super("ORDER_ALREADY_CHARGED", "this order already has a payment (made with another request_id)", {
      order_id: orderId,
      payment_id: paymentId,
    });
  }
}

/**
 * The provider may or may not have charged (timeout, lost answer, still processing). Nothing is
 * assumed: repeat with the same request_id, or wait for PaymentSucceeded/PaymentFailed.
 */
export class PaymentOutcomeUnknownError extends DomainError {
  constructor(paymentId: string, retryAfterMs = 1_000, cause?: unknown, about: "payment" | "order" = "payment") {
    super(
      Code.Unavailable,
      "PAYMENT_OUTCOME_UNKNOWN",
      `the provider's answer for ${about} ${paymentId} is not known yet; retry with the same request_id`,
      { retryAfterMs, cause, metadata: { [`${about}_id`]: paymentId } },
    );
  }
}

/** As {@link PaymentOutcomeUnknownError}, for a refund. */
export class RefundOutcomeUnknownError extends DomainError {
  constructor(refundId: string, retryAfterMs = 1_000, cause?: unknown) {
    super(
      Code.Unavailable,
      "REFUND_OUTCOME_UNKNOWN",
      `the provider's answer for refund ${refundId} is not known yet; retry with the same request_id`,
      { retryAfterMs, cause, metadata: { refund_id: refundId } },
    );
  }
}

/** The provider could not be reached (or our breaker is open); nothing was charged or refunded. */
export class ProviderUnavailableError extends DomainError {
  constructor(retryAfterMs = 1_000, cause?: unknown) {
    super(
      Code.Unavailable,
      "PROVIDER_UNAVAILABLE",
      "the payment provider is not available; nothing was charged or refunded; retry with the same request_id",
      { retryAfterMs, cause },
    );
  }
}

/** Nothing was charged for this order: no payment and the provider has never seen its key. */
export class ChargeNotFoundError extends DomainError {
  constructor(orderId: string) {
    super(Code.NotFound, "CHARGE_NOT_FOUND", `no charge was made for order ${orderId}`, {
      metadata: { order_id: orderId },
    });
  }
}

/** The provider refused a refund for good (see metadata.provider_code). */
export class RefundRejectedError extends FailedPreconditionError {
  constructor(refundId: string, providerCode: string) {
    super("REFUND_REJECTED", "the payment provider refused the refund", {
      refund_id: refundId,
      provider_code: providerCode,
    });
  }
}

/**
 * A fact contradicts the record (e.g. the provider reports a success for a payment it declined):
 * a bug or a provider fault, never a caller's mistake; it surfaces as INTERNAL and is logged.
 */
export class PaymentInvariantError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PaymentInvariantError";
  }
}
