/**
 * PaymentRefunded → PAYMENT_REFUNDED, except for the orders of a cancelled event, whose one email
 * (EVENT_CANCELLED) already said the refund follows. The rule and why a refund may wait for its
 * order's cancellation to be heard are in domain/refund-notice.ts.
 */
import { timestampMs } from "@bufbuild/protobuf/wkt";
import type { PaymentRefundedSchema } from "../../../gen/boxoffice/payment/v1/events_pb.js";
import { TransientError } from "../../../platform/bus/consumer-errors.js";
import type { Tx } from "../../../platform/db/index.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findByDedupeKeys } from "../db/repository.js";
import type { NotificationDeps } from "../deps.js";
import { dedupeKeys } from "../domain/causes.js";
import { type EventInfo, parseContent } from "../domain/kinds.js";
import { type OrderHistory, refundNotice } from "../domain/refund-notice.js";
import { moneyOf } from "../mappers.js";
import { asService, type Fact, queue, suppress, type Within } from "./queue.js";

export async function notifyRefund(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof PaymentRefundedSchema>,
  { within }: Within,
): Promise<{ id: string; created: boolean } | undefined> {
  asService(principal);
  const p = fact.payload;
  const history = await orderHistory(within.tx, p.orderId);
  const since = within.now - (p.refundTime ? timestampMs(p.refundTime) : within.now);
  const decision = refundNotice(history, since, d.settings.refundWaitMs);
  if (decision.action === "suppress") {
    suppress(d, within, "PAYMENT_REFUNDED", "event_cancelled");
    return undefined;
  }
  if (decision.action === "wait") {
    // not the handler's failure: the consumer retries it with backoff and never dead-letters it
    throw new TransientError(
      `refund ${p.refundId}: order ${p.orderId} not yet heard as cancelled or failed (waiting ≤ ${Math.ceil(decision.remainingMs / 1000)} s more)`,
    );
  }
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "PAYMENT_REFUNDED",
      payload: {
        orderId: p.orderId,
        event: decision.event,
        amount: moneyOf(p.amount),
        totalRefunded: moneyOf(p.totalRefundedAmount),
        fullyRefunded: p.fullyRefunded,
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.paymentRefunded(p.refundId),
    orderId: p.orderId,
    eventId: decision.event?.eventId ?? "",
  });
}

/** What was queued for the order's own facts (read in the consumer's transaction: committed rows only). */
async function orderHistory(tx: Tx, orderId: string): Promise<OrderHistory> {
  const rows = await findByDedupeKeys(tx, [
    dedupeKeys.orderCancelled(orderId),
    dedupeKeys.orderFailed(orderId),
    dedupeKeys.orderConfirmed(orderId),
  ]);
  const h: OrderHistory = {};
  for (const row of rows) {
    const content = parseContent(row.kind, JSON.parse(row.payload));
    const event = (content.payload as { event?: EventInfo | null }).event;
    if (event == null) continue;
    if (content.kind === "EVENT_CANCELLED" || content.kind === "ORDER_CANCELLED")
      h.cancelled = { kind: content.kind, event };
    else if (content.kind === "ORDER_FAILED") h.failed = { event };
    else if (content.kind === "ORDER_CONFIRMED") h.confirmed = { event };
  }
  return h;
}
