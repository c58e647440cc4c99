/**
 * The payment provider seam: what a card processor adapter implements (docs/payment.md). The
 * payment service talks to processors only through this interface, always with an idempotency key,
 * and reacts to the four error classes below — nothing processor-specific leaks past an adapter.
 */

/** An amount in a currency's minor unit (cents for EUR, yen for JPY). */
export interface ProviderMoney {
  currencyCode: string;
  amountMinor: number;
}

export interface ProviderChargeRequest {
  /**
   * The processor dedupes on this key: the same key returns the first result and never charges
   * twice; the same key with different parameters fails with {@link ProviderKeyReusedError}.
   */
  idempotencyKey: string;
  amount: ProviderMoney;
  /** Single-use token from the processor's client SDK; an adapter never logs or stores it. */
  paymentToken: string;
  /** Shown on the payer's statement and in the processor's dashboard. */
  description: string;
  /** Returned by {@link PaymentProvider.lookupCharge}: enough to rebuild our record (order, user). */
  metadata: Record<string, string>;
}

/** What the processor decided about a charge. */
export type ProviderChargeOutcome =
  | { status: "SUCCEEDED"; reference: string }
  | {
      status: "DECLINED";
      /** The processor's id of the declined attempt; may be empty. */
      reference: string;
      /** UPPER_SNAKE, e.g. CARD_DECLINED, INSUFFICIENT_FUNDS, EXPIRED_CARD, INVALID_TOKEN. */
      failureCode: string;
    };

/** A charge as the processor knows it by its idempotency key. */
export type ProviderChargeLookup =
  /** The processor never received a charge with this key. */
  | { status: "NOT_FOUND" }
  /** Received and still being processed: ask again later. */
  | { status: "PROCESSING" }
  | (ProviderChargeOutcome & { amount: ProviderMoney; metadata: Record<string, string> });

export interface ProviderRefundRequest {
  /** Deduped like a charge's key: the same key refunds once. */
  idempotencyKey: string;
  /** {@link ProviderChargeOutcome} reference of the SUCCEEDED charge. */
  chargeReference: string;
  amount: ProviderMoney;
}

export interface ProviderRefundResult {
  reference: string;
}

/** Per-call options: the caller's abort signal (the resilience policy's timeout). */
export interface ProviderCallOptions {
  signal?: AbortSignal;
}

/**
 * A card processor. Every method may throw only the {@link ProviderError} subclasses below (an
 * adapter translates its transport's and processor's errors into them); anything else is treated as
 * {@link ProviderUnknownOutcomeError} for charges and refunds.
 */
export interface PaymentProvider {
  /** Short name stored with each payment, e.g. "sandbox". */
  readonly name: string;
  /** Charges once per idempotency key; a decline is an outcome, not an error. */
  charge(req: ProviderChargeRequest, opts?: ProviderCallOptions): Promise<ProviderChargeOutcome>;
  /** Refunds (part of) a succeeded charge, once per idempotency key. */
  refund(req: ProviderRefundRequest, opts?: ProviderCallOptions): Promise<ProviderRefundResult>;
  /** The processor's record of a charge by its idempotency key; a read with no effect. */
  lookupCharge(idempotencyKey: string, opts?: ProviderCallOptions): Promise<ProviderChargeLookup>;
}

/** Base of the provider error taxonomy. */
export abstract class ProviderError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/**
 * The request did not reach the processor, or the processor refused it before acting on it
 * (connection refused, 5xx before processing, rate limited, our circuit open): nothing happened,
 * so the same request may be sent again (with the same key).
 */
export class ProviderRetryableError extends ProviderError {}

/**
 * The request may or may not have taken effect (timeout after sending, connection reset, the
 * answer lost). Never assume either way: repeat with the same key (the processor dedupes) or ask
 * {@link PaymentProvider.lookupCharge}.
 */
export class ProviderUnknownOutcomeError extends ProviderError {}

/** The idempotency key was used before with different parameters; permanent, nothing happened. */
export class ProviderKeyReusedError extends ProviderError {
  constructor(readonly idempotencyKey: string) {
    super("the idempotency key was used for a different request");
  }
}

/**
 * The processor refused the request for good (a refund beyond the charge, an unknown charge
 * reference): nothing happened and repeating it changes nothing.
 */
export class ProviderRejectedError extends ProviderError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
