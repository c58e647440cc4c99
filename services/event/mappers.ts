import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { MoneySchema } from "../../gen/boxoffice/common/v1/money_pb.js";
import { type Event, EventSchema, PriceTierSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import {
  GeneralAdmissionSchema,
  ReservedSeatingSchema,
  type Section,
  SectionSchema,
  type Venue,
  VenueSchema,
} from "../../gen/boxoffice/event/v1/venue_pb.js";
import type {
  EventRow,
  NewEventRow,
  NewSectionRow,
  NewVenueRow,
  SectionRow,
  TierRow,
  VenueRow,
} from "./db/repository.js";
import { effectiveState } from "./domain/lifecycle.js";
import { sectionCapacity } from "./domain/validation.js";

/**
 * Rows ↔ messages, in one place: repositories return rows, use-cases return messages (the API's
 * resources, also what the idempotency store and the cache keep), and this file is the bridge.
 */

export function toSection(s: SectionRow): Section {
  const section = create(SectionSchema, { id: s.id, name: s.name, capacity: s.capacity });
  section.kind =
    s.kind === "general_admission"
      ? { case: "generalAdmission", value: create(GeneralAdmissionSchema, { capacity: s.capacity }) }
      : {
          case: "reservedSeating",
          value: s.seatMap ? fromBinary(ReservedSeatingSchema, s.seatMap) : create(ReservedSeatingSchema),
        };
  return section;
}

/** A venue with its sections (`sections` may hold other venues' too: only this one's are taken). */
export function toVenue(row: VenueRow, sections: readonly SectionRow[]): Venue {
  return create(VenueSchema, {
    id: row.id,
    organizerId: row.organizerId,
    name: row.name,
    addressLine: row.addressLine,
    city: row.city,
    countryCode: row.countryCode,
    timeZone: row.timeZone,
    seatCount: row.seatCount,
    sections: sections.filter((s) => s.venueId === row.id).map(toSection),
    createTime: timestampFromDate(row.createTime),
    updateTime: timestampFromDate(row.updateTime),
  });
}

/** The rows of a new venue as CreateVenue sends it (texts trimmed, country upper-cased). */
export function newVenueRows(
  v: Venue,
  ids: { venue: string; section: () => string },
  organizerId: string,
  at: Date,
): { venue: NewVenueRow; sections: NewSectionRow[] } {
  return {
    venue: {
      id: ids.venue,
      organizerId,
      name: v.name.trim(),
      addressLine: v.addressLine.trim(),
      city: v.city.trim(),
      countryCode: v.countryCode.toUpperCase(),
      timeZone: v.timeZone,
      seatCount: v.sections.reduce((n, s) => n + sectionCapacity(s), 0),
      createTime: at,
      updateTime: at,
    },
    sections: v.sections.map((s, position) => ({
      id: ids.section(),
      venueId: ids.venue,
      position,
      name: s.name.trim(),
      kind: s.kind.case === "reservedSeating" ? "reserved" : "general_admission",
      capacity: sectionCapacity(s),
      seatMap: s.kind.case === "reservedSeating" ? Buffer.from(toBinary(ReservedSeatingSchema, s.kind.value)) : null,
    })),
  };
}

/** An event as read at `nowMs` (its state derived: see domain/lifecycle.ts). */
export function toEvent(row: EventRow, tiers: readonly TierRow[], nowMs: number): Event {
  return create(EventSchema, {
    id: row.id,
    organizerId: row.organizerId,
    venueId: row.venueId,
    name: row.name,
    description: row.description,
    city: row.city,
    startTime: timestampFromDate(row.startTime),
    endTime: timestampFromDate(row.endTime),
    timeZone: row.timeZone,
    state: effectiveState(row.state, row.endTime.getTime(), nowMs),
    priceTiers: tiers
      .filter((t) => t.eventId === row.id)
      .map((t) =>
        create(PriceTierSchema, {
          sectionId: t.sectionId,
          price: create(MoneySchema, { currencyCode: t.currencyCode, amountMinor: BigInt(t.amountMinor) }),
        }),
      ),
    maxTicketsPerOrder: row.maxTicketsPerOrder,
    maxTicketsPerBuyer: row.maxTicketsPerBuyer,
    salesStartTime: row.salesStartTime ? timestampFromDate(row.salesStartTime) : undefined,
    salesEndTime: row.salesEndTime ? timestampFromDate(row.salesEndTime) : undefined,
    layoutVersion: BigInt(row.layoutVersion),
    revision: BigInt(row.revision),
    createTime: timestampFromDate(row.createTime),
    updateTime: timestampFromDate(row.updateTime),
    publishTime: row.publishTime ? timestampFromDate(row.publishTime) : undefined,
    cancelTime: row.cancelTime ? timestampFromDate(row.cancelTime) : undefined,
    cancelReason: row.cancelReason,
  });
}

/** The columns an event's editable fields map to (UpdateEvent and CreateEvent). */
export function eventColumns(
  e: Event,
): Pick<
  NewEventRow,
  | "name"
  | "description"
  | "startTime"
  | "endTime"
  | "maxTicketsPerOrder"
  | "maxTicketsPerBuyer"
  | "salesStartTime"
  | "salesEndTime"
  | "venueId"
> {
  return {
    name: e.name.trim(),
    description: e.description,
    startTime: timestampDate(e.startTime!),
    endTime: timestampDate(e.endTime!),
    maxTicketsPerOrder: e.maxTicketsPerOrder,
    maxTicketsPerBuyer: e.maxTicketsPerBuyer,
    salesStartTime: e.salesStartTime ? timestampDate(e.salesStartTime) : null,
    salesEndTime: e.salesEndTime ? timestampDate(e.salesEndTime) : null,
    venueId: e.venueId,
  };
}

/** The price tier rows of an event, in the organiser's order. */
export function tierRows(eventId: string, tiers: Event["priceTiers"]): TierRow[] {
  return tiers.map((t, position) => ({
    eventId,
    sectionId: t.sectionId,
    position,
    currencyCode: t.price!.currencyCode,
    amountMinor: Number(t.price!.amountMinor),
  }));
}

/** The revision snapshot of an event (the Event message as it is after the change). */
export function eventSnapshot(e: Event): Buffer {
  return Buffer.from(toBinary(EventSchema, e));
}
