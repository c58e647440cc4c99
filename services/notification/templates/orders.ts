/** Order emails: confirmed (the tickets), failed, cancelled, and cancelled with its event. */
import type { PayloadOf } from "../domain/kinds.js";
import { eventFacts, greeting, place, type RenderContext, when } from "./common.js";
import { formatMoney } from "./format.js";
import type { Draft } from "./layout.js";

/** Content-ID of a ticket's QR image: unique per ticket, only characters a Content-ID allows. */
export const qrCid = (ticketId: string): string => `qr-${ticketId.replace(/[^A-Za-z0-9.-]/g, "-")}@boxoffice`;

export function orderConfirmed(p: PayloadOf<"ORDER_CONFIRMED">, ctx: RenderContext): Draft {
  const n = p.tickets.length;
  return {
    subject: `Your ${n === 1 ? "ticket" : `${n} tickets`} for ${p.event.name}`,
    preheader: `${p.event.name}, ${when(p.event, ctx)}`,
    greeting: greeting(ctx),
    blocks: [
      { type: "p", text: `Your order is confirmed. Here ${n === 1 ? "is your ticket" : `are your ${n} tickets`}.` },
      eventFacts(p.event, ctx, [
        ["Order", p.orderId],
        ["Total paid", formatMoney(p.total, ctx.locale)],
      ]),
      {
        type: "tickets",
        items: p.tickets.map((t) => ({ place: place(t), code: t.code, cid: qrCid(t.ticketId) })),
      },
      {
        type: "small",
        text: "Show the QR code (on your phone or printed) at the entrance. Each code admits once; keep it to yourself.",
      },
    ],
  };
}

/** Order.failure_reason codes a buyer can act on; anything else gets the general sentence. */
const failureText: Record<string, string> = {
  PAYMENT_DECLINED: "Your payment was declined.",
  CARD_DECLINED: "Your card was declined.",
  INSUFFICIENT_FUNDS: "The card did not have sufficient funds.",
  PAYMENT_TIMEOUT:
    "We did not get an answer from the payment provider in time. If you were charged anyway, the amount is refunded automatically.",
};

export function orderFailed(p: PayloadOf<"ORDER_FAILED">, ctx: RenderContext): Draft {
  return {
    subject: `Your order for ${p.event.name} did not go through`,
    preheader: "The payment did not complete; you can try again.",
    greeting: greeting(ctx),
    blocks: [
      {
        type: "p",
        text: `We could not complete your order. ${failureText[p.reason] ?? "The payment could not be completed."} The places you held are released, and no tickets were issued.`,
      },
      eventFacts(p.event, ctx, [["Order", p.orderId]]),
      { type: "p", text: "If tickets are still available, you are welcome to try again." },
      ...(p.reason === "" ? [] : [{ type: "small" as const, text: `Reference: ${p.reason}` }]),
    ],
  };
}

export function orderCancelled(p: PayloadOf<"ORDER_CANCELLED">, ctx: RenderContext): Draft {
  return {
    subject: `Your order for ${p.event.name} is cancelled`,
    preheader: p.refund === null ? "Your order is cancelled." : "Your order is cancelled; a refund follows.",
    greeting: greeting(ctx),
    blocks: [
      { type: "p", text: "Your order is cancelled, and its tickets are no longer valid." },
      eventFacts(p.event, ctx, [["Order", p.orderId]]),
      ...(p.reason.trim() === "" ? [] : [{ type: "quote" as const, label: "Reason given:", text: p.reason }]),
      p.refund === null
        ? { type: "p", text: "Nothing was charged for this order." }
        : {
            type: "p",
            text: `We are refunding ${formatMoney(p.refund, ctx.locale)} to your original payment method and will email you once it is done.`,
          },
    ],
  };
}

export function eventCancelled(p: PayloadOf<"EVENT_CANCELLED">, ctx: RenderContext): Draft {
  return {
    subject: `Cancelled: ${p.event.name}`,
    preheader:
      p.refund === null ? "The event is cancelled." : "The event is cancelled; your money is refunded automatically.",
    greeting: greeting(ctx),
    blocks: [
      {
        type: "p",
        text: `We are sorry: ${p.event.name}, planned for ${when(p.event, ctx)}, has been cancelled by the organiser. Your order is cancelled and its tickets are no longer valid.`,
      },
      eventFacts(p.event, ctx, [["Order", p.orderId]]),
      ...(p.eventReason.trim() === ""
        ? []
        : [{ type: "quote" as const, label: "The organiser says:", text: p.eventReason }]),
      p.refund === null
        ? { type: "p", text: "Nothing was charged for this order." }
        : {
            type: "p",
            text: `The full amount of ${formatMoney(p.refund, ctx.locale)} is refunded to your original payment method. You do not need to do anything; depending on your bank it can take a few days to show.`,
          },
    ],
  };
}
