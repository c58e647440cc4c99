/**
 * What the scenarios need from a running platform: an admin, customers with tokens, one hot
 * on-sale event and many cold ones, and the exact bytes the platform answers (the bare node:http
 * reference serves the same).
 */
import { randomUUID } from "node:crypto";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";

export const healthPath = "/grpc.health.v1.Health/Check";
export const getEventPath = "/boxoffice.event.v1.EventService/GetEvent";

export interface BenchData {
  /** The bootstrap admin's access token (venues and events of the hold and purchase benches). */
  adminToken: string;
  /** A customer's access token: "our empty RPC" carries it, so token verification runs. */
  userToken: string;
  /** Customers that can log in (the Login scenario: one per caller). */
  users: { email: string; password: string }[];
  hotEventId: string;
  coldEventIds: string[];
  /** Request bodies (Connect/JSON and binary protobuf). */
  requests: { healthJson: string; getEventJson: string; getEventBinary: Uint8Array };
  /** Response bodies exactly as the platform sends them. */
  responses: { healthJson: Buffer; healthBinary: Buffer; eventJson: Buffer; eventBinary: Buffer };
}

async function body(url: string, init: RequestInit): Promise<Buffer> {
  const r = await fetch(url, init);
  const b = Buffer.from(await r.arrayBuffer());
  if (r.status !== 200) throw new Error(`${url}: HTTP ${r.status} ${b.toString()}`);
  return b;
}

/** Creates the data through the platform's own RPCs. */
export async function prepare(
  baseUrl: string,
  admin: { email: string; password: string },
  opts: { coldEvents: number; users: number },
): Promise<BenchData> {
  const transport = createGrpcTransport({ baseUrl });
  const auth = createClient(AuthService, transport);
  const events = createClient(EventService, transport);
  const adminToken = (await auth.login(admin)).tokens!.accessToken;
  const asAdmin = { headers: { authorization: `Bearer ${adminToken}` } };
  const users = await Promise.all(
    Array.from({ length: opts.users }, async (_, i) => {
      const email = `bench-${i}-${randomUUID().slice(0, 8)}@example.com`;
      const password = `bench-password-${randomUUID()}`;
      await auth.register({ requestId: randomUUID(), email, password, displayName: `Bench ${i}` });
      return { email, password };
    }),
  );
  const userToken = (await auth.login(users[0]!)).tokens!.accessToken;
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
  const ids: string[] = [];
  for (let i = 0; i <= opts.coldEvents; i++) {
    const { event } = await events.createEvent(
      {
        requestId: randomUUID(),
        event: {
          venueId: venue!.id,
          name: `Bench night ${i}`,
          description: "An on-sale night at the bench arena: doors at seven, music at eight.",
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
  const hotEventId = ids[0]!;
  const getEventJson = JSON.stringify({ eventId: hotEventId });
  const getEventBinary = Buffer.concat([Buffer.from([0x0a, hotEventId.length]), Buffer.from(hotEventId)]);
  const json = { "content-type": "application/json" };
  const proto = { "content-type": "application/proto" };
  return {
    adminToken,
    userToken,
    users,
    hotEventId,
    coldEventIds: ids.slice(1),
    requests: { healthJson: "{}", getEventJson, getEventBinary },
    responses: {
      healthJson: await body(`${baseUrl}${healthPath}`, { method: "POST", headers: json, body: "{}" }),
      healthBinary: await body(`${baseUrl}${healthPath}`, { method: "POST", headers: proto, body: new Uint8Array() }),
      eventJson: await body(`${baseUrl}${getEventPath}`, { method: "POST", headers: json, body: getEventJson }),
      eventBinary: await body(`${baseUrl}${getEventPath}`, { method: "POST", headers: proto, body: getEventBinary }),
    },
  };
}
