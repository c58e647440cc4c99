/**
 * Whether a PaymentRefunded gets an email. Holders of a cancelled event get one email for it — the
 * EVENT_CANCELLED notice of their order's OrderCancelled, which says the full refund follows — and
 * none for the refund itself. PaymentRefunded does not say why the money went back, so the rule
 * reads what this service was told about the order: the notices it queued for the order's
 * cancellation, failure or confirmation (each queued once per order under its dedupe key).
 *
 * The facts come from two streams (ticket's and payment's), so the refund may be handled before the
 * cancellation that caused it. Every refund in Boxoffice follows a cancellation or a failure of its
 * order; until one is heard, the refund waits (a transient failure: the consumer retries it with
 * backoff), for at most `maxWaitMs` after the refund, then its email goes out with what is known.
 */
import type { EventInfo } from "./kinds.js";

/** What was queued for one order, by the order's own facts. */
export interface OrderHistory {
  cancelled?: { kind: "EVENT_CANCELLED" | "ORDER_CANCELLED"; event: EventInfo };
  failed?: { event: EventInfo };
  confirmed?: { event: EventInfo };
}

export type RefundNotice =
  /** queue a PAYMENT_REFUNDED, showing `event` (null: not known) */
  | { action: "send"; event: EventInfo | null; late: boolean }
  /** no email: the EVENT_CANCELLED notice already told the buyer about this refund */
  | { action: "suppress" }
  /** not decidable yet: try again later */
  | { action: "wait"; remainingMs: number };

export function refundNotice(h: OrderHistory, sinceRefundMs: number, maxWaitMs: number): RefundNotice {
  if (h.cancelled?.kind === "EVENT_CANCELLED") return { action: "suppress" };
  const closed = h.cancelled ?? h.failed;
  if (closed !== undefined) return { action: "send", event: closed.event, late: false };
  if (sinceRefundMs < maxWaitMs) return { action: "wait", remainingMs: maxWaitMs - sinceRefundMs };
  return { action: "send", event: h.confirmed?.event ?? null, late: true };
}
