/**
 * The event form's values as typed (strings in the venue's local time) and their conversion to and
 * from the Event message, the update mask of an edit, and where each server violation belongs.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import type { Problem } from "../../api/errors.js";
import type { Event, EventSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { Venue } from "../../gen/boxoffice/event/v1/venue_pb.js";
import { fromLocalInput, moneyInput, parseMoney, toLocalInput } from "../../lib/format.js";

export interface Draft {
  venueId: string;
  name: string;
  description: string;
  start: string;
  end: string;
  salesStart: string;
  salesEnd: string;
  maxTickets: string;
  /** Across all of a buyer's holds and orders; "" or 0 means the same as per order. */
  maxPerBuyer: string;
  currency: string;
  /** Section id → price as typed ("45.00"). */
  prices: Record<string, string>;
}

const DAY = 86_400_000;

/** A new event: a month ahead at 20:00 for three hours, on sale from now until it starts. */
export function emptyDraft(venues: readonly Venue[]): Draft {
  const venue = venues[venues.length - 1];
  const zone = venue?.timeZone || "UTC";
  const day = toLocalInput(new Date(Date.now() + 30 * DAY), zone).slice(0, 10);
  return {
    venueId: venue?.id ?? "",
    name: "",
    description: "",
    start: `${day}T20:00`,
    end: `${day}T23:00`,
    salesStart: toLocalInput(new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000), zone),
    salesEnd: `${day}T20:00`,
    maxTickets: "10",
    maxPerBuyer: "",
    currency: "EUR",
    prices: {},
  };
}

export function draftFromEvent(e: Event, venues: readonly Venue[]): Draft {
  const zone = venues.find((v) => v.id === e.venueId)?.timeZone || e.timeZone || "UTC";
  const currency = e.priceTiers[0]?.price?.currencyCode ?? "EUR";
  return {
    venueId: e.venueId,
    name: e.name,
    description: e.description,
    start: toLocalInput(e.startTime, zone),
    end: toLocalInput(e.endTime, zone),
    salesStart: toLocalInput(e.salesStartTime, zone),
    salesEnd: toLocalInput(e.salesEndTime, zone),
    maxTickets: String(e.maxTicketsPerOrder || ""),
    maxPerBuyer: e.maxTicketsPerBuyer ? String(e.maxTicketsPerBuyer) : "",
    currency,
    prices: Object.fromEntries(
      e.priceTiers.map((t) => [t.sectionId, t.price ? moneyInput(t.price.amountMinor, currency) : ""]),
    ),
  };
}

/** Sections that get a price tier, in the order the tiers are sent (server paths use this index). */
const tierSections = (venue: Venue | undefined, d: Draft) =>
  (venue?.sections ?? []).filter((s) => (d.prices[s.id] ?? "").trim() !== "").map((s) => s.id);

type EventInit = MessageInitShape<typeof EventSchema>;

/** The Event to send, or the fields that cannot be read (keyed as the server would, or by input). */
export function draftToEvent(
  d: Draft,
  venue: Venue | undefined,
): { event: EventInit } | { problem: Record<string, string> } {
  const zone = venue?.timeZone || "UTC";
  const bad: Record<string, string> = {};
  const time = (value: string, path: string) => {
    if (value === "") return undefined;
    const t = fromLocalInput(value, zone);
    if (!t) bad[path] = "enter a date and time";
    return t ? timestampFromDate(t) : undefined;
  };
  const priceTiers = tierSections(venue, d).map((sectionId) => {
    const amountMinor = parseMoney(d.prices[sectionId] ?? "", d.currency);
    if (amountMinor === undefined) bad[`price-${sectionId}`] = `enter a price like 45.00`;
    return { sectionId, price: { currencyCode: d.currency, amountMinor: amountMinor ?? 0n } };
  });
  const event: EventInit = {
    venueId: d.venueId,
    name: d.name,
    description: d.description,
    startTime: time(d.start, "event.start_time"),
    endTime: time(d.end, "event.end_time"),
    salesStartTime: time(d.salesStart, "event.sales_start_time"),
    salesEndTime: time(d.salesEnd, "event.sales_end_time"),
    maxTicketsPerOrder: Number(d.maxTickets) || 0,
    maxTicketsPerBuyer: Number(d.maxPerBuyer) || 0,
    priceTiers,
  };
  return Object.keys(bad).length > 0 ? { problem: bad } : { event };
}

/** The update_mask paths of the fields that changed (layout fields only while the event is a draft). */
export function maskOf(before: Draft, after: Draft, layoutLocked: boolean): string[] {
  const paths: string[] = [];
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (before.name !== after.name) paths.push("name");
  if (before.description !== after.description) paths.push("description");
  if (before.start !== after.start) paths.push("start_time");
  if (before.end !== after.end) paths.push("end_time");
  if (!same(before.prices, after.prices) || before.currency !== after.currency) paths.push("price_tiers");
  if (!layoutLocked) {
    if (before.venueId !== after.venueId) paths.push("venue_id");
    if (before.maxTickets !== after.maxTickets) paths.push("max_tickets_per_order");
    if (before.maxPerBuyer !== after.maxPerBuyer) paths.push("max_tickets_per_buyer");
    if (before.salesStart !== after.salesStart) paths.push("sales_start_time");
    if (before.salesEnd !== after.salesEnd) paths.push("sales_end_time");
  }
  return paths;
}

/** Violation path → input id, for the error summary's links. */
export function fieldIds(venue: Venue | undefined, d: Draft): Record<string, string> {
  const ids: Record<string, string> = {
    "event.venue_id": "event-venue",
    "event.name": "event-name",
    "event.start_time": "event-start",
    "event.end_time": "event-end",
    "event.sales_start_time": "event-sales-start",
    "event.sales_end_time": "event-sales-end",
    "event.max_tickets_per_order": "event-max",
    "event.max_tickets_per_buyer": "event-max-buyer",
  };
  tierSections(venue, d).forEach((sid, i) => {
    ids[`price-${sid}`] = `price-${sid}`;
    for (const tail of ["", ".price", ".price.amount_minor", ".price.currency_code", ".section_id"])
      ids[`event.price_tiers[${i}]${tail}`] = `price-${sid}`;
  });
  return ids;
}

/** The error to show beside a section's price input: typed wrong here, or refused by the server. */
export function priceError(
  problem: Problem | undefined,
  venue: Venue | undefined,
  d: Draft,
  sectionId: string,
): string | undefined {
  if (!problem) return undefined;
  const local = problem.fields[`price-${sectionId}`];
  if (local) return local;
  const i = tierSections(venue, d).indexOf(sectionId);
  const prefix = `event.price_tiers[${i}]`;
  return Object.entries(problem.fields).find(([k]) => i >= 0 && k.startsWith(prefix))?.[1];
}
