/**
 * What the order half consumes. Payment* facts settle orders (or have a late payment refunded);
 * the event service's facts start the jobs over an event's orders (use-cases/event-jobs.ts).
 *
 * Kind: each of these consumers sees ONE event type, and an aggregate has at most one event of that
 * type that matters (one PaymentSucceeded per payment; one EventCancelled per event; EventUpdated
 * revisions are snapshots of the start time), so they are `latest-state`. `every-fact` would wait
 * for the aggregate's earlier sequence numbers, which belong to the other types this consumer never
 * receives (PaymentSucceeded is sequence 2 after a PaymentFailed: it would wait ten minutes and be
 * dead-lettered). Order across types does not matter here: applyPaymentFact converges whatever the
 * order (a success wins; a late one is refunded).
 */
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { EventCancelledSchema, EventUpdatedSchema } from "../../../../gen/boxoffice/event/v1/events_pb.js";
import { PaymentFailedSchema, PaymentSucceededSchema } from "../../../../gen/boxoffice/payment/v1/events_pb.js";
import type { ServiceContext } from "../../../../platform/app/index.js";
import { eventType } from "../../../../platform/bus/events.js";
import { addEventJob } from "../db/work.js";
import type { OrdersDeps } from "../deps.js";
import { applyPaymentFact } from "../use-cases/order-changes.js";

export const PaymentSucceeded = eventType(PaymentSucceededSchema, "payment");
export const PaymentFailed = eventType(PaymentFailedSchema, "payment");
export const EventCancelled = eventType(EventCancelledSchema, "event");
export const EventUpdated = eventType(EventUpdatedSchema, "event");

export async function startOrderConsumers(ctx: ServiceContext<unknown>, d: OrdersDeps): Promise<void> {
  await ctx.consume({
    name: "ticket.payment_succeeded",
    type: PaymentSucceeded,
    kind: "latest-state",
    async handle(event, scope) {
      const p = event.payload;
      const row = await applyPaymentFact(d, scope, p.orderId, { kind: "succeeded", paymentId: p.paymentId });
      if (row === undefined)
        d.logger.warn({ orderId: p.orderId, paymentId: p.paymentId }, "payment for an unknown order");
    },
  });
  await ctx.consume({
    name: "ticket.payment_failed",
    type: PaymentFailed,
    kind: "latest-state",
    async handle(event, scope) {
      const p = event.payload;
      await applyPaymentFact(d, scope, p.orderId, {
        kind: "failed",
        paymentId: p.paymentId,
        failureCode: p.failureCode,
      });
    },
  });
  await ctx.consume({
    name: "ticket.orders.event_cancelled",
    type: EventCancelled,
    kind: "latest-state",
    async handle(event, scope) {
      const p = event.payload;
      const at = p.cancelTime ? timestampDate(p.cancelTime) : new Date(scope.now);
      // Stopping sales writes the inventory row: in-flight checkouts (shared lock) commit first.
      await d.inventory.stopSales(scope.tx, p.eventId, at);
      await addEventJob(scope.tx, {
        eventId: p.eventId,
        kind: "CANCEL",
        revision: Number(event.envelope.aggregateVersion),
        reason: p.reason.slice(0, 600),
        name: p.name.slice(0, 200),
        startTime: p.startTime ? timestampDate(p.startTime) : null,
        createTime: new Date(scope.now),
      });
      scope.afterCommit(() => d.kick.eventJobs());
    },
  });
  await ctx.consume({
    name: "ticket.orders.event_updated",
    type: EventUpdated,
    kind: "latest-state",
    async handle(event, scope) {
      const p = event.payload;
      // Not "did this revision change start_time": a latest-state consumer skips an older revision
      // that arrives after a newer one (a redelivery, concurrent handlers), so a start moved in
      // revision 4 and heard only through a name edit in revision 5 would never be told. Every
      // revision carries the event's start; the job tells only orders whose last-told start differs.
      if (p.startTime === undefined) return;
      await addEventJob(scope.tx, {
        eventId: p.eventId,
        kind: "RESCHEDULE",
        revision: Number(p.revision),
        name: p.name.slice(0, 200),
        startTime: p.startTime ? timestampDate(p.startTime) : null,
        endTime: p.endTime ? timestampDate(p.endTime) : null,
        createTime: new Date(scope.now),
      });
      scope.afterCommit(() => d.kick.eventJobs());
    },
  });
}
