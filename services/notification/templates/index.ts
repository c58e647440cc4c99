/**
 * Rendering: a kind's payload → subject, text part, HTML part and inline images. Pure functions of
 * their input (no clock, no I/O), so a resend renders the same message.
 */
import type { NotificationKind, ParsedContent, PayloadOf } from "../domain/kinds.js";
import { emailVerification, passwordReset, welcome } from "./account.js";
import { eventRescheduled, paymentRefunded } from "./changes.js";
import type { RenderContext } from "./common.js";
import { type Draft, renderHtml, renderText } from "./layout.js";
import { eventCancelled, orderCancelled, orderConfirmed, orderFailed } from "./orders.js";
import { qrPng } from "./qr.js";

export type { RenderContext } from "./common.js";

/** An image the HTML part shows through `cid:` (an inline attachment). */
export interface InlineImage {
  filename: string;
  /** without angle brackets */
  cid: string;
  contentType: "image/png";
  content: Buffer;
}

export interface RenderedEmail {
  subject: string;
  text: string;
  html: string;
  attachments: InlineImage[];
}

const drafts: { [K in NotificationKind]: (p: PayloadOf<K>, ctx: RenderContext) => Draft } = {
  WELCOME: welcome,
  EMAIL_VERIFICATION: emailVerification,
  PASSWORD_RESET: passwordReset,
  ORDER_CONFIRMED: orderConfirmed,
  ORDER_FAILED: orderFailed,
  ORDER_CANCELLED: orderCancelled,
  EVENT_CANCELLED: eventCancelled,
  PAYMENT_REFUNDED: paymentRefunded,
  EVENT_RESCHEDULED: eventRescheduled,
};

/** Why the recipient gets this email (footer). */
const reasons: Record<NotificationKind, string> = {
  WELCOME: "You get this email because an account was created with this address.",
  EMAIL_VERIFICATION: "You get this email because someone asked to confirm this address.",
  PASSWORD_RESET: "You get this email because someone asked to reset the password of this account.",
  ORDER_CONFIRMED: "You get this email because you bought tickets.",
  ORDER_FAILED: "You get this email because you placed an order.",
  ORDER_CANCELLED: "You get this email because you placed an order.",
  EVENT_CANCELLED: "You get this email because you hold tickets for this event.",
  PAYMENT_REFUNDED: "You get this email because you paid for an order.",
  EVENT_RESCHEDULED: "You get this email because you hold tickets for this event.",
};

/** The draft of a notification: what it says, before any MIME or images. */
export function draftOf(c: ParsedContent, ctx: RenderContext): Draft {
  // the union's kind and payload always match (parseContent made them), which TS cannot follow
  return (drafts[c.kind] as (p: unknown, ctx: RenderContext) => Draft)(c.payload, ctx);
}

/** The subject line alone (stored with the notification for ListNotifications). */
export const subjectOf = (c: ParsedContent, ctx: RenderContext): string => draftOf(c, ctx).subject;

/** The whole email: both parts and one QR image per ticket. */
export async function renderEmail(c: ParsedContent, ctx: RenderContext): Promise<RenderedEmail> {
  const draft = draftOf(c, ctx);
  const footer = { brand: ctx.brand, reason: reasons[c.kind] };
  const attachments: InlineImage[] = [];
  for (const b of draft.blocks) {
    if (b.type !== "tickets") continue;
    for (const [i, t] of b.items.entries()) {
      attachments.push({
        filename: `ticket-${i + 1}.png`,
        cid: t.cid,
        contentType: "image/png",
        content: await qrPng(t.code),
      });
    }
  }
  return { subject: draft.subject, text: renderText(draft, footer), html: renderHtml(draft, footer), attachments };
}
