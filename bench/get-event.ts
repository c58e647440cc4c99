import { randomUUID } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import { measure, measureEach, row } from "./load.js";

/**
 * GetEvent through the one port: warm (everyone reads the one on-sale event) and cold (first
 * reads of events nobody read before), with the cache hit ratio from the server's /metrics.
 */
export async function benchGetEvent(
  baseUrl: string,
  adminUrl: string,
  env: Record<string, string | undefined>,
  seconds: number,
  concurrency: number,
  smoke: boolean,
): Promise<{ lines: string[] }> {
  const transport = createGrpcTransport({ baseUrl });
  const auth = createClient(AuthService, transport);
  const events = createClient(EventService, transport);
  const admin = (
    await auth.login({
      email: env.BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL!,
      password: env.BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_PASSWORD!,
    })
  ).tokens!;
  const asAdmin = { headers: { authorization: `Bearer ${admin.accessToken}` } };
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: "Bench Arena",
        addressLine: "Avenida 1",
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
          salesStartTime: timestampFromMs(now - 1000),
          salesEndTime: timestampFromMs(now + 30 * 86_400_000),
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
  const before = await cacheCounts(adminUrl);
  const warm = await measure(concurrency, seconds * 1000, () => events.getEvent({ eventId: hot }));
  const after = await cacheCounts(adminUrl);
  const all = await cacheCounts(adminUrl);
  const ratio = (c: Record<string, number>) => {
    const total = Object.values(c).reduce((a, b) => a + b, 0);
    const hits = (c.hit_local ?? 0) + (c.hit_redis ?? 0) + (c.negative_hit ?? 0) + (c.stale ?? 0);
    return total === 0 ? 0 : hits / total;
  };
  const warmCounts = Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
  return {
    lines: [
      row(`GetEvent cold (first reads of ${ids.length - 1} events)`, cold),
      row("GetEvent warm (one hot on-sale event)", warm),
      `${"event cache hit ratio".padEnd(44)} warm ${(ratio(warmCounts) * 100).toFixed(2)}%   whole run ${(ratio(all) * 100).toFixed(2)}%   (${Object.entries(
        all,
      )
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")})`,
    ],
  };
}

/** The event cache's request counters by result, from the server's /metrics. */
async function cacheCounts(adminUrl: string): Promise<Record<string, number>> {
  const text = await (await fetch(`${adminUrl}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/cache_requests_total\{cache="event",result="(\w+)"\} (\d+)/g))
    out[m[1]!] = Number(m[2]);
  return out;
}
