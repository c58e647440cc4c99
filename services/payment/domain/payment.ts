/**
 * The payment state machine (pure). A payment is one charge of one order:
 *
 *   PENDING ──provider SUCCEEDED──▶ SUCCEEDED ──refund──▶ PARTIALLY_REFUNDED ──refund──▶ REFUNDED
 *      │                                └──────────────── refund of the rest ──────────▶ REFUNDED
 *      ├──provider DECLINED──▶ FAILED (the decline's code)
 *      └──never reached the provider──▶ FAILED (CHARGE_NOT_COMPLETED) ──late SUCCEEDED──▶ SUCCEEDED
 *
 * PENDING is ours only: the row exists before the provider is called (insert-then-act), so a
 * concurrent duplicate finds it and a lost answer can be looked up. The contract's states are the
 * other four. The late-success edge exists because CHARGE_NOT_COMPLETED is our conclusion, not the
 * provider's: if the provider later shows the charge, the truth wins and PaymentSucceeded follows
 * PaymentFailed (the ticket service refunds a payment that lands for a failed order).
 */
import { PaymentInvariantError } from "./errors.js";
import { failureFor, notCompletedCode } from "./failure-codes.js";
import type { Money } from "./money.js";

export const paymentStates = ["PENDING", "SUCCEEDED", "FAILED", "PARTIALLY_REFUNDED", "REFUNDED"] as const;
export type PaymentState = (typeof paymentStates)[number];

/** States in which the money was taken (the ledger holds exactly one CHARGE entry). */
export const capturedStates: ReadonlySet<PaymentState> = new Set(["SUCCEEDED", "PARTIALLY_REFUNDED", "REFUNDED"]);

export interface Payment {
  id: string;
  /** The caller's idempotency key (the ticket service uses the order id). */
  idempotencyKey: string;
  orderId: string;
  userId: string;
  amount: Money;
  state: PaymentState;
  failureCode: string;
  failureMessage: string;
  /** Which provider holds the charge ("sandbox", …). */
  provider: string;
  providerReference: string;
  /** Sum of succeeded refunds (equals the ledger's REFUND entries). */
  refundedMinor: number;
  /** The aggregate version of the payment's events: 0 while PENDING, +1 per change after. */
  version: number;
  createTime: Date;
  updateTime: Date;
}

/** A provider's decision, as the domain needs it. */
export type ChargeDecision =
  | { status: "SUCCEEDED"; reference: string }
  | { status: "DECLINED"; reference: string; failureCode: string };

/** What recording a charge outcome changes. */
export type ChargeTransition =
  /** The record already says this (a repeat, or a race lost to another recorder). */
  | { kind: "unchanged" }
  | {
      kind: "changed";
      payment: Payment;
      /** The ledger CHARGE entry to add (money taken). */
      capture: boolean;
      event: "PaymentSucceeded" | "PaymentFailed";
    };

/** Records the provider's outcome of a charge. */
export function applyChargeOutcome(p: Payment, outcome: ChargeDecision, at: Date): ChargeTransition {
  const lateSuccess = p.state === "FAILED" && p.failureCode === notCompletedCode && outcome.status === "SUCCEEDED";
  if (p.state === "PENDING" || lateSuccess) {
    if (outcome.status === "SUCCEEDED") {
      const payment = settled(p, at, {
        state: "SUCCEEDED",
        providerReference: outcome.reference,
        failureCode: "",
        failureMessage: "",
      });
      return { kind: "changed", payment, capture: true, event: "PaymentSucceeded" };
    }
    const failure = failureFor(outcome.failureCode);
    const payment = settled(p, at, { state: "FAILED", providerReference: outcome.reference, ...failure });
    return { kind: "changed", payment, capture: false, event: "PaymentFailed" };
  }
  if (p.state === "FAILED") {
    // Our own CHARGE_NOT_COMPLETED meeting a late decline: it failed either way, already announced.
    if (outcome.status === "DECLINED") return { kind: "unchanged" };
    throw new PaymentInvariantError(`payment ${p.id} was declined (${p.failureCode}) but the provider reports success`);
  }
  if (outcome.status === "SUCCEEDED") {
    if (outcome.reference !== p.providerReference)
      throw new PaymentInvariantError(`payment ${p.id}: two provider references for one charge`);
    return { kind: "unchanged" };
  }
  throw new PaymentInvariantError(`payment ${p.id} succeeded but the provider reports a decline`);
}

/**
 * Settles a PENDING payment whose charge never reached the provider (the provider has no charge
 * under its key long after the last attempt): FAILED with CHARGE_NOT_COMPLETED.
 */
export function abandonCharge(p: Payment, at: Date): Payment {
  if (p.state !== "PENDING") throw new PaymentInvariantError(`payment ${p.id} is ${p.state}, not PENDING`);
  return settled(p, at, { state: "FAILED", providerReference: "", ...failureFor(notCompletedCode) });
}

/** The state a captured payment is in after `refundedMinor` of it went back. */
export function capturedState(p: Pick<Payment, "id" | "amount">, refundedMinor: number): PaymentState {
  if (refundedMinor < 0 || refundedMinor > p.amount.amountMinor)
    throw new PaymentInvariantError(`payment ${p.id}: refunded ${refundedMinor} of ${p.amount.amountMinor}`);
  if (refundedMinor === 0) return "SUCCEEDED";
  return refundedMinor === p.amount.amountMinor ? "REFUNDED" : "PARTIALLY_REFUNDED";
}

/** A settled state never goes back to PENDING, and FAILED never becomes captured except late success. */
export function isSettled(p: Pick<Payment, "state">): boolean {
  return p.state !== "PENDING";
}

function settled(
  p: Payment,
  at: Date,
  change: Pick<Payment, "state" | "providerReference" | "failureCode" | "failureMessage">,
): Payment {
  return { ...p, ...change, version: p.version + 1, updateTime: at };
}
