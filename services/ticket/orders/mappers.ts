/**
 * Rows ↔ messages for the order half, in one place: repositories return rows, use-cases return
 * messages (also what the idempotency store replays), and integration events are built from the
 * same rows.
 */
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { type Money, MoneySchema } from "../../../gen/boxoffice/common/v1/money_pb.js";
import { type EventSummary, EventSummarySchema } from "../../../gen/boxoffice/ticket/v1/events_pb.js";
import { type Order, OrderSchema, OrderState } from "../../../gen/boxoffice/ticket/v1/order_pb.js";
import { type Ticket, TicketSchema, TicketState } from "../../../gen/boxoffice/ticket/v1/ticket_pb.js";
import type { LineRow, OrderView } from "./db/orders.js";
import type { TicketRow } from "./db/tickets.js";
import type { OrderState as StoredOrderState } from "./domain/order.js";
import type { EventSummaryView } from "./ports.js";

export const money = (currencyCode: string, amountMinor: number): Money =>
  create(MoneySchema, { currencyCode, amountMinor: BigInt(amountMinor) });

const ts = (d: Date | null | undefined) => (d == null ? undefined : timestampFromDate(d));

export const orderStateOf = (s: StoredOrderState): OrderState => OrderState[s];

/** The stored name of an API order state (UNSPECIFIED has none). */
export function storedOrderState(s: OrderState): StoredOrderState | undefined {
  return s === OrderState.UNSPECIFIED ? undefined : (OrderState[s] as StoredOrderState);
}

export function toLine(l: LineRow, currencyCode: string) {
  return {
    sectionId: l.sectionId,
    rowLabel: l.rowLabel,
    seatLabel: l.seatLabel,
    quantity: l.quantity,
    unitPrice: money(currencyCode, l.unitPriceMinor),
    amount: money(currencyCode, l.unitPriceMinor * l.quantity),
  };
}

export function toOrder(v: OrderView): Order {
  const r = v.row;
  return create(OrderSchema, {
    id: r.id,
    userId: r.userId,
    eventId: r.eventId,
    holdId: r.holdId,
    state: orderStateOf(r.state as StoredOrderState),
    lines: v.lines.map((l) => toLine(l, r.currencyCode)),
    total: money(r.currencyCode, r.totalMinor),
    paymentId: r.paymentId ?? "",
    failureReason: r.state === "FAILED" ? r.failureReason : "",
    createTime: ts(r.createTime),
    updateTime: ts(r.updateTime),
    confirmTime: ts(r.confirmTime),
    ticketIds: r.state === "PENDING_PAYMENT" || r.state === "FAILED" ? [] : [...v.ticketIds],
    cancelTime: ts(r.cancelTime),
    cancelReason: r.state === "CANCELLED" ? r.cancelReason : "",
  });
}

/** A ticket; the code only for its holder and admins (`withCode`). */
export function toTicket(t: TicketRow, withCode: boolean): Ticket {
  return create(TicketSchema, {
    id: t.id,
    orderId: t.orderId,
    eventId: t.eventId,
    userId: t.userId,
    sectionId: t.sectionId,
    sectionName: t.sectionName,
    rowLabel: t.rowLabel,
    seatLabel: t.seatLabel,
    code: withCode ? t.code : "",
    state: TicketState[t.state as keyof typeof TicketState] as TicketState,
    checkInTime: ts(t.checkInTime),
    issueTime: ts(t.issueTime),
    voidTime: ts(t.voidTime),
  });
}

export function toEventSummary(eventId: string, s: EventSummaryView): EventSummary {
  return create(EventSummarySchema, {
    eventId,
    name: s.name,
    startTime: ts(s.startTime),
    endTime: ts(s.endTime),
    timeZone: s.timeZone,
    venueName: s.venueName,
    venueCity: s.venueCity,
  });
}
