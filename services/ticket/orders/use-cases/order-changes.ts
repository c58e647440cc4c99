/**
 * The changes of an order's state, shared by Checkout, CancelOrder, the Payment* consumers, the
 * reconciliation sweeper and the event jobs. Each runs inside the caller's transaction (a pipeline
 * scope) on an order row the caller has locked, applies the change as a compare-and-set, moves the
 * order's places with it, emits the order's event and wakes watchers after the commit.
 */
import type { WriteScope } from "../../../../platform/commands/index.js";
import {
  linesOfOrder,
  lockOrder,
  type OrderRow,
  type OrderView,
  orderView,
  transition,
  updateOrder,
} from "../db/orders.js";
import { insertTickets, voidTickets } from "../db/tickets.js";
import { latestReschedule, oweRefund } from "../db/work.js";
import type { OrdersDeps } from "../deps.js";
import {
  LATE_PAYMENT_REFUNDED,
  type OrderState,
  type PaymentFact,
  type PaymentOutcome,
  RefundReason,
  refundOnCancel,
  settle,
  withLateRefund,
} from "../domain/order.js";
import { ticketPlaces } from "../domain/places.js";
import { orderCancelled, orderConfirmed, orderFailed } from "../events/published.js";
import { toEventSummary } from "../mappers.js";
import type { EventSummaryView } from "../ports.js";

const noSummary: EventSummaryView = { name: "", timeZone: "", venueName: "", venueCity: "" };

/** The event as an email should show it now: the inventory's summary, with the newest start time heard of. */
export async function currentSummary(d: OrdersDeps, w: WriteScope, eventId: string) {
  const summary = (await d.inventory.loadSummary(w.tx, eventId)) ?? noSummary;
  const moved = await latestReschedule(w.tx, eventId);
  if (moved === undefined) return { summary, revision: 0 };
  return {
    summary: {
      ...summary,
      name: moved.name || summary.name,
      startTime: moved.startTime ?? summary.startTime,
      endTime: moved.endTime ?? summary.endTime,
    },
    revision: moved.revision,
  };
}

function touched(d: OrdersDeps, w: WriteScope, row: OrderRow, places: boolean): void {
  w.afterCommit(() => {
    d.watch.changed(row.id);
    // the hold names the places: live seat maps read them back (sold, or on sale again)
    if (places) d.inventory.notifyAvailabilityChanged(row.eventId, [row.holdId]);
  });
}

/**
 * PENDING_PAYMENT → CONFIRMED: places SOLD, one signed ticket per place, OrderConfirmed. Returns
 * the confirmed order, built from the locked row and what this change wrote (no read-back: every
 * statement is a round trip on the purchase path, docs/orders.md "Purchase path cost").
 */
export async function confirmOrder(
  d: OrdersDeps,
  w: WriteScope,
  row: OrderRow,
  paymentId: string | undefined,
): Promise<OrderView> {
  const now = new Date(w.now);
  const { summary, revision } = await currentSummary(d, w, row.eventId);
  const change = {
    state: "CONFIRMED",
    paymentId: paymentId ?? null,
    paymentOutcome: paymentId === undefined ? "NONE" : "SUCCEEDED",
    confirmTime: now,
    updateTime: now,
    eventStartTime: summary.startTime ?? null,
    eventRevision: revision,
  } satisfies Partial<OrderRow>;
  const ok = await transition(w.tx, row.id, "PENDING_PAYMENT", change);
  if (!ok) throw new Error(`order ${row.id} left PENDING_PAYMENT under its lock`);
  await d.inventory.markHoldSold(w.tx, row.holdId);
  // the row is locked and a pending order has no tickets: the order is the row plus this change
  const lines = await linesOfOrder(w.tx, row.id);
  const confirmed: OrderRow = { ...row, ...change, version: row.version + 1 };
  const places = ticketPlaces(row.eventId, lines, () => d.newId());
  await insertTickets(
    w.tx,
    places.map((p) => ({
      id: p.id,
      orderId: row.id,
      eventId: row.eventId,
      userId: row.userId,
      sectionId: p.sectionId,
      rowLabel: p.rowLabel,
      seatLabel: p.seatLabel,
      state: "VALID",
      code: d.keys.sign({
        ticketId: p.id,
        eventId: row.eventId,
        sectionId: p.sectionId,
        rowLabel: p.rowLabel,
        seatLabel: p.seatLabel,
      }),
      placeKey: p.placeKey,
      issueTime: now,
    })),
  );
  const issued: OrderView = { row: confirmed, lines, ticketIds: places.map((p) => p.id).sort() };
  await w.emit(orderConfirmed(issued, toEventSummary(row.eventId, summary), now));
  touched(d, w, row, true);
  return issued;
}

