/**
 * The demo on-sale of `make dev`: an organiser account, the venue "Boxoffice Arena" and the
 * PUBLISHED event "Opening Night", created through the public API only (generated Connect clients
 * over gRPC), exactly like a client outside the platform would.
 *
 * Idempotent: every run first looks for what it would create (login; ListVenues and ListEvents of
 * the organiser) and creates only what is missing, and every write carries a request_id derived
 * from the admin password and what is being written, so a run that crashed between a commit and
 * its answer replays the same request and gets the first answer back instead of a second venue or
 * event. The organiser's password is derived from the admin password (HMAC), so re-runs log in.
 *
 * Standalone: `node --import tsx scripts/seed.ts [baseUrl]` seeds a running `make dev` (admin
 * credentials from <BOXOFFICE_DEV_DATA_DIR or .data/dev>/dev-secrets.json).
 */
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { timestampDate, timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Role } from "../gen/boxoffice/auth/v1/auth_pb.js";
import { AuthService } from "../gen/boxoffice/auth/v1/auth_service_pb.js";
import { type Event, EventState } from "../gen/boxoffice/event/v1/event_pb.js";
import { EventService } from "../gen/boxoffice/event/v1/event_service_pb.js";
import type { Venue } from "../gen/boxoffice/event/v1/venue_pb.js";
import {
  DEMO_CURRENCY,
  DEMO_EVENT_DESCRIPTION,
  DEMO_EVENT_NAME,
  DEMO_ORGANIZER_EMAIL,
  DEMO_ORGANIZER_NAME,
  DEMO_VENUE,
  DEMO_VENUE_NAME,
  demoEventTimes,
  PRICES,
} from "./seed-data.js";

export interface SeedOptions {
  /** The one port of a running process, e.g. http://localhost:8080. */
  baseUrl: string;
  /** The bootstrap admin (BOXOFFICE_AUTH_BOOTSTRAP_ADMIN_EMAIL/PASSWORD). */
  adminEmail: string;
  adminPassword: string;
  log: (line: string) => void;
  /** Time source for the event's dates; defaults to the wall clock. */
  now?: () => number;
}

export interface SeedResult {
  organizerEmail: string;
  organizerPassword: string;
  eventId: string;
}

/** The demo organiser's password: HMAC of the admin password, so every run of one stack agrees. */
export function demoOrganizerPassword(adminPassword: string): string {
  return `demo-${createHmac("sha256", adminPassword).update("boxoffice demo organizer password").digest("base64url").slice(0, 32)}`;
}

