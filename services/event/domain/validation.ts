import { type Timestamp, timestampMs } from "@bufbuild/protobuf/wkt";
import type { Event, PriceTier } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { Venue } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import type { FieldViolation } from "../../../platform/errors/index.js";

/** ISO 4217 codes as ICU knows them (Node's Intl data): no hand-kept list to go stale. */
const currencies = new Set(Intl.supportedValuesOf("currency"));
const timeZones = new Set(Intl.supportedValuesOf("timeZone"));

export const maxTicketsLimit = 50;
export const maxTicketsPerBuyerLimit = 200;
export const defaultMaxTickets = 10;
export const maxSeatsPerVenue = 200_000;

/** Collects field violations with their AIP-193 paths. */
class Violations {
  readonly list: FieldViolation[] = [];
  add(field: string, description: string, reason: string): void {
    this.list.push({ field, description, reason });
  }
}

export function isValidTimeZone(tz: string): boolean {
  if (timeZones.has(tz) || tz === "UTC") return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
    return tz.includes("/");
  } catch {
    return false;
  }
}

/** A venue as sent to CreateVenue: texts, location and a well-formed layout. */
export function venueViolations(v: Venue | undefined): FieldViolation[] {
  const out = new Violations();
  if (v === undefined) {
    out.add("venue", "required", "REQUIRED");
    return out.list;
  }
  if (v.name.trim() === "") out.add("venue.name", "required", "REQUIRED");
  if (v.name.length > 200) out.add("venue.name", "at most 200 characters", "TOO_LONG");
  if (v.addressLine.trim() === "") out.add("venue.address_line", "required", "REQUIRED");
  if (v.city.trim() === "") out.add("venue.city", "required", "REQUIRED");
  if (!/^[A-Za-z]{2}$/.test(v.countryCode))
    out.add("venue.country_code", "an ISO 3166-1 alpha-2 code, like PT", "INVALID_FORMAT");
  if (!isValidTimeZone(v.timeZone))
    out.add("venue.time_zone", "an IANA time zone, like Europe/Lisbon", "INVALID_TIME_ZONE");
  if (v.sections.length === 0) out.add("venue.sections", "at least one section", "REQUIRED");
  const sectionNames = new Set<string>();
  let seats = 0;
  v.sections.forEach((s, i) => {
    const at = `venue.sections[${i}]`;
    const name = s.name.trim().toLowerCase();
    if (name === "") out.add(`${at}.name`, "required", "REQUIRED");
    else if (sectionNames.has(name)) out.add(`${at}.name`, "section names must be unique in a venue", "DUPLICATE");
    sectionNames.add(name);
    switch (s.kind.case) {
      case "generalAdmission":
        if (s.kind.value.capacity <= 0)
          out.add(`${at}.general_admission.capacity`, "must be greater than 0", "MUST_BE_POSITIVE");
        if (s.kind.value.capacity > maxSeatsPerVenue)
          out.add(`${at}.general_admission.capacity`, `at most ${maxSeatsPerVenue}`, "TOO_LARGE");
        seats += Math.max(0, s.kind.value.capacity);
        break;
      case "reservedSeating": {
        const rows = s.kind.value.rows;
        if (rows.length === 0) out.add(`${at}.reserved_seating.rows`, "at least one row", "REQUIRED");
        const rowLabels = new Set<string>();
        rows.forEach((r, j) => {
          const rowAt = `${at}.reserved_seating.rows[${j}]`;
          if (r.label === "") out.add(`${rowAt}.label`, "required", "REQUIRED");
          else if (rowLabels.has(r.label))
            out.add(`${rowAt}.label`, "row labels must be unique in a section", "DUPLICATE");
          rowLabels.add(r.label);
          if (r.seats.length === 0) out.add(`${rowAt}.seats`, "at least one seat", "REQUIRED");
          const seatLabels = new Set<string>();
          r.seats.forEach((seat, k) => {
            if (seat.label === "") out.add(`${rowAt}.seats[${k}].label`, "required", "REQUIRED");
            else if (seatLabels.has(seat.label))
              out.add(`${rowAt}.seats[${k}].label`, "seat labels must be unique in a row", "DUPLICATE");
            seatLabels.add(seat.label);
          });
          seats += r.seats.length;
        });
        break;
      }
      default:
        out.add(`${at}.kind`, "a section is either reserved_seating or general_admission", "REQUIRED");
    }
  });
  if (seats > maxSeatsPerVenue) out.add("venue.sections", `at most ${maxSeatsPerVenue} places in a venue`, "TOO_LARGE");
  return out.list.slice(0, 100);
}

