/**
 * The order's state machine and what each payment fact means for it (pure):
 *
 * ```
 * PENDING_PAYMENT ──charge SUCCEEDED──▶ CONFIRMED ──cancel──▶ CANCELLED
 *        │ ├──charge FAILED / never charged / timed out──▶ FAILED
 *        │ └──cancel──▶ CANCELLED
 * FAILED, CANCELLED ──charge SUCCEEDED (late)──▶ unchanged, the payment refunded
 * ```
 *
 * Payment's own rule makes the one contradiction harmless: a charge it gave up on
 * (CHARGE_NOT_COMPLETED) may still succeed later, and a success always wins — so a FAILED fact
 * that arrives after a success is the older one and changes nothing.
 */
import { EventStartedError, OrderNotCancellableError, TicketCheckedInError } from "./errors.js";

export const ORDER_STATES = ["PENDING_PAYMENT", "CONFIRMED", "FAILED", "CANCELLED"] as const;
export type OrderState = (typeof ORDER_STATES)[number];

/** What payment said: null while unknown (a charge may be in flight). */
export type PaymentOutcome = "SUCCEEDED" | "FAILED" | "NONE" | null;

/** Order.failure_reason values. */
export const FailureReason = {
  /** The payment was declined; payment_failure_code says why (CARD_DECLINED, INSUFFICIENT_FUNDS…). */
  declined: "PAYMENT_DECLINED",
  /** Payment never completed a charge for the order (nothing was taken). */
  notCompleted: "PAYMENT_NOT_COMPLETED",
  /** No outcome within the payment timeout; a charge that succeeds later is refunded. */
  timeout: "PAYMENT_TIMEOUT",
} as const;

/**
 * Order.cancel_reason for the event's cancellation; what a late refund appends to a cancel reason
 * (and the failure_reason of a FAILED order whose charge succeeded after all: it is refunded).
 */
export const EVENT_CANCELLED = "EVENT_CANCELLED";
export const LATE_PAYMENT_REFUNDED = "LATE_PAYMENT_REFUNDED";

/** Refund reasons sent to payment. */
export const RefundReason = {
  cancelled: "ORDER_CANCELLED",
  eventCancelled: "EVENT_CANCELLED",
  late: "LATE_PAYMENT_FOR_CLOSED_ORDER",
} as const;

/** Payment's code for a charge it gave up on (it may still succeed later). */
const NOT_COMPLETED_CODE = "CHARGE_NOT_COMPLETED";

/** Something learned about an order's charge. */
export type PaymentFact =
  | { readonly kind: "succeeded"; readonly paymentId: string }
  | { readonly kind: "failed"; readonly paymentId: string; readonly failureCode: string }
  /** Payment has no charge for the order (and none will be sent: the token is gone). */
  | { readonly kind: "not_found" }
  /** Still unknown after the payment timeout. */
  | { readonly kind: "timed_out" };

/** What to do with the order. */
export type Settlement =
  | { readonly kind: "confirm"; readonly paymentId: string }
  | {
      readonly kind: "fail";
      readonly reason: string;
      readonly paymentFailureCode: string;
      readonly paymentId: string | undefined;
      /** The outcome to record (null: still unknown, keep asking). */
      readonly outcome: PaymentOutcome;
    }
  /** A success for a FAILED or CANCELLED order: record it, refund it, say so in the reason. */
  | { readonly kind: "refund_late"; readonly paymentId: string }
  /** No state change; only the payment's outcome is recorded. */
  | { readonly kind: "record"; readonly outcome: Exclude<PaymentOutcome, null>; readonly paymentId: string | undefined }
  | { readonly kind: "none" };

export interface OrderFacts {
  readonly state: OrderState;
  readonly paymentOutcome: PaymentOutcome;
}

export function isFinal(state: OrderState): boolean {
  return state !== "PENDING_PAYMENT";
}

/** Order.failure_reason for a payment failure code. */
export function failureReasonOf(failureCode: string): string {
  return failureCode === NOT_COMPLETED_CODE ? FailureReason.notCompleted : FailureReason.declined;
}

/** What `fact` means for an order as it stands. Pure: the caller applies it as a conditional update. */
export function settle(o: OrderFacts, fact: PaymentFact): Settlement {
  switch (fact.kind) {
    case "succeeded":
      if (o.state === "PENDING_PAYMENT") return { kind: "confirm", paymentId: fact.paymentId };
      if (o.state === "CONFIRMED" || o.paymentOutcome === "SUCCEEDED") return { kind: "none" };
      return { kind: "refund_late", paymentId: fact.paymentId };
    case "failed":
      if (o.state === "PENDING_PAYMENT")
        return {
          kind: "fail",
          reason: failureReasonOf(fact.failureCode),
          paymentFailureCode: fact.failureCode,
          paymentId: fact.paymentId,
          outcome: "FAILED",
        };
      // a success already seen is the newer fact
      if (o.paymentOutcome === null) return { kind: "record", outcome: "FAILED", paymentId: fact.paymentId };
      return { kind: "none" };
    case "not_found":
      if (o.state === "PENDING_PAYMENT")
        return {
          kind: "fail",
          reason: FailureReason.notCompleted,
          paymentFailureCode: "",
          paymentId: undefined,
          outcome: "NONE",
        };
      if (o.paymentOutcome === null) return { kind: "record", outcome: "NONE", paymentId: undefined };
      return { kind: "none" };
    case "timed_out":
      if (o.state === "PENDING_PAYMENT")
        return {
          kind: "fail",
          reason: FailureReason.timeout,
          paymentFailureCode: "",
          paymentId: undefined,
          outcome: null,
        };
      return { kind: "none" };
  }
}

/** A reason that says a late payment was refunded (kept within the column's 600 characters). */
export function withLateRefund(reason: string): string {
  if (reason.includes(LATE_PAYMENT_REFUNDED)) return reason;
  const suffix = reason === "" ? LATE_PAYMENT_REFUNDED : `; ${LATE_PAYMENT_REFUNDED}`;
  return `${reason.slice(0, 600 - suffix.length)}${suffix}`;
}

/**
 * CancelOrder's rules (an event's cancellation skips them): only a PENDING_PAYMENT or CONFIRMED
 * order, before the event starts, with no ticket used at the door.
 */
export function assertCancellable(
  o: { readonly id: string; readonly eventId: string; readonly state: OrderState },
  at: { readonly now: Date; readonly eventStart: Date | undefined; readonly checkedInTicket: string | undefined },
): void {
  if (isFinal(o.state) && o.state !== "CONFIRMED") throw new OrderNotCancellableError(o.id, o.state);
  if (at.eventStart !== undefined && at.eventStart.getTime() <= at.now.getTime())
    throw new EventStartedError(o.eventId, at.eventStart);
  if (at.checkedInTicket !== undefined) throw new TicketCheckedInError(o.id, at.checkedInTicket);
}

/** Whether a refund is owed when an order in `state` with `outcome` is cancelled. */
export function refundOnCancel(state: OrderState, outcome: PaymentOutcome): boolean {
  return state === "CONFIRMED" || outcome === "SUCCEEDED";
}
