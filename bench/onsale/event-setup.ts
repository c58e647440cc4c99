/**
 * The on-sale's event, created through the public API as an organiser would (here the bootstrap
 * admin): a venue with two reserved sections and a standing (GA) section sized for the number of
 * buyers, an event whose sales open a few seconds after publishing, and a wait until the ticket
 * service has materialised its inventory (EventPublished → GetEventLayout → seats).
 */
import { randomUUID } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { sleep } from "../../platform/clock/index.js";
import { as, type OnsaleClients } from "./clients.js";

export interface SectionInfo {
  id: string;
  name: string;
  kind: "reserved" | "ga";
  capacity: number;
  priceMinor: number;
  /** Reserved sections: rows front to back with their seat labels. */
  rows: Array<{ label: string; seats: string[] }>;
}

export interface OnsaleEvent {
  eventId: string;
  salesStartMs: number;
  currency: string;
  sections: SectionInfo[];
  /** Places in the venue. */
  places: number;
}

/** The shape of the venue for `buyers` buyers. */
export interface VenuePlan {
  reserved: Array<{ name: string; rows: number; seatsPerRow: number; priceMinor: number }>;
  ga: { name: string; capacity: number; priceMinor: number };
}

/** Thrown when the flow the bench drives is not built in this tree (an RPC answers UNIMPLEMENTED). */
export class FlowNotBuiltError extends Error {}

/**
 * A venue about 10 % larger than the demand of `buyers` buyers buying 2.2 places on average (70 %
 * reserved, 30 % standing): the last buyers meet sold-out sections, most get places.
 */
export function venuePlanFor(buyers: number, avgPlaces = 2.2, reservedShare = 0.7): VenuePlan {
  const seats = Math.max(40, Math.ceil(buyers * reservedShare * avgPlaces * 1.1));
  const seatsPerRow = 20;
  const stallsRows = Math.max(2, Math.ceil((seats * 0.6) / seatsPerRow));
  const balconyRows = Math.max(2, Math.ceil((seats * 0.4) / seatsPerRow));
  return {
    reserved: [
      { name: "Stalls", rows: stallsRows, seatsPerRow, priceMinor: 6_500 },
      { name: "Balcony", rows: balconyRows, seatsPerRow, priceMinor: 4_500 },
    ],
    ga: {
      name: "Standing",
      capacity: Math.max(20, Math.ceil(buyers * (1 - reservedShare) * avgPlaces * 1.1)),
      priceMinor: 3_000,
    },
  };
}

/** Row labels A…Z, then AA, AB, … */
export function rowLabel(i: number): string {
  const letter = (n: number) => String.fromCharCode(65 + n);
  return i < 26 ? letter(i) : letter(Math.floor(i / 26) - 1) + letter(i % 26);
}

/** Logs in as `email`, creates the venue and the event, publishes it and waits for the inventory. */
export async function setUpOnsale(
  c: OnsaleClients,
  o: { adminEmail: string; adminPassword: string; plan: VenuePlan; salesOpenInMs: number; log: (l: string) => void },
): Promise<OnsaleEvent & { adminToken: string }> {
  const login = await c.auth.login({ email: o.adminEmail, password: o.adminPassword });
  const token = login.tokens?.accessToken;
  if (token === undefined) throw new Error("admin login answered without tokens");
  const { venue } = await c.events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: "Bench Arena",
        addressLine: "1 Load Street",
        city: "Lisbon",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections: [
          ...o.plan.reserved.map((r) => ({
            name: r.name,
            kind: {
              case: "reservedSeating" as const,
              value: {
                rows: Array.from({ length: r.rows }, (_, i) => ({
                  label: rowLabel(i),
                  seats: Array.from({ length: r.seatsPerRow }, (_, s) => ({ label: String(s + 1) })),
                })),
              },
            },
          })),
          {
            name: o.plan.ga.name,
            kind: { case: "generalAdmission" as const, value: { capacity: o.plan.ga.capacity } },
          },
        ],
      },
    },
    as(token, 60_000),
  );
  if (venue === undefined) throw new Error("CreateVenue answered without a venue");
  const price = (name: string) =>
    o.plan.reserved.find((r) => r.name === name)?.priceMinor ?? (name === o.plan.ga.name ? o.plan.ga.priceMinor : 0);
  const now = Date.now();
  const day = 24 * 3600_000;
  const salesStartMs = Math.ceil((now + o.salesOpenInMs) / 1000) * 1000;
  const { event } = await c.events.createEvent(
    {
      requestId: randomUUID(),
      event: {
        venueId: venue.id,
        name: "The On-Sale",
        description: "Created by the on-sale bench.",
        startTime: timestampFromMs(now + 30 * day),
        endTime: timestampFromMs(now + 30 * day + 4 * 3600_000),
        salesStartTime: timestampFromMs(salesStartMs),
        salesEndTime: timestampFromMs(now + 30 * day),
        maxTicketsPerOrder: 8,
        priceTiers: venue.sections.map((s) => ({
          sectionId: s.id,
          price: { currencyCode: "EUR", amountMinor: BigInt(price(s.name)) },
        })),
      },
    },
    as(token, 30_000),
  );
  if (event === undefined) throw new Error("CreateEvent answered without an event");
  await c.events.publishEvent({ requestId: randomUUID(), eventId: event.id }, as(token, 30_000));
  const t0 = Date.now();
  await waitForInventory(c, event.id);
  o.log(
    `event ${event.id} published; inventory ready in ${Date.now() - t0} ms; sales open at ${new Date(salesStartMs).toISOString()}`,
  );
  const sections: SectionInfo[] = venue.sections.map((s) => ({
    id: s.id,
    name: s.name,
    kind: s.kind.case === "generalAdmission" ? "ga" : "reserved",
    capacity: s.capacity,
    priceMinor: price(s.name),
    rows:
      s.kind.case === "reservedSeating"
        ? s.kind.value.rows.map((r) => ({ label: r.label, seats: r.seats.map((x) => x.label) }))
        : [],
  }));
  return {
    eventId: event.id,
    salesStartMs,
    currency: "EUR",
    sections,
    places: sections.reduce((n, s) => n + s.capacity, 0),
    adminToken: token,
  };
}

async function waitForInventory(c: OnsaleClients, eventId: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await c.tickets.getAvailability({ eventId }, { timeoutMs: 5_000 });
      return;
    } catch (e) {
      const err = ConnectError.from(e);
      if (err.code === Code.Unimplemented)
        throw new FlowNotBuiltError(
          `ticket.GetAvailability answers UNIMPLEMENTED: the on-sale flow is not built in this tree`,
        );
      if (err.code !== Code.NotFound && err.code !== Code.Unavailable) throw err;
      if (Date.now() > deadline)
        throw new Error(`no inventory for event ${eventId} after ${timeoutMs} ms (${err.message})`);
      await sleep(200);
    }
  }
}
