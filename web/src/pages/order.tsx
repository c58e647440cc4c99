/**
 * One order, live through WatchOrder: pending → confirmed (with its tickets and QR codes) or
 * failed (with why, and a way back to the seats, which are on sale again).
 */
import { useEffect, useState } from "preact/hooks";
import { ticketClient } from "../api/clients.js";
import type { StreamState } from "../api/watch.js";
import { watch } from "../api/watch.js";
import { ErrorSummary, Notice } from "../components/form.js";
import { placeText } from "../components/hold-panel.js";
import { Loading, PageHeading } from "../components/page.js";
import { TicketCard } from "../components/ticket-card.js";
import { type Order, OrderState } from "../gen/boxoffice/ticket/v1/order_pb.js";
import type { Ticket } from "../gen/boxoffice/ticket/v1/ticket_pb.js";
import { type EventInfo, eventInfo } from "../lib/event-info.js";
import { formatDateTime, formatMoney } from "../lib/format.js";
import { Link } from "../router.js";

const terminal = new Set([OrderState.CONFIRMED, OrderState.FAILED, OrderState.CANCELLED]);

/** Why an order failed, for the buyer. */
export function failureText(reason: string): string {
  switch (reason) {
    case "PAYMENT_DECLINED":
    case "CARD_DECLINED":
      return "Your card was declined. No money was taken.";
    case "INSUFFICIENT_FUNDS":
    case "PAYMENT_INSUFFICIENT_FUNDS":
      return "The card has insufficient funds. No money was taken.";
    case "PAYMENT_TIMEOUT":
      return "The payment did not complete in time. If money was taken, it is refunded automatically.";
    case "PAYMENT_ERROR":
    case "PAYMENT_FAILED":
    case "PAYMENT_NOT_COMPLETED":
    case "CHARGE_NOT_COMPLETED":
      return "The payment provider had a problem. No money was taken.";
    case "LATE_PAYMENT_REFUNDED":
      return "The payment arrived after the order had closed, so it was refunded in full.";
    case "HOLD_EXPIRED":
      return "Your hold expired before the payment completed.";
    default:
      return reason
        ? `The payment did not go through (${reason.toLowerCase().replace(/_/g, " ")}).`
        : "The payment did not go through.";
  }
}

export const orderStateText: Record<OrderState, string> = {
  [OrderState.UNSPECIFIED]: "",
  [OrderState.PENDING_PAYMENT]: "Waiting for payment",
  [OrderState.CONFIRMED]: "Confirmed",
  [OrderState.FAILED]: "Payment failed",
  [OrderState.CANCELLED]: "Cancelled",
};

export function OrderPage(props: { orderId: string }) {
  const [order, setOrder] = useState<Order | undefined>();
  const [stream, setStream] = useState<StreamState>({ kind: "connecting" });
  const [info, setInfo] = useState<EventInfo | undefined>();
  const [tickets, setTickets] = useState<Ticket[]>([]);
  useEffect(
    () =>
      watch({
        open: (signal) => ticketClient.watchOrder({ orderId: props.orderId }, { signal }),
        onMessage: (m) => {
          if (m.update.case === "order") setOrder(m.update.value);
        },
        isFinal: (m) => m.update.case === "order" && terminal.has(m.update.value.state),
        onState: setStream,
      }),
    [props.orderId],
  );
  useEffect(() => {
    if (order) void eventInfo(order.eventId).then(setInfo, () => undefined);
  }, [order?.eventId]);
  useEffect(() => {
    if (order?.state !== OrderState.CONFIRMED) return;
    void Promise.all(order.ticketIds.map((ticketId) => ticketClient.getTicket({ ticketId }))).then(
      (all) => setTickets(all.flatMap((r) => (r.ticket ? [r.ticket] : []))),
      () => undefined,
    );
  }, [order?.state, order?.ticketIds.length]);

  if (!order) {
    if (stream.kind === "failed") {
      return (
        <section>
          <PageHeading title="Order" />
          <ErrorSummary problem={stream.problem} title="This order could not be loaded" />
        </section>
      );
    }
    return <Loading what="your order" />;
  }
  const name = (id: string) => info?.sections.get(id);
  return (
    <section>
      <PageHeading title={info ? `Order for ${info.name}` : "Your order"} />
      <p class={`badge badge--order-${OrderState[order.state].toLowerCase()}`} role="status" data-testid="order-state">
        {orderStateText[order.state]}
      </p>
      {order.state === OrderState.PENDING_PAYMENT && (
        <Notice kind="info">
          We are confirming your payment. This page updates by itself; you can also come back later.
        </Notice>
      )}
      {order.state === OrderState.FAILED && (
        <Notice kind="error" testId="order-failure">
          {failureText(order.failureReason)} The places are back on sale.{" "}
          <Link href={`/events/${order.eventId}`}>Choose places again</Link>.
        </Notice>
      )}
      {order.state === OrderState.CANCELLED && (
        <Notice kind="warning">This order was cancelled{order.cancelReason ? `: ${order.cancelReason}` : ""}.</Notice>
      )}
      {stream.kind === "retrying" && <p class="live">Connection lost; reconnecting…</p>}
      <section class="panel" aria-labelledby="lines-heading">
        <h2 id="lines-heading">What you bought</h2>
        <ul>
          {order.lines.map((l) => (
            <li key={`${l.sectionId}-${l.rowLabel}-${l.seatLabel}`}>
              {placeText(name(l.sectionId), l.rowLabel, l.seatLabel, l.quantity)} · {formatMoney(l.amount)}
            </li>
          ))}
        </ul>
        <p class="total">Total {formatMoney(order.total)}</p>
        <p class="meta">Ordered {formatDateTime(order.createTime, info?.timeZone)}</p>
      </section>
      {order.state === OrderState.CONFIRMED && (
        <section aria-labelledby="tickets-heading">
          <h2 id="tickets-heading">Your tickets</h2>
          <p>Show a ticket's QR code at the door. A confirmation email with the same codes is on its way.</p>
          <ul class="cards">
            {tickets.map((t) => (
              <TicketCard
                key={t.id}
                ticket={t}
                eventName={info?.name}
                sectionName={t.sectionName || name(t.sectionId)}
                timeZone={info?.timeZone}
              />
            ))}
          </ul>
        </section>
      )}
    </section>
  );
}
