import { randomUUID } from "node:crypto";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { measure, measureEach, row } from "./load.js";

/**
 * GetEvent through the one port: warm (everyone reads the one on-sale event) and cold (first
 * reads of events nobody read before), with the cache hit ratio from the server's /metrics.
 */
export async function benchGetEvent(
  baseUrl: string,
  env: Record<string, string | undefined>,
  seconds: number,
  concurrency: number,
  smoke: boolean,
): Promise<{ lines: string[] }> {
  const transport = createGrpcTransport({ baseUrl });
  const auth = createClient(AuthService, transport);
  const events = createClient(EventService, transport);
  const admin = (await auth.login({ email: env.BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL!, password: env.BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD! })).tokens!;
  const asAdmin = { headers: { authorization: `Bearer ${admin.accessToken}` } };
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: "Bench Arena",
        city: "Lisbon",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections: [{ name: "Floor", kind: { case: "generalAdmission", value: { capacity: 1000 } } }],
      },
    },
    asAdmin,
  );
  const now = Date.now();
  const count = smoke ? 20 : 400;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const { event } = await events.createEvent(
      {
        requestId: randomUUID(),
        event: {
          venueId: venue!.id,
          name: `Bench night ${i}`,
          startTime: timestampFromMs(now + 30 * 86_400_000),
          endTime: timestampFromMs(now + 30 * 86_400_000 + 3 * 3600_000),
          priceTiers: [{ sectionId: venue!.sections[0]!.id, price: { currencyCode: "EUR", amountMinor: 4500n } }],
        },
      },
      asAdmin,
    );
    await events.publishEvent({ requestId: randomUUID(), eventId: event!.id }, asAdmin);
    ids.push(event!.id);
  }
  const hot = ids[0]!;
  const cold = await measureEach(ids.slice(1), concurrency, (id) => events.getEvent({ eventId: id }));
  const warm = await measure(concurrency, seconds * 1000, () => events.getEvent({ eventId: hot }));
  return {
    lines: [
      row(`GetEvent cold (first reads of ${ids.length - 1} events)`, cold),
      row("GetEvent warm (one hot on-sale event)", warm),
    ],
  };
}
