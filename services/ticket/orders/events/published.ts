import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import {
  type EventSummary,
  OrderCancelledSchema,
  OrderConfirmedSchema,
  OrderFailedSchema,
  OrderRescheduledSchema,
} from "../../../../gen/boxoffice/ticket/v1/events_pb.js";
import { eventType } from "../../../../platform/bus/events.js";
import type { OutboxEvent } from "../../../../platform/commands/index.js";
import type { OrderView } from "../db/orders.js";
import { money, toLine } from "../mappers.js";

/** The integration events the order half publishes (the ticket module declares them in `publishes`). */
export const OrderConfirmed = eventType(OrderConfirmedSchema, "ticket");
export const OrderCancelled = eventType(OrderCancelledSchema, "ticket");
export const OrderFailed = eventType(OrderFailedSchema, "ticket");
export const OrderRescheduled = eventType(OrderRescheduledSchema, "ticket");
export const ordersPublishes = [OrderConfirmed, OrderCancelled, OrderFailed, OrderRescheduled];

/** Every event of an order carries its version (one per state change) as the aggregate version. */
const aggregate = (v: OrderView) => ({ type: "order", id: v.row.id, version: v.row.version });
const totalOf = (v: OrderView) => money(v.row.currencyCode, v.row.totalMinor);

export function orderConfirmed(v: OrderView, event: EventSummary, at: Date): OutboxEvent {
  return {
    type: OrderConfirmed,
    payload: {
      orderId: v.row.id,
      userId: v.row.userId,
      eventId: v.row.eventId,
      total: totalOf(v),
      ticketIds: [...v.ticketIds],
      confirmTime: timestampFromDate(at),
      paymentId: v.row.paymentId ?? "",
      lines: v.lines.map((l) => toLine(l, v.row.currencyCode)),
      event,
    },
    aggregate: aggregate(v),
  };
}

export function orderCancelled(
  v: OrderView,
  event: EventSummary,
  at: Date,
  o: { reason: string; refundExpected: boolean; eventCancelled: boolean },
): OutboxEvent {
  return {
    type: OrderCancelled,
    payload: {
      orderId: v.row.id,
      userId: v.row.userId,
      eventId: v.row.eventId,
      reason: o.reason,
      refundExpected: o.refundExpected,
      cancelTime: timestampFromDate(at),
      paymentId: o.refundExpected ? (v.row.paymentId ?? "") : "",
      ticketIds: [...v.ticketIds],
      event,
      total: totalOf(v),
      eventCancelled: o.eventCancelled,
    },
    aggregate: aggregate(v),
  };
}

export function orderFailed(v: OrderView, event: EventSummary, at: Date): OutboxEvent {
  return {
    type: OrderFailed,
    payload: {
      orderId: v.row.id,
      userId: v.row.userId,
      eventId: v.row.eventId,
      reason: v.row.failureReason,
      failTime: timestampFromDate(at),
      paymentId: v.row.paymentId ?? "",
      event,
      total: totalOf(v),
      paymentFailureCode: v.row.paymentFailureCode,
    },
    aggregate: aggregate(v),
  };
}

export function orderRescheduled(
  v: OrderView,
  event: EventSummary,
  previousStart: Date | null,
  revision: number,
): OutboxEvent {
  return {
    type: OrderRescheduled,
    payload: {
      orderId: v.row.id,
      userId: v.row.userId,
      eventId: v.row.eventId,
      event,
      previousStartTime: previousStart === null ? undefined : timestampFromDate(previousStart),
      eventRevision: BigInt(revision),
    },
    aggregate: aggregate(v),
  };
}
