/**
 * Order emails, from ticket's events on the order aggregate: confirmed (the tickets and their codes),
 * failed, cancelled (by the buyer or an admin, or because the event was cancelled), and the event of
 * a confirmed order moved. One per order and cause (domain/causes.ts); the recipient is resolved by
 * the sender from auth at the first attempt.
 */
import type {
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderFailedSchema,
  OrderRescheduledSchema,
} from "../../../gen/boxoffice/ticket/v1/events_pb.js";
import type { Principal } from "../../../platform/principal/index.js";
import { findByDedupeKeys } from "../db/repository.js";
import type { NotificationDeps } from "../deps.js";
import { dedupeKeys } from "../domain/causes.js";
import { eventInfoOf, isoOf, moneyOf, ticketInfoOf } from "../mappers.js";
import { asService, type Fact, queue, type Within } from "./queue.js";

type Queued = { id: string; created: boolean };

/**
 * OrderConfirmed → ORDER_CONFIRMED with every issued ticket's place and code, read from ticket
 * (GetOrderTickets, service identity) inside the consumer's transaction: an unreachable ticket
 * service fails the attempt as an infrastructure error and the event is retried, never lost.
 */
export async function notifyOrderConfirmed(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof OrderConfirmedSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  const key = dedupeKeys.orderConfirmed(p.orderId);
  // the same confirmation under another event id: already queued, no need to read the codes again
  const [done] = await findByDedupeKeys(within.tx, [key]);
  if (done !== undefined) return { id: done.id, created: false };
  // as issued: a cancellation that voided them since is told by its own email, after this one
  const issued = await d.tickets.orderTickets(p.orderId);
  if (issued.length === 0) throw new Error(`ticket returned no tickets for confirmed order ${p.orderId}`);
  const uncoded = issued.find((t) => t.code === "");
  if (uncoded !== undefined) throw new Error(`ticket ${uncoded.id} of order ${p.orderId} came without its code`);
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "ORDER_CONFIRMED",
      payload: {
        orderId: p.orderId,
        event: eventInfoOf(p.event, p.eventId),
        tickets: issued.map(ticketInfoOf),
        total: moneyOf(p.total),
        confirmTime: isoOf(p.confirmTime),
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: key,
    orderId: p.orderId,
    eventId: p.eventId,
  });
}

/** OrderFailed → ORDER_FAILED, worded by the payment's failure code when there is one. */
export function notifyOrderFailed(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof OrderFailedSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "ORDER_FAILED",
      payload: {
        orderId: p.orderId,
        event: eventInfoOf(p.event, p.eventId),
        reason: (p.paymentFailureCode || p.reason).slice(0, 100),
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.orderFailed(p.orderId),
    orderId: p.orderId,
    eventId: p.eventId,
  });
}

/**
 * OrderCancelled → EVENT_CANCELLED when the event was cancelled (the one email a holder gets for
 * it: it says the full refund follows, and the refund itself then sends none), else ORDER_CANCELLED.
 * Both share the order's cancellation key: an order is cancelled once.
 */
export function notifyOrderCancelled(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof OrderCancelledSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  const common = {
    orderId: p.orderId,
    event: eventInfoOf(p.event, p.eventId),
    refund: p.refundExpected ? moneyOf(p.total) : null,
  };
  return queue(d, within, {
    userId: p.userId,
    content: p.eventCancelled
      ? // OrderCancelled carries the order's reason code, not the organiser's words
        { kind: "EVENT_CANCELLED", payload: { ...common, eventReason: "" } }
      : { kind: "ORDER_CANCELLED", payload: { ...common, reason: p.reason.slice(0, 500) } },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.orderCancelled(p.orderId),
    orderId: p.orderId,
    eventId: p.eventId,
  });
}

/** OrderRescheduled (one per confirmed order when its event moves) → EVENT_RESCHEDULED, once per order and move. */
export function notifyOrderRescheduled(
  d: NotificationDeps,
  principal: Principal | undefined,
  fact: Fact<typeof OrderRescheduledSchema>,
  { within }: Within,
): Promise<Queued> {
  asService(principal);
  const p = fact.payload;
  return queue(d, within, {
    userId: p.userId,
    content: {
      kind: "EVENT_RESCHEDULED",
      payload: {
        orderId: p.orderId,
        event: eventInfoOf(p.event, p.eventId),
        previousStartTime: isoOf(p.previousStartTime),
      },
    },
    sourceEventId: fact.envelope.eventId,
    dedupeKey: dedupeKeys.eventRescheduled(p.orderId, p.eventRevision),
    orderId: p.orderId,
    eventId: p.eventId,
  });
}
