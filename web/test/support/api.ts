/**
 * Shortcuts under the UI for the browser suites: an organiser's published event made through the
 * platform's own API (the UI path for it is covered by storefront.test.ts), and holds by another
 * buyer. Generated clients over Connect, like any API user.
 */
import { randomUUID } from "node:crypto";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-node";
import type { Event } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { EventService } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import type { Venue } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import { TicketService } from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { TestUser } from "../../../test/support/users.js";

const DAY = 86_400_000;

export function apiClients(baseUrl: string) {
  const transport = createConnectTransport({ baseUrl, httpVersion: "1.1" });
  return { events: createClient(EventService, transport), tickets: createClient(TicketService, transport) };
}

/**
 * A published event on sale now: "Stalls" rows A–C × 6 seats at €45, "Standing" with `standing`
 * places at €25, at a new venue of `organiser`'s.
 */
export async function publishedEvent(
  baseUrl: string,
  organiser: TestUser,
  opts: { name: string; city?: string; standing?: number },
): Promise<{ event: Event; venue: Venue }> {
  const { events } = apiClients(baseUrl);
  const as = await organiser.auth();
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: `Hall for ${opts.name}`,
        addressLine: "Rua do Teste 1",
        city: opts.city ?? "Lisbon",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections: [
          {
            name: "Stalls",
            kind: {
              case: "reservedSeating",
              value: {
                rows: ["A", "B", "C"].map((label) => ({
                  label,
                  seats: Array.from({ length: 6 }, (_, i) => ({ label: String(i + 1) })),
                })),
              },
            },
          },
          { name: "Standing", kind: { case: "generalAdmission", value: { capacity: opts.standing ?? 5 } } },
        ],
      },
    },
    as,
  );
  if (!venue) throw new Error("CreateVenue answered without a venue");
  const price = (name: string) => (name === "Stalls" ? 4_500n : 2_500n);
  const start = Date.now() + 30 * DAY;
  const { event } = await events.createEvent(
    {
      requestId: randomUUID(),
      event: {
        venueId: venue.id,
        name: opts.name,
        description: "Made by the storefront's browser tests.",
        startTime: timestampFromDate(new Date(start)),
        endTime: timestampFromDate(new Date(start + 3 * 3_600_000)),
        salesStartTime: timestampFromDate(new Date(Date.now() - 3_600_000)),
        salesEndTime: timestampFromDate(new Date(start)),
        maxTicketsPerOrder: 10,
        priceTiers: venue.sections.map((s) => ({
          sectionId: s.id,
          price: { currencyCode: "EUR", amountMinor: price(s.name) },
        })),
      },
    },
    as,
  );
  if (!event) throw new Error("CreateEvent answered without an event");
  const published = await events.publishEvent({ requestId: randomUUID(), eventId: event.id }, as);
  if (!published.event) throw new Error("PublishEvent answered without an event");
  return { event: published.event, venue };
}
