import { randomUUID } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import type { CallOptions, Client } from "@connectrpc/connect";
import type { Event } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";

const DAY = 86_400_000;

/**
 * A DRAFT event in a new one-section GA venue (Porto), on sale from now until its start in ten
 * days, created through EventService by the organiser `auth`.
 */
export async function draftEvent(
  events: Client<typeof EventService>,
  auth: CallOptions,
  o: { venueName: string; eventName: string; capacity: number; priceMinor: bigint },
): Promise<Event> {
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: o.venueName,
        addressLine: "Rua 1",
        city: "Porto",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections: [{ name: "Floor", kind: { case: "generalAdmission", value: { capacity: o.capacity } } }],
      },
    },
    auth,
  );
  const now = Date.now();
  const { event } = await events.createEvent(
    {
      requestId: randomUUID(),
      event: {
        venueId: venue!.id,
        name: o.eventName,
        startTime: timestampFromMs(now + 10 * DAY),
        endTime: timestampFromMs(now + 10 * DAY + 3 * 3600_000),
        salesStartTime: timestampFromMs(now - 1000),
        salesEndTime: timestampFromMs(now + 10 * DAY),
        priceTiers: [{ sectionId: venue!.sections[0]!.id, price: { currencyCode: "EUR", amountMinor: o.priceMinor } }],
      },
    },
    auth,
  );
  return event!;
}
