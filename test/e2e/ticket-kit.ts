/**
 * Test kit for the ticket service through the one port: processes that share a signing key (so a
 * suite can mint access tokens for as many buyers as it needs without registering each — the real
 * verification path still checks every token against auth's JWKS), an organiser's event built and
 * published through the event service, and waiting until the ticket service has its inventory.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import type { Event, EventSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import { EventService } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import type { SectionSchema, Venue } from "../../gen/boxoffice/event/v1/venue_pb.js";
import type { Availability } from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import { generateSigningKey, type SigningKey, signAccessToken } from "../../platform/auth/index.js";
import type { Role } from "../../platform/auth/tokens.js";
import { sleep } from "../../platform/clock/index.js";
import { testPrefix } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";
import { newUsersConfig, usersEnv } from "../support/users.js";

export type Proc = Awaited<ReturnType<typeof startTestProcess>>;
export type SectionInit = MessageInitShape<typeof SectionSchema>;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** Mints access tokens with the processes' own signing key (auth publishes it in its JWKS). */
export class TokenMint {
  readonly #cache = new Map<string, CallOptions>();
  constructor(private readonly key: SigningKey) {}

  /** Call options of user `id` (a fresh UUID when omitted) with `roles`. */
  async as(id: string = randomUUID(), roles: Role[] = ["CUSTOMER"]): Promise<CallOptions> {
    const k = `${id}/${roles.join(",")}`;
    let opts = this.#cache.get(k);
    if (opts === undefined) {
      const token = await signAccessToken({
        key: this.key.privateJwk,
        issuer: "boxoffice-auth",
        ttlSeconds: 3600,
        subject: id,
        roles,
      });
      opts = { headers: { authorization: `Bearer ${token}` } };
      this.#cache.set(k, opts);
    }
    return opts;
  }
}

/** Environment shared by every process of one stack: prefix, signing key, service secrets. */
export async function stackEnv(extra: Record<string, string> = {}) {
  const key = await generateSigningKey(`test-${randomBytes(3).toString("hex")}`);
  const env = {
    BOXOFFICE_PREFIX: testPrefix(),
    ...usersEnv(newUsersConfig()),
    BOXOFFICE_AUTH_SIGNING_KEYS: JSON.stringify([key.privateJwk]),
    BOXOFFICE_MAX_INFLIGHT: "20000",
    ...extra,
  };
  return { env, mint: new TokenMint(key) };
}

/** Clients of one process: Connect/JSON on HTTP/1.1 and gRPC on HTTP/2. */
export function clientsOf(proc: Proc): {
  events: Client<typeof EventService>;
  tickets: Client<typeof TicketService>;
  grpc: Client<typeof TicketService>;
} {
  const json = createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" });
  const grpc = createGrpcTransport({ baseUrl: proc.baseUrl });
  return {
    events: createClient(EventService, json),
    tickets: createClient(TicketService, json),
    grpc: createClient(TicketService, grpc),
  };
}

export const grid = (name: string, rows: number, perRow: number, gapAfter?: number): SectionInit => ({
  name,
  kind: {
    case: "reservedSeating",
    value: {
      rows: Array.from({ length: rows }, (_, r) => ({
        label: String(r + 1),
        seats: Array.from({ length: perRow }, (_, s) => ({
          label: String(gapAfter !== undefined && s >= gapAfter ? s + 2 : s + 1),
        })),
      })),
    },
  },
});

export const ga = (name: string, capacity: number): SectionInit => ({
  name,
  kind: { case: "generalAdmission", value: { capacity } },
});

export interface Published {
  event: Event;
  venue: Venue;
  organizer: CallOptions;
  /** Section ids in layout order. */
  sections: string[];
}

/**
 * Creates a venue with `sections` and an event on sale from now for 10 days (per-order limit
 * `maxPerOrder`), publishes it, and waits until the ticket service answers its availability.
 */
export async function publishEvent(
  proc: Proc,
  mint: TokenMint,
  sections: SectionInit[],
  o: {
    maxPerOrder?: number;
    maxPerBuyer?: number;
    materialiseTimeoutMs?: number;
    name?: string;
    /** Called when PublishEvent has answered (before waiting for the inventory). */
    onPublished?: () => void;
  } = {},
): Promise<Published> {
  const { events } = clientsOf(proc);
  const organizer = await mint.as(randomUUID(), ["ORGANIZER"]);
  const { venue } = await events.createVenue(
    {
      requestId: randomUUID(),
      venue: {
        name: `Hall ${randomBytes(3).toString("hex")}`,
        addressLine: "Rua Augusta 1",
        city: "Lisbon",
        countryCode: "PT",
        timeZone: "Europe/Lisbon",
        sections,
      },
    },
    { ...organizer, timeoutMs: 60_000 },
  );
  const now = Date.now();
  const start = now + 10 * DAY;
  const init: MessageInitShape<typeof EventSchema> = {
    venueId: venue!.id,
    name: o.name ?? `Show ${randomBytes(3).toString("hex")}`,
    description: "An evening of music.",
    startTime: timestampFromMs(start),
    endTime: timestampFromMs(start + 3 * HOUR),
    salesStartTime: timestampFromMs(now - 60_000),
    salesEndTime: timestampFromMs(start),
    maxTicketsPerOrder: o.maxPerOrder ?? 6,
    maxTicketsPerBuyer: o.maxPerBuyer ?? 0,
    priceTiers: venue!.sections.map((s, i) => ({
      sectionId: s.id,
      price: { currencyCode: "EUR", amountMinor: 2_500n + BigInt(i) * 1_000n },
    })),
  };
  const { event: draft } = await events.createEvent({ requestId: randomUUID(), event: init }, organizer);
  const { event } = await events.publishEvent({ requestId: randomUUID(), eventId: draft!.id }, organizer);
  o.onPublished?.();
  await availabilityOf(proc, event!.id, o.materialiseTimeoutMs ?? 15_000);
  return { event: event!, venue: venue!, organizer, sections: venue!.sections.map((s) => s.id) };
}

/** Polls GetAvailability until the ticket service has the event's inventory. */
export async function availabilityOf(proc: Proc, eventId: string, timeoutMs = 15_000): Promise<Availability> {
  const { tickets } = clientsOf(proc);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { availability } = await tickets.getAvailability({ eventId });
      return availability!;
    } catch (e) {
      if (ConnectError.from(e).code !== Code.NotFound || Date.now() > deadline) throw e;
    }
    await sleep(50);
  }
}

export { startTestProcess };
