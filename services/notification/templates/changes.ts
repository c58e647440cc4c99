/** Emails about what happens after an order: a refund, an event that moved. */
import type { PayloadOf } from "../domain/kinds.js";
import { eventFacts, greeting, type RenderContext } from "./common.js";
import { formatDateTime, formatMoney } from "./format.js";
import type { Draft } from "./layout.js";

export function paymentRefunded(p: PayloadOf<"PAYMENT_REFUNDED">, ctx: RenderContext): Draft {
  const amount = formatMoney(p.amount, ctx.locale);
  const facts: Array<[string, string]> = [
    ["Order", p.orderId],
    ["Refunded now", amount],
    ["Refunded in total", formatMoney(p.totalRefunded, ctx.locale)],
  ];
  return {
    subject: p.event === null ? `Refund of ${amount} for your order` : `Refund of ${amount} for ${p.event.name}`,
    preheader: `${amount} is on its way back to you.`,
    greeting: greeting(ctx),
    blocks: [
      {
        type: "p",
        text: `We have refunded ${amount} to your original payment method. Depending on your bank it can take a few days to show.`,
      },
      p.event === null ? { type: "facts", rows: facts } : eventFacts(p.event, ctx, facts),
      {
        type: "p",
        text: p.fullyRefunded ? "Your payment for this order is now refunded in full." : "This is a partial refund.",
      },
    ],
  };
}

export function eventRescheduled(p: PayloadOf<"EVENT_RESCHEDULED">, ctx: RenderContext): Draft {
  const before = formatDateTime(p.previousStartTime, p.event.timeZone, ctx.locale);
  return {
    subject: `New date for ${p.event.name}`,
    preheader: "The event has moved; your tickets stay valid.",
    greeting: greeting(ctx),
    blocks: [
      { type: "p", text: `${p.event.name} has moved to a new start time. Your tickets stay valid for it.` },
      eventFacts(p.event, ctx, [
        ["Previously", before],
        ["Order", p.orderId],
      ]),
      { type: "small", text: "The time shown is the venue's local time." },
    ],
  };
}
