/**
 * The payment service's error catalogue (reasons under domain `payment.boxoffice`). Every class is
 * one of platform/errors' transport-neutral errors; the RPC layer turns them into codes with
 * ErrorInfo (and RetryInfo for UNAVAILABLE) in one place.
 */
import { FailedPreconditionError, NotFoundError, UnavailableError } from "../../../platform/errors/index.js";

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
 * An UNAVAILABLE with facts for the caller. platform/errors' UnavailableError takes no metadata or
 * cause, so they are added here (the ErrorInfo carries `metadata`; `cause` is for the logs).
 */
class Unavailable extends UnavailableError {
  constructor(
    reason: string,
    message: string,
    retryAfterMs: number,
    metadata: Record<string, string>,
    cause?: unknown,
  ) {
    super(reason, message, retryAfterMs);
    Object.assign(this.metadata, metadata);
    if (cause !== undefined) this.cause = cause;
  }
}

/**
 * The provider may or may not have charged (timeout, lost answer, still processing). Nothing is
 * assumed: repeat with the same request_id, wait for PaymentSucceeded/PaymentFailed, or ask
 * GetChargeOutcome.
 */
export class PaymentOutcomeUnknownError extends Unavailable {
  constructor(id: string, about: "payment" | "order" = "payment", cause?: unknown) {
    super(
      "PAYMENT_OUTCOME_UNKNOWN",
      `the provider's answer for ${about} ${id} is not known yet; retry with the same request_id or wait for the payment event`,
      1_000,
      { [`${about}_id`]: id },
      cause,
    );
  }
}

/** As {@link PaymentOutcomeUnknownError}, for a refund. */
export class RefundOutcomeUnknownError extends Unavailable {
  constructor(refundId: string, cause?: unknown) {
    super(
      "REFUND_OUTCOME_UNKNOWN",
      `the provider's answer for refund ${refundId} is not known yet; retry with the same request_id`,
      1_000,
      { refund_id: refundId },
      cause,
    );
  }
}

/** The provider could not be reached (or our breaker is open); nothing was charged or refunded. */
export class ProviderUnavailableError extends Unavailable {
  constructor(cause?: unknown) {
    super(
      "PROVIDER_UNAVAILABLE",
      "the payment provider is not available; nothing was charged or refunded; retry with the same request_id",
      1_000,
      {},
      cause,
    );
  }
}

/** Nothing was charged for this order: no payment, and the provider has never seen its key. */
export class ChargeNotFoundError extends NotFoundError {
  constructor(orderId: string) {
    super("order", orderId, "CHARGE_NOT_FOUND");
    this.message = `no charge was made for order ${orderId}`;
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

/** SetSandboxFaults on a process whose provider is a real processor. */
export class SandboxNotInUseError extends FailedPreconditionError {
  constructor(provider: string) {
    super("SANDBOX_NOT_IN_USE", `the payment provider is ${provider}, not the sandbox: there are no faults to set`, {
      provider,
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