/** Section capacity as stored: seats of a reserved section, capacity of a GA one. */
export function sectionCapacity(s: Venue["sections"][number]): number {
  if (s.kind.case === "generalAdmission") return s.kind.value.capacity;
  if (s.kind.case === "reservedSeating") return s.kind.value.rows.reduce((n, r) => n + r.seats.length, 0);
  return 0;
}

const ms = (t: Timestamp | undefined) => (t === undefined ? undefined : timestampMs(t));

/** The event fields CreateEvent and UpdateEvent check, against the venue's section ids. */
export function eventViolations(
  e: Event,
  sectionIds: ReadonlySet<string>,
  only?: ReadonlySet<string>,
): FieldViolation[] {
  const out = new Violations();
  const check = (path: string) => only === undefined || only.has(path);
  if (check("name") && e.name.trim() === "") out.add("event.name", "required", "REQUIRED");
  if (check("name") && e.name.length > 200) out.add("event.name", "at most 200 characters", "TOO_LONG");
  if (check("description") && e.description.length > 10_000)
    out.add("event.description", "at most 10,000 characters", "TOO_LONG");
  const start = ms(e.startTime);
  const end = ms(e.endTime);
  if (start === undefined) out.add("event.start_time", "required", "REQUIRED");
  if (end === undefined) out.add("event.end_time", "required", "REQUIRED");
  if (start !== undefined && end !== undefined && end <= start)
    out.add("event.end_time", "must be after start_time", "END_BEFORE_START");
  const salesStart = ms(e.salesStartTime);
  const salesEnd = ms(e.salesEndTime);
  if (salesStart !== undefined && salesEnd !== undefined && salesEnd <= salesStart) {
    out.add("event.sales_end_time", "must be after sales_start_time", "END_BEFORE_START");
  }
  if (salesEnd !== undefined && end !== undefined && salesEnd > end)
    out.add("event.sales_end_time", "sales must end by the end of the event", "AFTER_EVENT_END");
  if (e.maxTicketsPerOrder < 0 || e.maxTicketsPerOrder > maxTicketsLimit) {
    out.add(
      "event.max_tickets_per_order",
      `between 1 and ${maxTicketsLimit} (0 = ${defaultMaxTickets})`,
      "OUT_OF_RANGE",
    );
  }
  if (e.maxTicketsPerBuyer < 0 || e.maxTicketsPerBuyer > maxTicketsPerBuyerLimit) {
    out.add(
      "event.max_tickets_per_buyer",
      `between 0 and ${maxTicketsPerBuyerLimit} (0 = max_tickets_per_order)`,
      "OUT_OF_RANGE",
    );
  }
  if (check("price_tiers")) priceViolations(e.priceTiers, sectionIds, out);
  return out.list;
}

function priceViolations(tiers: PriceTier[], sectionIds: ReadonlySet<string>, out: Violations): void {
  const seen = new Set<string>();
  let currency: string | undefined;
  tiers.forEach((t, i) => {
    const at = `event.price_tiers[${i}]`;
    if (!sectionIds.has(t.sectionId))
      out.add(`${at}.section_id`, "not a section of the event's venue", "UNKNOWN_SECTION");
    else if (seen.has(t.sectionId)) out.add(`${at}.section_id`, "one price per section", "DUPLICATE");
    seen.add(t.sectionId);
    if (t.price === undefined) {
      out.add(`${at}.price`, "required", "REQUIRED");
      return;
    }
    if (!currencies.has(t.price.currencyCode))
      out.add(`${at}.price.currency_code`, "an ISO 4217 currency code, like EUR", "UNKNOWN_CURRENCY");
    else if (currency !== undefined && t.price.currencyCode !== currency)
      out.add(`${at}.price.currency_code`, "all prices of an event use one currency", "MIXED_CURRENCIES");
    currency ??= t.price.currencyCode;
    if (t.price.amountMinor < 0n) out.add(`${at}.price.amount_minor`, "must not be negative", "MUST_NOT_BE_NEGATIVE");
  });
}
