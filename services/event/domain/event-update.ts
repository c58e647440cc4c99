import { clone } from "@bufbuild/protobuf";
import { timestampMs } from "@bufbuild/protobuf/wkt";
import { type Event, EventSchema, EventState } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { FieldViolation } from "../../../platform/errors/index.js";
import { defaultMaxTickets } from "./validation.js";

/** Fields UpdateEvent may change (AIP-134 paths). */
export const updatableFields: ReadonlySet<string> = new Set([
  "name",
  "description",
  "start_time",
  "end_time",
  "price_tiers",
  "max_tickets_per_order",
  "max_tickets_per_buyer",
  "sales_start_time",
  "sales_end_time",
  "venue_id",
]);

/**
 * The sellable layout: changing one bumps layout_version, and only a DRAFT may change them — the
 * ticket service sells the published layout. Prices are not in it: they may change after
 * publishing (each change a new revision and an EventUpdated), as texts and times may.
 */
export const layoutFields: ReadonlySet<string> = new Set([
  "venue_id",
  "max_tickets_per_order",
  "max_tickets_per_buyer",
  "sales_start_time",
  "sales_end_time",
]);

/** An update mask must name at least one field, and only updatable ones. */
export function maskViolations(paths: readonly string[]): FieldViolation[] {
  if (paths.length === 0)
    return [{ field: "update_mask", description: "list the fields to change", reason: "REQUIRED" }];
  const unknown = paths.filter((p) => !updatableFields.has(p));
  if (unknown.length === 0) return [];
  return [
    {
      field: "update_mask",
      description: `not updatable: ${unknown.join(", ")}; updatable: ${[...updatableFields].join(", ")}`,
      reason: "UNKNOWN_FIELD",
    },
  ];
}

/** `before` with the masked fields taken from `src` (a zero ticket limit means the default). */
export function applyMask(before: Event, src: Event, paths: readonly string[]): Event {
  const next = clone(EventSchema, before);
  for (const p of paths) {
    switch (p) {
      case "name":
        next.name = src.name;
        break;
      case "description":
        next.description = src.description;
        break;
      case "start_time":
        next.startTime = src.startTime;
        break;
      case "end_time":
        next.endTime = src.endTime;
        break;
      case "price_tiers":
        next.priceTiers = src.priceTiers;
        break;
      case "max_tickets_per_order":
        next.maxTicketsPerOrder = src.maxTicketsPerOrder || defaultMaxTickets;
        break;
      case "max_tickets_per_buyer":
        next.maxTicketsPerBuyer = src.maxTicketsPerBuyer;
        break;
      case "sales_start_time":
        next.salesStartTime = src.salesStartTime;
        break;
      case "sales_end_time":
        next.salesEndTime = src.salesEndTime;
        break;
      case "venue_id":
        next.venueId = src.venueId;
        break;
    }
  }
  return next;
}

/** The masked fields whose value really changes (EventUpdated lists only those). */
export function changedFields(paths: readonly string[], before: Event, next: Event): string[] {
  return paths.filter((p) => fieldValue(p, before) !== fieldValue(p, next));
}

/**
 * Whether the change gives the event a new layout version: a layout field changed, or — while
 * DRAFT, when nothing has been sold from the layout yet — its prices.
 */
export function bumpsLayout(state: EventState, changed: readonly string[]): boolean {
  return changed.some((p) => layoutFields.has(p)) || (state === EventState.DRAFT && changed.includes("price_tiers"));
}

function fieldValue(path: string, e: Event): unknown {
  const ms = (t: Event["startTime"]) => (t === undefined ? null : timestampMs(t));
  switch (path) {
    case "name":
      return e.name.trim();
    case "description":
      return e.description;
    case "start_time":
      return ms(e.startTime);
    case "end_time":
      return ms(e.endTime);
    case "sales_start_time":
      return ms(e.salesStartTime);
    case "sales_end_time":
      return ms(e.salesEndTime);
    case "max_tickets_per_order":
      return e.maxTicketsPerOrder;
    case "max_tickets_per_buyer":
      return e.maxTicketsPerBuyer;
    case "venue_id":
      return e.venueId;
    case "price_tiers":
      return JSON.stringify(
        [...e.priceTiers].map((t) => [t.sectionId, t.price?.currencyCode, String(t.price?.amountMinor)]).sort(),
      );
  }
  return undefined;
}