/** PENDING_PAYMENT → FAILED: places back on sale, OrderFailed. */
export async function failOrder(
  d: OrdersDeps,
  w: WriteScope,
  row: OrderRow,
  f: { reason: string; paymentFailureCode: string; paymentId: string | undefined; outcome: PaymentOutcome },
) {
  const now = new Date(w.now);
  const ok = await transition(w.tx, row.id, "PENDING_PAYMENT", {
    state: "FAILED",
    failureReason: f.reason,
    paymentFailureCode: f.paymentFailureCode,
    paymentId: f.paymentId ?? row.paymentId,
    paymentOutcome: f.outcome,
    updateTime: now,
  });
  if (!ok) throw new Error(`order ${row.id} left PENDING_PAYMENT under its lock`);
  await d.inventory.returnOrderPlaces(w.tx, row.holdId);
  const view = (await orderView(w.tx, row.id))!;
  const { summary } = await currentSummary(d, w, row.eventId);
  await w.emit(orderFailed(view, toEventSummary(row.eventId, summary), now));
  touched(d, w, row, true);
}

/**
 * PENDING_PAYMENT or CONFIRMED → CANCELLED: tickets VOID (all of them when the event is cancelled;
 * else only VALID ones — the caller checked none was used), places back on sale, a refund owed when
 * the order was paid, OrderCancelled.
 */
export async function cancelOrderIn(
  d: OrdersDeps,
  w: WriteScope,
  row: OrderRow,
  o: { reason: string; eventCancelled: boolean; summary?: EventSummaryView },
) {
  const now = new Date(w.now);
  const refund =
    refundOnCancel(row.state as OrderState, row.paymentOutcome as PaymentOutcome) && row.paymentId !== null;
  const ok = await transition(w.tx, row.id, row.state as OrderState, {
    state: "CANCELLED",
    cancelReason: o.reason,
    cancelTime: now,
    updateTime: now,
  });
  if (!ok) throw new Error(`order ${row.id} changed under its lock`);
  await voidTickets(w.tx, row.id, now, o.eventCancelled);
  await d.inventory.returnOrderPlaces(w.tx, row.holdId);
  if (refund)
    await oweRefund(w.tx, {
      orderId: row.id,
      paymentId: row.paymentId!,
      reason: o.eventCancelled ? RefundReason.eventCancelled : RefundReason.cancelled,
      now,
    });
  const view = (await orderView(w.tx, row.id))!;
  const summary = o.summary ?? (await currentSummary(d, w, row.eventId)).summary;
  await w.emit(
    orderCancelled(view, toEventSummary(row.eventId, summary), now, {
      reason: o.reason,
      refundExpected: refund,
      eventCancelled: o.eventCancelled,
    }),
  );
  touched(d, w, row, true);
  if (refund) w.afterCommit(() => d.kick.refunds());
}

/**
 * Applies what was learned about an order's charge (domain/order.ts#settle says what it means):
 * confirm, fail, refund a late success, or only record the outcome. Returns the order's row as it
 * stands after the fact, with the whole order when confirming built it (`view`); undefined for an
 * order this service does not have (another deployment's payment, or one never committed).
 */
export async function applyPaymentFact(
  d: OrdersDeps,
  w: WriteScope,
  orderId: string,
  fact: PaymentFact,
): Promise<{ row: OrderRow; view?: OrderView } | undefined> {
  const row = await lockOrder(w.tx, orderId);
  if (row === undefined) return undefined;
  const s = settle({ state: row.state as OrderState, paymentOutcome: row.paymentOutcome as PaymentOutcome }, fact);
  const now = new Date(w.now);
  switch (s.kind) {
    case "confirm": {
      const view = await confirmOrder(d, w, row, s.paymentId);
      return { row: view.row, view };
    }
    case "fail":
      await failOrder(d, w, row, s);
      break;
    case "refund_late":
      await updateOrder(w.tx, row.id, {
        paymentOutcome: "SUCCEEDED",
        paymentId: s.paymentId,
        latePayment: true,
        updateTime: now,
        ...(row.state === "FAILED"
          ? { failureReason: LATE_PAYMENT_REFUNDED }
          : { cancelReason: withLateRefund(row.cancelReason) }),
      });
      await oweRefund(w.tx, { orderId: row.id, paymentId: s.paymentId, reason: RefundReason.late, now });
      touched(d, w, row, false);
      w.afterCommit(() => d.kick.refunds());
      break;
    case "record":
      await updateOrder(w.tx, row.id, { paymentOutcome: s.outcome, paymentId: row.paymentId ?? s.paymentId ?? null });
      break;
    case "none":
      return { row }; // nothing changed: the locked row is the order
  }
  const after = await lockOrder(w.tx, orderId);
  return after === undefined ? undefined : { row: after };
}
