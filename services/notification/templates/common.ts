/** What every template needs besides its payload, and the phrases several share. */
import type { EventInfo, TicketInfo } from "../domain/kinds.js";
import { formatDateTime } from "./format.js";
import type { Block } from "./layout.js";

export interface RenderContext {
  /** BCP 47 locale for dates and amounts, e.g. "en-GB" */
  locale: string;
  /** the recipient's display name; "" when unknown */
  recipientName: string;
  /** the product's name in subjects and footers */
  brand: string;
}

export const greeting = (ctx: RenderContext): string =>
  ctx.recipientName.trim() === "" ? "Hello," : `Hello ${ctx.recipientName.trim()},`;

/** The event's start in its own zone, e.g. "Saturday, 14 March 2026 at 20:00 CET". */
export const when = (e: EventInfo, ctx: RenderContext): string => formatDateTime(e.startTime, e.timeZone, ctx.locale);

export const where = (e: EventInfo): string => [e.venueName, e.venueAddress].filter((s) => s !== "").join(", ");

/** "Section A, row 3, seat 12", or the area alone for general admission. */
export function place(t: TicketInfo): string {
  const parts = [t.section];
  if (t.row !== "") parts.push(`row ${t.row}`);
  if (t.seat !== "") parts.push(`seat ${t.seat}`);
  if (parts.length > 1) return parts.join(", ");
  return /general admission/i.test(t.section) ? t.section : `${t.section} (general admission)`;
}

/** The facts block about an event (and the order, when there is one). */
export function eventFacts(e: EventInfo, ctx: RenderContext, extra: Array<[string, string]> = []): Block {
  const rows: Array<[string, string]> = [
    ["Event", e.name],
    ["When", when(e, ctx)],
  ];
  const w = where(e);
  if (w !== "") rows.push(["Where", w]);
  return { type: "facts", rows: [...rows, ...extra] };
}