/** A request_id (UUID-shaped, version 8) fixed by the stack's admin password and the write's key. */
function requestId(adminPassword: string, key: string): string {
  const h = createHmac("sha256", adminPassword).update(`boxoffice demo seed request ${key}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString("hex");
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

const bearer = (token: string): CallOptions => ({ headers: { authorization: `Bearer ${token}` } });

export async function seedDemo(opts: SeedOptions): Promise<SeedResult> {
  const now = opts.now ?? Date.now;
  const transport = createGrpcTransport({
    baseUrl: opts.baseUrl,
    defaultTimeoutMs: 30_000,
    idleConnectionTimeoutMs: 1_000,
  });
  const auth = createClient(AuthService, transport);
  const events = createClient(EventService, transport);
  const rid = (key: string) => requestId(opts.adminPassword, key);

  // 1. The organiser: log in, else register; ORGANIZER granted by the admin when missing.
  const organizerPassword = demoOrganizerPassword(opts.adminPassword);
  let organizer = await tryLogin(auth, DEMO_ORGANIZER_EMAIL, organizerPassword);
  if (organizer === undefined) {
    try {
      await auth.register({
        requestId: rid(`register ${DEMO_ORGANIZER_EMAIL}`),
        email: DEMO_ORGANIZER_EMAIL,
        password: organizerPassword,
        displayName: DEMO_ORGANIZER_NAME,
      });
      opts.log(`registered the demo organiser ${DEMO_ORGANIZER_EMAIL}`);
    } catch (e) {
      if (ConnectError.from(e).code !== Code.AlreadyExists) throw e;
    }
    organizer = await tryLogin(auth, DEMO_ORGANIZER_EMAIL, organizerPassword);
    if (organizer === undefined) {
      throw new Error(
        `${DEMO_ORGANIZER_EMAIL} exists with a password not derived from this admin password; reset the dev data (make dev-reset)`,
      );
    }
  }
  if (!organizer.roles.includes(Role.ORGANIZER)) {
    const admin = await tryLogin(auth, opts.adminEmail, opts.adminPassword);
    if (admin === undefined) throw new Error(`cannot log in as the admin ${opts.adminEmail}`);
    await auth.grantRole(
      { requestId: rid(`grant ORGANIZER ${organizer.id}`), userId: organizer.id, role: Role.ORGANIZER },
      bearer(admin.token),
    );
    opts.log(`granted ORGANIZER to ${DEMO_ORGANIZER_EMAIL}`);
    organizer = await tryLogin(auth, DEMO_ORGANIZER_EMAIL, organizerPassword);
    if (organizer === undefined || !organizer.roles.includes(Role.ORGANIZER))
      throw new Error("the ORGANIZER grant did not take effect");
  }
  const as = bearer(organizer.token);

  // 2. The venue: the organiser's venue of that name, else a new one.
  let venue = await findVenue(events, organizer.id);
  if (venue === undefined) {
    venue = (
      await events.createVenue({ requestId: rid(`venue ${organizer.id} ${DEMO_VENUE_NAME}`), venue: DEMO_VENUE }, as)
    ).venue;
    if (venue === undefined) throw new Error("CreateVenue answered without a venue");
    opts.log(`created the venue ${DEMO_VENUE_NAME} (${venue.seatCount} places)`);
  }
  const tiers = venue.sections.map((s) => {
    const amount = PRICES[s.name];
    if (amount === undefined) throw new Error(`venue ${venue.id} has a section "${s.name}" the demo has no price for`);
    return { sectionId: s.id, price: { currencyCode: DEMO_CURRENCY, amountMinor: amount } };
  });

  // 3. The event: the organiser's upcoming DRAFT or PUBLISHED "Opening Night" there, else a new one; then published.
  let event = await findEvent(events, organizer.id, venue.id, now(), as);
  if (event === undefined) {
    const t = demoEventTimes(now());
    event = (
      await events.createEvent(
        {
          requestId: rid(`event ${venue.id} ${t.day}`),
          event: {
            venueId: venue.id,
            name: DEMO_EVENT_NAME,
            description: DEMO_EVENT_DESCRIPTION,
            startTime: timestampFromMs(t.startMs),
            endTime: timestampFromMs(t.endMs),
            salesStartTime: timestampFromMs(t.salesStartMs),
            salesEndTime: timestampFromMs(t.salesEndMs),
            maxTicketsPerOrder: 8,
            priceTiers: tiers,
          },
        },
        as,
      )
    ).event;
    if (event === undefined) throw new Error("CreateEvent answered without an event");
    opts.log(`created the event ${DEMO_EVENT_NAME} (${event.id}), starting ${new Date(t.startMs).toISOString()}`);
  }
  if (event.state === EventState.DRAFT) {
    const priced = new Set(event.priceTiers.map((p) => p.sectionId));
    const t = demoEventTimes(now());
    if (
      venue.sections.some((s) => !priced.has(s.id)) ||
      event.salesStartTime === undefined ||
      event.salesEndTime === undefined
    ) {
      // a draft someone left unfinished: complete it (keyed by its revision, so a replay is a replay)
      event = (
        await events.updateEvent(
          {
            requestId: rid(`complete ${event.id} r${event.revision}`),
            event: {
              id: event.id,
              priceTiers: tiers,
              salesStartTime: timestampFromMs(t.salesStartMs),
              salesEndTime: event.startTime,
            },
            updateMask: { paths: ["price_tiers", "sales_start_time", "sales_end_time"] },
            expectedRevision: event.revision,
          },
          as,
        )
      ).event!;
    }
    event = (await events.publishEvent({ requestId: rid(`publish ${event.id}`), eventId: event.id }, as)).event;
    if (event === undefined) throw new Error("PublishEvent answered without an event");
    opts.log(`published ${DEMO_EVENT_NAME} (${event.id})`);
  } else {
    opts.log(`demo already seeded: ${DEMO_EVENT_NAME} (${event.id}) is on sale`);
  }
  return { organizerEmail: DEMO_ORGANIZER_EMAIL, organizerPassword, eventId: event.id };
}

async function tryLogin(
  auth: Client<typeof AuthService>,
  email: string,
  password: string,
): Promise<{ id: string; token: string; roles: Role[] } | undefined> {
  try {
    const { tokens } = await auth.login({ email, password });
    if (tokens === undefined) return undefined;
    const { user } = await auth.getMe({}, bearer(tokens.accessToken));
    if (user === undefined) return undefined;
    return { id: user.id, token: tokens.accessToken, roles: user.roles };
  } catch (e) {
    if (ConnectError.from(e).code === Code.Unauthenticated) return undefined;
    throw e;
  }
}

async function findVenue(events: Client<typeof EventService>, organizerId: string): Promise<Venue | undefined> {
  let pageToken = "";
  do {
    const page = await events.listVenues({ organizerId, pageSize: 200, pageToken });
    const found = page.venues.find((v) => v.name === DEMO_VENUE_NAME);
    if (found !== undefined) return found;
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  return undefined;
}

async function findEvent(
  events: Client<typeof EventService>,
  organizerId: string,
  venueId: string,
  nowMs: number,
  as: CallOptions,
): Promise<Event | undefined> {
  let pageToken = "";
  const candidates: Event[] = [];
  do {
    const page = await events.listEvents(
      { organizerId, states: [EventState.DRAFT, EventState.PUBLISHED], pageSize: 200, pageToken },
      as,
    );
    candidates.push(
      ...page.events.filter(
        (e) =>
          e.name === DEMO_EVENT_NAME &&
          e.venueId === venueId &&
          e.startTime !== undefined &&
          timestampDate(e.startTime).getTime() > nowMs,
      ),
    );
    pageToken = page.nextPageToken;
  } while (pageToken !== "");
  // prefer one already on sale
  return candidates.find((e) => e.state === EventState.PUBLISHED) ?? candidates[0];
}

/** `node --import tsx scripts/seed.ts [baseUrl]` against a running `make dev`. */
async function main(): Promise<void> {
  const baseUrl = process.argv[2] ?? `http://localhost:${process.env.BOXOFFICE_PORT ?? "8080"}`;
  const dataDir = process.env.BOXOFFICE_DEV_DATA_DIR ?? ".data/dev";
  const secrets = JSON.parse(readFileSync(join(dataDir, "dev-secrets.json"), "utf8")) as {
    adminEmail: string;
    adminPassword: string;
  };
  const result = await seedDemo({
    baseUrl,
    adminEmail: secrets.adminEmail,
    adminPassword: secrets.adminPassword,
    log: (l) => process.stderr.write(`seed: ${l}\n`),
  });
  process.stdout.write(
    `Demo organiser: ${result.organizerEmail} / ${result.organizerPassword}\n` +
      `Demo event: ${result.eventId}\n` +
      `  curl -H 'content-type: application/json' -d '{"eventId":"${result.eventId}"}' ${baseUrl}/boxoffice.event.v1.EventService/GetEvent\n`,
  );
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e: unknown) => {
    process.stderr.write(`seed failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  });
}
