import assert from "node:assert/strict";
import { randomBytes, randomUUID } from "node:crypto";
import {
  create,
  createRegistry,
  type DescMessage,
  equals,
  isMessage,
  type MessageInitShape,
  type MessageShape,
  toBinary,
} from "@bufbuild/protobuf";
import { type Timestamp, timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { type CallOptions, type Client, Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import * as grpc from "@grpc/grpc-js";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { v7 as uuidv7 } from "uuid";
import { Role } from "../../gen/boxoffice/auth/v1/auth_pb.js";
import { EventInternalService } from "../../gen/boxoffice/event/v1/event_internal_service_pb.js";
import { type Event, type EventLayout, EventSchema, EventState } from "../../gen/boxoffice/event/v1/event_pb.js";
import { EventService, type ListEventsRequestSchema } from "../../gen/boxoffice/event/v1/event_service_pb.js";
import {
  EventCancelledSchema,
  EventPublishedSchema,
  EventUpdatedSchema,
} from "../../gen/boxoffice/event/v1/events_pb.js";
import { SectionSchema, type Venue, VenueSchema, VenueView } from "../../gen/boxoffice/event/v1/venue_pb.js";
import { decodeEnvelope, type EventEnvelope } from "../../platform/bus/events.js";
import { connectNats } from "../../platform/bus/nats.js";
import type { Clock } from "../../platform/clock/index.js";
import { sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { demoOrganizerPassword, seedDemo } from "../../scripts/seed.js";
import {
  ACCESSIBLE_SEATS,
  DEMO_EVENT_NAME,
  DEMO_ORGANIZER_EMAIL,
  DEMO_SEAT_COUNT,
  DEMO_VENUE_NAME,
  MISSING_SEATS,
  STALLS,
  STANDING,
} from "../../scripts/seed-data.js";
import { invalid, reason, rejects } from "../support/assert.js";
import { grpcJsUnary } from "../support/grpc-js.js";
import { infraUrls } from "../support/infra.js";
import { startTestProcess } from "../support/process.js";
import { newUsersConfig, type TestUser, Users, usersEnv } from "../support/users.js";

/**
 * Acceptance tests of the event service (venues, events, lifecycle, ListEvents, GetEventLayout,
 * integration events, cache visibility, the `make dev` seed) through the one port of an all-in-one
 * process on the real infrastructure: Connect JSON over HTTP/1.1 for most calls, gRPC (binary,
 * HTTP/2) for the stadium-sized venue, plain @grpc/grpc-js and plain HTTP/JSON for the wire.
 */

type Proc = Awaited<ReturnType<typeof startTestProcess>>;
/** Plain init objects (not messages), so they can be spread and overridden. */
type VenueInit = Exclude<MessageInitShape<typeof VenueSchema>, Venue>;
type SectionInit = MessageInitShape<typeof SectionSchema>;
type EventInit = Exclude<MessageInitShape<typeof EventSchema>, Event>;

const HOUR = 3600_000;
const DAY = 24 * HOUR;

/** The wall clock plus an offset the suite can move forward: time flows, and can jump. */
class ShiftedClock implements Clock {
  #offset = 0;
  now(): number {
    return Date.now() + this.#offset;
  }
  date(): Date {
    return new Date(this.now());
  }
  advance(ms: number): void {
    this.#offset += ms;
  }
}

const ts = (ms: number) => timestampFromMs(ms);
const ms = (t: Timestamp | undefined) => {
  assert.ok(t, "timestamp is set");
  return timestampMs(t);
};
const tag = () => randomBytes(4).toString("hex");

const seats = (labels: string[]) => labels.map((label) => ({ label }));
const reserved = (name: string, rows: Array<[string, string[]]>): SectionInit => ({
  name,
  kind: { case: "reservedSeating", value: { rows: rows.map(([label, s]) => ({ label, seats: seats(s) })) } },
});
const grid = (name: string, rows: number, perRow: number): SectionInit =>
  reserved(
    name,
    Array.from({ length: rows }, (_, r): [string, string[]] => [
      String(r + 1),
      Array.from({ length: perRow }, (_, s) => String(s + 1)),
    ]),
  );
const ga = (name: string, capacity: number): SectionInit => ({
  name,
  kind: { case: "generalAdmission", value: { capacity } },
});
const venueInit = (o: Partial<VenueInit> = {}): VenueInit => ({
  name: `Hall ${tag()}`,
  addressLine: "Rua Augusta 1",
  city: "Lisbon",
  countryCode: "PT",
  timeZone: "Europe/Lisbon",
  sections: [grid("Stalls", 2, 3), ga("Standing", 100)],
  ...o,
});
const countSeats = (v: { sections: Venue["sections"] }) =>
  v.sections.reduce(
    (n, s) => n + (s.kind.case === "reservedSeating" ? s.kind.value.rows.reduce((m, r) => m + r.seats.length, 0) : 0),
    0,
  );
const tiersFor = (v: Venue, amount = 2_500n, currency = "EUR") =>
  v.sections.map((s, i) => ({
    sectionId: s.id,
    price: { currencyCode: currency, amountMinor: amount + BigInt(i) * 100n },
  }));

/** An event 10 days ahead of `at`, 3 hours long, on sale from `at` until it starts, priced for every section. */
function eventInit(v: Venue, at: number, o: Partial<EventInit> = {}): EventInit {
  const start = at + 10 * DAY;
  return {
    venueId: v.id,
    name: `Show ${tag()}`,
    description: "An evening of music.",
    startTime: ts(start),
    endTime: ts(start + 3 * HOUR),
    salesStartTime: ts(at),
    salesEndTime: ts(start),
    maxTicketsPerOrder: 6,
    priceTiers: tiersFor(v),
    ...o,
  };
}

/** Everything the stream of the event service carried, decoded. */
interface BusMessage {
  subject: string;
  size: number;
  envelope: EventEnvelope;
  payload: MessageShape<DescMessage>;
}

/** Reads the `<PREFIX>_EVENT` stream from the start, message by message, as a consumer would see it. */
class EventBus {
  readonly seen: BusMessage[] = [];
  #next = 1;
  readonly #registry = createRegistry(EventPublishedSchema, EventUpdatedSchema, EventCancelledSchema);
  constructor(
    private readonly jsm: JetStreamManager,
    readonly stream: string,
  ) {}

  async poll(): Promise<void> {
    const info = await this.jsm.streams.info(this.stream).catch(() => undefined);
    if (info === undefined) return;
    for (; this.#next <= info.state.last_seq; this.#next++) {
      const m = await this.jsm.streams.getMessage(this.stream, { seq: this.#next }).catch(() => null);
      if (m === null) continue;
      const { envelope, payload } = decodeEnvelope(m.data, this.#registry);
      this.seen.push({ subject: m.subject, size: m.data.length, envelope, payload });
    }
  }

  /** Polls until `find` returns something (the relay publishes shortly after the commit). */
  async waitFor<T>(what: string, find: (seen: BusMessage[]) => T | undefined, timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.poll();
      const found = find(this.seen);
      if (found !== undefined) return found;
      if (Date.now() > deadline) assert.fail(`${what} did not appear on ${this.stream} within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  of<D extends DescMessage>(schema: D, eventId: string): Array<BusMessage & { payload: MessageShape<D> }> {
    return this.seen.filter(
      (m): m is BusMessage & { payload: MessageShape<D> } =>
        isMessage(m.payload, schema) && (m.payload as { eventId?: string }).eventId === eventId,
    );
  }
}

describe("event service through the one port (real MariaDB, Redis, NATS)", function () {
  this.timeout(60_000);
  const clock = new ShiftedClock();
  const cfg = newUsersConfig();
  let proc: Proc;
  let users: Users;
  /** Connect JSON over HTTP/1.1. */
  let events: Client<typeof EventService>;
  /** Connect's gRPC protocol (binary, HTTP/2). */
  let eventsGrpc: Client<typeof EventService>;
  let internal: Client<typeof EventInternalService>;
  let internalGrpc: Client<typeof EventInternalService>;
  let admin: TestUser;
  let customer: TestUser;
  let orgA: TestUser;
  let orgB: TestUser;
  let nc: NatsConnection;
  let bus: EventBus;

  before(async () => {
    proc = await startTestProcess({ echo: false, clock, env: usersEnv(cfg) });
    users = new Users(proc.baseUrl, cfg, clock);
    const json = createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" });
    const binary = createGrpcTransport({ baseUrl: proc.baseUrl });
    events = createClient(EventService, json);
    eventsGrpc = createClient(EventService, binary);
    internal = createClient(EventInternalService, json);
    internalGrpc = createClient(EventInternalService, binary);
    [admin, customer, orgA, orgB] = await Promise.all([
      users.admin(),
      users.customer("customer"),
      users.organizer("org-a"),
      users.organizer("org-b"),
    ]);
    nc = await connectNats(infraUrls().natsUrl, "event-test");
    bus = new EventBus(await jetstreamManager(nc), infraNames(proc.prefix).stream("event"));
  });
  after(async () => {
    await nc?.close();
    await proc?.stop();
  });

  const rid = () => randomUUID();
  async function createVenue(user: TestUser, o: Partial<VenueInit> = {}): Promise<Venue> {
    const { venue } = await events.createVenue({ requestId: rid(), venue: venueInit(o) }, await user.auth());
    assert.ok(venue);
    return venue;
  }
  async function createEvent(user: TestUser, v: Venue, o: Partial<EventInit> = {}): Promise<Event> {
    const { event } = await events.createEvent(
      { requestId: rid(), event: eventInit(v, clock.now(), o) },
      await user.auth(),
    );
    assert.ok(event);
    return event;
  }
  async function publish(user: TestUser, e: Event): Promise<Event> {
    const { event } = await events.publishEvent({ requestId: rid(), eventId: e.id }, await user.auth());
    assert.ok(event);
    return event;
  }
  async function published(user: TestUser, v: Venue, o: Partial<EventInit> = {}): Promise<Event> {
    return publish(user, await createEvent(user, v, o));
  }
  async function update(
    user: TestUser,
    id: string,
    patch: Partial<EventInit>,
    paths: string[],
    expectedRevision = 0n,
  ): Promise<Event> {
    const { event } = await events.updateEvent(
      { requestId: rid(), event: { ...patch, id }, updateMask: { paths }, expectedRevision },
      await user.auth(),
    );
    assert.ok(event);
    return event;
  }
  const updateReq = async (
    user: TestUser | undefined,
    id: string,
    patch: Partial<EventInit>,
    paths: string[],
    expectedRevision = 0n,
  ) =>
    events.updateEvent(
      { requestId: rid(), event: { ...patch, id }, updateMask: { paths }, expectedRevision },
      user ? await user.auth() : {},
    );
  const getEvent = async (id: string, user?: TestUser) =>
    (await events.getEvent({ eventId: id }, user ? await user.auth() : {})).event!;
  const listAll = async (req: MessageInitShape<typeof ListEventsRequestSchema>, opts: CallOptions = {}) => {
    const out: Event[] = [];
    let pageToken = "";
    do {
      const page = await events.listEvents({ ...req, pageToken }, opts);
      out.push(...page.events);
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return out;
  };
  const countVenues = async (organizerId: string) => {
    let n = 0;
    let pageToken = "";
    do {
      const page = await events.listVenues({ organizerId, pageToken });
      n += page.venues.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== "");
    return n;
  };

  describe("venues", () => {
    it("an ORGANIZER creates a venue: ids, capacities and seat_count are assigned by the server, output-only input is ignored", async () => {
      const bogus = uuidv7();
      const { venue } = await events.createVenue(
        {
          requestId: rid(),
          venue: venueInit({
            id: bogus,
            organizerId: orgB.id,
            seatCount: 7,
            createTime: ts(0),
            sections: [
              {
                ...reserved("Block A", [
                  ["A", ["1", "2", "3"]],
                  ["B", ["1", "3"]],
                ]),
                id: "not-an-id",
                capacity: 999,
              },
              { ...ga("Standing", 250), id: bogus, capacity: 1 },
            ],
          }),
        },
        await orgA.auth(),
      );
      assert.ok(venue);
      assert.notEqual(venue.id, bogus);
      assert.match(venue.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, "a UUIDv7");
      assert.equal(venue.organizerId, orgA.id);
      assert.equal(venue.seatCount, 5 + 250);
      assert.ok(venue.createTime && ms(venue.createTime) > Date.now() - DAY, "create_time is the server's");
      assert.deepEqual(
        venue.sections.map((s) => [s.name, s.capacity, s.kind.case]),
        [
          ["Block A", 5, "reservedSeating"],
          ["Standing", 250, "generalAdmission"],
        ],
      );
      const ids = venue.sections.map((s) => s.id);
      assert.ok(
        ids.every((id) => id !== "" && id !== bogus && id !== "not-an-id"),
        "section ids assigned by the server",
      );
      assert.equal(new Set(ids).size, 2);

      const full = (await events.getVenue({ venueId: venue.id })).venue!;
      assert.ok(equals(VenueSchema, full, venue), "GetVenue (default FULL) returns what CreateVenue returned");
      const block = full.sections[0]!.kind;
      assert.equal(block.case, "reservedSeating");
      assert.deepEqual(
        block.value.rows.map((r) => [r.label, r.seats.map((s) => s.label)]),
        [
          ["A", ["1", "2", "3"]],
          ["B", ["1", "3"]],
        ],
        "rows and seats keep their order, gaps stay gaps",
      );
      const basic = (await events.getVenue({ venueId: venue.id, view: VenueView.BASIC })).venue!;
      assert.equal(basic.seatCount, 255);
      assert.deepEqual(
        basic.sections.map((s) => [s.id, s.capacity]),
        venue.sections.map((s) => [s.id, s.capacity]),
      );
      assert.equal(countSeats(basic), 0, "BASIC has no rows");
      assert.equal(basic.sections[1]!.kind.case === "generalAdmission" && basic.sections[1]!.kind.value.capacity, 250);

      const listed = await events.listVenues({ organizerId: orgA.id });
      const mine = listed.venues.find((v) => v.id === venue.id);
      assert.ok(mine, "ListVenues by organizer_id finds it");
      assert.ok(listed.venues.every((v) => v.organizerId === orgA.id));
      assert.equal(countSeats(mine), 0, "ListVenues defaults to BASIC");
      const listedFull = await events.listVenues({ organizerId: orgA.id, view: VenueView.FULL });
      assert.equal(countSeats(listedFull.venues.find((v) => v.id === venue.id)!), 5);
      assert.equal(
        (await events.listVenues({ organizerId: orgB.id })).venues.some((v) => v.id === venue.id),
        false,
      );
      await rejects(events.getVenue({ venueId: uuidv7() }), Code.NotFound, "unknown venue");
      await invalid(events.listVenues({ pageSize: -1 }), "page_size", "negative page_size");
    });

    it("venue validation: every defect is INVALID_ARGUMENT with a snake_case field violation, and nothing is written", async () => {
      const org = await users.organizer("venue-validation");
      const cases: Array<[string, Partial<VenueInit>, string | RegExp]> = [
        ["no name", { name: "" }, "venue.name"],
        ["no address", { addressLine: "" }, "venue.address_line"],
        ["no city", { city: "" }, "venue.city"],
        ["three-letter country", { countryCode: "PRT" }, "venue.country_code"],
        ["digits as country", { countryCode: "P1" }, "venue.country_code"],
        ["not an IANA zone", { timeZone: "Mars/Olympus_Mons" }, "venue.time_zone"],
        ["no sections", { sections: [] }, "venue.sections"],
        ["section without name", { sections: [ga("", 10)] }, "venue.sections[0].name"],
        ["duplicate section names", { sections: [grid("Block", 1, 2), grid("Block", 1, 2)] }, "venue.sections[1].name"],
        [
          "reserved without rows",
          { sections: [ga("Standing", 10), reserved("Block", [])] },
          "venue.sections[1].reserved_seating.rows",
        ],
        [
          "duplicate row labels",
          {
            sections: [
              reserved("Block", [
                ["A", ["1"]],
                ["A", ["1"]],
              ]),
            ],
          },
          "venue.sections[0].reserved_seating.rows[1].label",
        ],
        [
          "empty row label",
          { sections: [reserved("Block", [["", ["1"]]])] },
          "venue.sections[0].reserved_seating.rows[0].label",
        ],
        [
          "row without seats",
          { sections: [reserved("Block", [["A", []]])] },
          "venue.sections[0].reserved_seating.rows[0].seats",
        ],
        [
          "duplicate seat label",
          { sections: [ga("Standing", 10), reserved("Block", [["A", ["1", "2", "3", "2"]]])] },
          "venue.sections[1].reserved_seating.rows[0].seats[3].label",
        ],
        [
          "empty seat label",
          { sections: [reserved("Block", [["A", ["1", ""]]])] },
          "venue.sections[0].reserved_seating.rows[0].seats[1].label",
        ],
        [
          "zero GA capacity",
          { sections: [grid("Block", 1, 1), ga("Standing", 0)] },
          "venue.sections[1].general_admission.capacity",
        ],
        ["negative GA capacity", { sections: [ga("Standing", -5)] }, "venue.sections[0].general_admission.capacity"],
        [
          "GA capacity over 200,000",
          { sections: [ga("Standing", 200_001)] },
          "venue.sections[0].general_admission.capacity",
        ],
        ["section of no kind", { sections: [{ name: "Nothing" }] }, /^venue\.sections\[0\]/],
      ];
      for (const [what, o, field] of cases) {
        await invalid(events.createVenue({ requestId: rid(), venue: venueInit(o) }, await org.auth()), field, what);
      }
      assert.equal(await countVenues(org.id), 0, "no venue was written");
    });
  });

  describe("access", () => {
    it("writes need ORGANIZER or ADMIN (CUSTOMER → PERMISSION_DENIED, no token → UNAUTHENTICATED); reads are public", async () => {
      const v = await createVenue(orgA);
      const draft = await createEvent(orgA, v);
      const live = await published(orgA, v);
      const writes: Array<[string, (o: CallOptions) => Promise<unknown>]> = [
        ["CreateVenue", (o) => events.createVenue({ requestId: rid(), venue: venueInit() }, o)],
        ["CreateEvent", (o) => events.createEvent({ requestId: rid(), event: eventInit(v, clock.now()) }, o)],
        [
          "UpdateEvent",
          (o) =>
            events.updateEvent(
              { requestId: rid(), event: { id: draft.id, name: "Mine now" }, updateMask: { paths: ["name"] } },
              o,
            ),
        ],
        ["PublishEvent", (o) => events.publishEvent({ requestId: rid(), eventId: draft.id }, o)],
        ["CancelEvent", (o) => events.cancelEvent({ requestId: rid(), eventId: live.id, reason: "because" }, o)],
      ];
      for (const [name, call] of writes) {
        await rejects(call(await customer.auth()), Code.PermissionDenied, `${name} as a CUSTOMER`);
        await rejects(call({}), Code.Unauthenticated, `${name} without a token`);
      }
      assert.equal((await getEvent(draft.id, orgA)).revision, 1n, "the draft is untouched");
      assert.equal((await getEvent(live.id)).state, EventState.PUBLISHED, "the published event is untouched");

      assert.equal((await events.getVenue({ venueId: v.id })).venue?.id, v.id, "GetVenue without a token");
      assert.ok(
        (await events.listVenues({ organizerId: orgA.id })).venues.some((x) => x.id === v.id),
        "ListVenues without a token",
      );
      assert.equal((await getEvent(live.id)).id, live.id, "GetEvent without a token");
      assert.ok(
        (await listAll({ organizerId: orgA.id })).some((e) => e.id === live.id),
        "ListEvents without a token",
      );
    });

    it("an organiser changes only their own events (another organiser → PERMISSION_DENIED); an ADMIN may change any", async () => {
      const v = await createVenue(orgA);
      const draft = await createEvent(orgA, v);
      const live = await published(orgA, v);
      const asB = await orgB.auth();
      await rejects(
        events.createEvent({ requestId: rid(), event: eventInit(v, clock.now()) }, asB),
        Code.PermissionDenied,
        "B creates an event at A's venue",
      );
      for (const e of [draft, live]) {
        const which = e === draft ? "draft" : "published";
        await rejects(
          events.updateEvent(
            { requestId: rid(), event: { id: e.id, name: "Hijacked" }, updateMask: { paths: ["name"] } },
            asB,
          ),
          Code.PermissionDenied,
          `B updates A's ${which} event`,
        );
        await rejects(
          events.cancelEvent({ requestId: rid(), eventId: e.id, reason: "mine" }, asB),
          Code.PermissionDenied,
          `B cancels A's ${which} event`,
        );
      }
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: draft.id }, asB),
        Code.PermissionDenied,
        "B publishes A's draft",
      );
      const d = await getEvent(draft.id, orgA);
      assert.equal(d.state, EventState.DRAFT);
      assert.equal(d.revision, draft.revision, "nothing changed");
      assert.equal((await getEvent(live.id)).revision, live.revision, "nothing changed");

      // the admin: any venue, any event; the event belongs to the venue's owner
      const byAdmin = (
        await events.createEvent({ requestId: rid(), event: eventInit(v, clock.now()) }, await admin.auth())
      ).event!;
      assert.equal(byAdmin.organizerId, orgA.id, "organizer_id is the owner of the venue");
      assert.equal((await getEvent(byAdmin.id, orgA)).id, byAdmin.id, "and its organiser sees the draft");
      const renamed = await update(admin, draft.id, { name: "Renamed by admin" }, ["name"]);
      assert.equal(renamed.name, "Renamed by admin");
      assert.equal((await publish(admin, draft)).state, EventState.PUBLISHED);
      const cancelled = (
        await events.cancelEvent(
          { requestId: rid(), eventId: live.id, reason: "Called off by the admin" },
          await admin.auth(),
        )
      ).event!;
      assert.equal(cancelled.state, EventState.CANCELLED);
    });

    it("a DRAFT is visible only to its organiser and admins (NOT_FOUND for others), and public right after publishing", async () => {
      const v = await createVenue(orgA);
      const draft = await createEvent(orgA, v);
      assert.equal((await getEvent(draft.id, orgA)).state, EventState.DRAFT);
      assert.equal((await getEvent(draft.id, admin)).state, EventState.DRAFT);
      await rejects(events.getEvent({ eventId: draft.id }, await orgB.auth()), Code.NotFound, "another organiser");
      await rejects(events.getEvent({ eventId: draft.id }, await customer.auth()), Code.NotFound, "a customer");
      for (let i = 0; i < 3; i++) await rejects(events.getEvent({ eventId: draft.id }), Code.NotFound, "anonymous");
      await rejects(events.getEvent({ eventId: uuidv7() }), Code.NotFound, "an unknown id");
      await rejects(
        events.getEvent({ eventId: uuidv7() }, await admin.auth()),
        Code.NotFound,
        "an unknown id, even for an admin",
      );
      const pub = await publish(orgA, draft);
      const seen = await getEvent(draft.id);
      assert.equal(seen.state, EventState.PUBLISHED, "no stale NOT_FOUND once published");
      assert.equal(seen.revision, pub.revision);
      assert.equal((await getEvent(draft.id, customer)).revision, pub.revision);
    });

    it("a cancelled DRAFT stays visible only to its organiser and admins (GetEvent, ListEvents), and nothing is announced for it", async () => {
      const org = await users.organizer("cancelled-draft");
      const v = await createVenue(org, { city: `Draftville ${tag()}` });
      const draft = await createEvent(org, v);
      const { event: cancelled } = await events.cancelEvent(
        { requestId: rid(), eventId: draft.id, reason: "Never mind" },
        await org.auth(),
      );
      assert.equal(cancelled?.state, EventState.CANCELLED);
      assert.equal((await getEvent(draft.id, org)).state, EventState.CANCELLED, "its organiser sees it");
      assert.equal((await getEvent(draft.id, admin)).state, EventState.CANCELLED, "an admin sees it");
      await rejects(events.getEvent({ eventId: draft.id }), Code.NotFound, "anonymous");
      await rejects(events.getEvent({ eventId: draft.id }, await customer.auth()), Code.NotFound, "a customer");
      await rejects(events.getEvent({ eventId: draft.id }, await orgB.auth()), Code.NotFound, "another organiser");

      // A published-then-cancelled event in the same city stays public, as before.
      const pub = await published(org, v);
      await events.cancelEvent({ requestId: rid(), eventId: pub.id, reason: "Storm" }, await org.auth());
      const ids = async (user?: TestUser, organizerId = "") =>
        (
          await listAll({ states: [EventState.CANCELLED], city: v.city, organizerId }, user ? await user.auth() : {})
        ).map((e) => e.id);
      assert.deepEqual(await ids(), [pub.id], "anonymous: only the one that was public");
      assert.deepEqual(await ids(customer), [pub.id], "a customer: the same");
      assert.deepEqual(await ids(orgB), [pub.id], "another organiser: the same");
      assert.deepEqual(await ids(orgB, org.id), [pub.id], "another organiser filtering by its owner: the same");
      assert.deepEqual((await ids(org)).sort(), [draft.id, pub.id].sort(), "its organiser: both");
      assert.deepEqual((await ids(admin)).sort(), [draft.id, pub.id].sort(), "an admin: both");

      // The relay publishes outbox rows in order: once the later cancellation is on the bus, an
      // EventCancelled for the draft would be there too.
      await bus.waitFor("EventCancelled", () => bus.of(EventCancelledSchema, pub.id)[0]);
      await bus.poll();
      assert.deepEqual(bus.of(EventCancelledSchema, draft.id), [], "no EventCancelled for a never-published draft");
      assert.deepEqual(
        bus.seen.filter((m) => (m.payload as { eventId?: string }).eventId === draft.id),
        [],
        "nothing at all on the bus for it",
      );
      const ticket = await users.serviceToken("ticket");
      await rejects(
        internal.getEventLayout({ eventId: draft.id }, { headers: { authorization: `Bearer ${ticket}` } }),
        Code.FailedPrecondition,
        "a never-published event has no layout",
      );
    });
  });

  describe("events", () => {
    let venue: Venue;
    before(async () => {
      venue = await createVenue(orgA);
    });

    it("CreateEvent makes a DRAFT at revision 1 and layout_version 1, ignoring output-only fields; 0 tickets per order means 10", async () => {
      const bogus = uuidv7();
      const at = clock.now();
      const { event } = await events.createEvent(
        {
          requestId: rid(),
          event: eventInit(venue, at, {
            id: bogus,
            organizerId: orgB.id,
            state: EventState.PUBLISHED,
            revision: 42n,
            layoutVersion: 9n,
            city: "Nowhere",
            timeZone: "Asia/Tokyo",
            publishTime: ts(at),
            cancelReason: "no",
            maxTicketsPerOrder: 0,
          }),
        },
        await orgA.auth(),
      );
      assert.ok(event);
      assert.notEqual(event.id, bogus);
      assert.equal(event.organizerId, orgA.id);
      assert.equal(event.venueId, venue.id);
      assert.equal(event.state, EventState.DRAFT);
      assert.equal(event.revision, 1n);
      assert.equal(event.layoutVersion, 1n);
      assert.equal(event.city, "Lisbon", "copied from the venue");
      assert.equal(event.timeZone, "Europe/Lisbon", "copied from the venue");
      assert.equal(event.publishTime, undefined);
      assert.equal(event.cancelReason, "");
      assert.equal(event.maxTicketsPerOrder, 10);
      assert.ok(event.createTime && event.updateTime);
      assert.equal(ms(event.startTime), at + 10 * DAY);
      assert.deepEqual(
        event.priceTiers.map((p) => [p.sectionId, p.price?.currencyCode, p.price?.amountMinor]),
        venue.sections.map((s, i) => [s.id, "EUR", 2_500n + BigInt(i) * 100n]),
      );
      assert.ok(
        equals(EventSchema, await getEvent(event.id, orgA), event),
        "GetEvent returns what CreateEvent returned",
      );
      for (const n of [1, 50])
        assert.equal((await createEvent(orgA, venue, { maxTicketsPerOrder: n })).maxTicketsPerOrder, n);
      assert.equal(event.maxTicketsPerBuyer, 0, "no per-buyer cap set: 0 (one order's worth)");
      const capped = await createEvent(orgA, venue, { maxTicketsPerBuyer: 200 });
      assert.equal(capped.maxTicketsPerBuyer, 200);
      assert.equal((await getEvent(capped.id, orgA)).maxTicketsPerBuyer, 200, "stored");
      const recapped = await update(orgA, capped.id, { maxTicketsPerBuyer: 12 }, ["max_tickets_per_buyer"]);
      assert.equal(recapped.maxTicketsPerBuyer, 12, "a draft's per-buyer cap is updatable");
      assert.equal(recapped.layoutVersion, capped.layoutVersion + 1n, "it is part of the layout");
      const bare = await createEvent(orgA, venue, {
        priceTiers: [],
        salesStartTime: undefined,
        salesEndTime: undefined,
        description: "",
      });
      assert.equal(bare.state, EventState.DRAFT, "prices and the sales window may come later");
    });

    it("event validation: INVALID_ARGUMENT with field violations; unknown venue NOT_FOUND; another organiser's venue PERMISSION_DENIED", async () => {
      const org = await users.organizer("event-validation");
      const v = await createVenue(org);
      const at = clock.now();
      const start = at + 10 * DAY;
      const [s0, s1] = v.sections as [Venue["sections"][number], Venue["sections"][number]];
      const eur = (amountMinor: bigint, currencyCode = "EUR") => ({ currencyCode, amountMinor });
      const cases: Array<[string, Partial<EventInit>, string | RegExp]> = [
        ["no name", { name: "" }, "event.name"],
        ["name over 200 characters", { name: "x".repeat(201) }, "event.name"],
        ["no venue", { venueId: "" }, "event.venue_id"],
        ["no start_time", { startTime: undefined }, "event.start_time"],
        ["no end_time", { endTime: undefined }, "event.end_time"],
        ["start == end", { startTime: ts(start), endTime: ts(start) }, /^event\.(start|end)_time$/],
        [
          "end before start",
          { startTime: ts(start), endTime: ts(start - HOUR), salesEndTime: ts(start - 2 * HOUR) },
          /^event\.(start|end)_time$/,
        ],
        ["sales end after the event", { salesEndTime: ts(start + 4 * HOUR) }, "event.sales_end_time"],
        [
          "sales start == sales end",
          { salesStartTime: ts(at + DAY), salesEndTime: ts(at + DAY) },
          /^event\.sales_(start|end)_time$/,
        ],
        [
          "sales start after sales end",
          { salesStartTime: ts(at + 2 * DAY), salesEndTime: ts(at + DAY) },
          /^event\.sales_(start|end)_time$/,
        ],
        [
          "unknown section",
          {
            priceTiers: [
              { sectionId: s0.id, price: eur(100n) },
              { sectionId: uuidv7(), price: eur(100n) },
            ],
          },
          "event.price_tiers[1].section_id",
        ],
        [
          "negative price",
          {
            priceTiers: [
              { sectionId: s0.id, price: eur(-1n) },
              { sectionId: s1.id, price: eur(100n) },
            ],
          },
          "event.price_tiers[0].price.amount_minor",
        ],
        [
          "unknown currency",
          {
            priceTiers: [
              { sectionId: s0.id, price: eur(100n, "XXY") },
              { sectionId: s1.id, price: eur(100n, "XXY") },
            ],
          },
          "event.price_tiers[0].price.currency_code",
        ],
        [
          "mixed currencies",
          {
            priceTiers: [
              { sectionId: s0.id, price: eur(100n) },
              { sectionId: s1.id, price: eur(100n, "USD") },
            ],
          },
          /^event\.price_tiers/,
        ],
        [
          "two tiers for one section",
          {
            priceTiers: [
              { sectionId: s0.id, price: eur(100n) },
              { sectionId: s0.id, price: eur(200n) },
            ],
          },
          /^event\.price_tiers\[1\]/,
        ],
        ["51 tickets per order", { maxTicketsPerOrder: 51 }, "event.max_tickets_per_order"],
        ["negative tickets per order", { maxTicketsPerOrder: -1 }, "event.max_tickets_per_order"],
        ["201 tickets per buyer", { maxTicketsPerBuyer: 201 }, "event.max_tickets_per_buyer"],
        ["negative tickets per buyer", { maxTicketsPerBuyer: -1 }, "event.max_tickets_per_buyer"],
      ];
      for (const [what, o, field] of cases) {
        await invalid(
          events.createEvent({ requestId: rid(), event: eventInit(v, at, o) }, await org.auth()),
          field,
          what,
        );
      }
      await rejects(
        events.createEvent({ requestId: rid(), event: eventInit(v, at, { venueId: uuidv7() }) }, await org.auth()),
        Code.NotFound,
        "unknown venue",
      );
      await rejects(
        events.createEvent({ requestId: rid(), event: eventInit(venue, at) }, await org.auth()),
        Code.PermissionDenied,
        "another organiser's venue",
      );
      const all = await listAll(
        { organizerId: org.id, states: [EventState.DRAFT, EventState.PUBLISHED, EventState.CANCELLED] },
        await org.auth(),
      );
      assert.deepEqual(all, [], "no event was written");
    });

    it("UpdateEvent: a non-empty mask of known snake_case paths, only masked fields change, every update bumps the revision, stale expected_revision is ABORTED", async () => {
      const e = await createEvent(orgA, venue, { name: "Original", description: "Original text" });
      await invalid(updateReq(orgA, e.id, { name: "X" }, []), "update_mask", "empty mask");
      await invalid(updateReq(orgA, e.id, { name: "X" }, ["name", "nonexistent_field"]), "update_mask", "unknown path");
      await invalid(
        updateReq(orgA, e.id, { state: EventState.PUBLISHED }, ["state"]),
        "update_mask",
        "an output-only path",
      );
      await invalid(
        updateReq(orgA, e.id, { organizerId: orgB.id }, ["organizer_id"]),
        "update_mask",
        "another output-only path",
      );
      await rejects(updateReq(orgA, uuidv7(), { name: "X" }, ["name"]), Code.NotFound, "unknown event");
      assert.equal((await getEvent(e.id, orgA)).revision, 1n, "rejected updates change nothing");

      const u1 = await update(orgA, e.id, { name: "", description: "New text" }, ["description"]);
      assert.equal(u1.description, "New text");
      assert.equal(u1.name, "Original", "name is not in the mask: neither changed nor validated");
      assert.equal(u1.revision, 2n);
      assert.equal(u1.layoutVersion, 1n, "description is not a layout field");

      await rejects(
        updateReq(orgA, e.id, { name: "Stale" }, ["name"], 1n),
        Code.Aborted,
        "expected_revision 1 after a change",
      );
      const u2 = await update(orgA, e.id, { name: "Renamed" }, ["name"], 2n);
      assert.equal(u2.name, "Renamed");
      assert.equal(u2.revision, 3n);

      const start = ms(e.startTime) + DAY;
      const u3 = await update(
        orgA,
        e.id,
        { startTime: ts(start), endTime: ts(start + 2 * HOUR), salesEndTime: ts(start) },
        ["start_time", "end_time", "sales_end_time"],
      );
      assert.equal(ms(u3.startTime), start);
      assert.equal(ms(u3.endTime), start + 2 * HOUR);
      assert.equal(u3.revision, 4n);

      const u4 = await update(orgA, e.id, { priceTiers: tiersFor(venue, 9_900n), maxTicketsPerOrder: 4 }, [
        "price_tiers",
        "max_tickets_per_order",
      ]);
      assert.equal(u4.revision, 5n);
      assert.ok(u4.layoutVersion > u3.layoutVersion, "a layout change while DRAFT bumps layout_version");
      assert.equal(u4.priceTiers[0]?.price?.amountMinor, 9_900n);
      assert.equal(u4.maxTicketsPerOrder, 4);

      const porto = await createVenue(orgA, { city: "Porto", timeZone: "Europe/Lisbon", sections: [ga("Floor", 300)] });
      const moved = await update(orgA, e.id, { venueId: porto.id, priceTiers: tiersFor(porto, 1_000n) }, [
        "venue_id",
        "price_tiers",
      ]);
      assert.equal(moved.venueId, porto.id, "venue_id may change while DRAFT");
      assert.equal(moved.city, "Porto", "city follows the venue");
      assert.equal(moved.revision, 6n);
      const foreign = await createVenue(orgB);
      await rejects(
        updateReq(orgA, e.id, { venueId: foreign.id, priceTiers: tiersFor(foreign) }, ["venue_id", "price_tiers"]),
        Code.PermissionDenied,
        "moving to another organiser's venue",
      );

      await invalid(
        updateReq(
          orgA,
          e.id,
          { priceTiers: [{ sectionId: porto.sections[0]!.id, price: { currencyCode: "EUR", amountMinor: -5n } }] },
          ["price_tiers"],
        ),
        "event.price_tiers[0].price.amount_minor",
        "negative price by update",
      );
      await invalid(
        updateReq(
          orgA,
          e.id,
          { priceTiers: [{ sectionId: venue.sections[0]!.id, price: { currencyCode: "EUR", amountMinor: 5n } }] },
          ["price_tiers"],
        ),
        "event.price_tiers[0].section_id",
        "a section of the old venue",
      );
      await invalid(
        updateReq(orgA, e.id, { endTime: ts(ms(moved.startTime) - HOUR) }, ["end_time"]),
        /^event\.(start|end)_time$/,
        "end before start by update",
      );
      await invalid(
        updateReq(orgA, e.id, { salesEndTime: ts(ms(moved.endTime) + HOUR) }, ["sales_end_time"]),
        "event.sales_end_time",
        "sales after the event by update",
      );
      await invalid(
        updateReq(orgA, e.id, { maxTicketsPerOrder: 51 }, ["max_tickets_per_order"]),
        "event.max_tickets_per_order",
        "51 tickets by update",
      );
      await invalid(updateReq(orgA, e.id, { name: "" }, ["name"]), "event.name", "empty name by update");
      const after = await getEvent(e.id, orgA);
      assert.equal(after.revision, 6n, "invalid updates change nothing");
      assert.ok(equals(EventSchema, after, moved));
    });

    it("PublishEvent: needs a price tier for every section and a sales window (FAILED_PRECONDITION); DRAFT → PUBLISHED with publish_time; EventPublished on the bus by reference", async () => {
      const noPrices = await createEvent(orgA, venue, { priceTiers: [] });
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: noPrices.id }, await orgA.auth()),
        Code.FailedPrecondition,
        "no price tiers",
      );
      const half = await createEvent(orgA, venue, { priceTiers: tiersFor(venue).slice(0, 1) });
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: half.id }, await orgA.auth()),
        Code.FailedPrecondition,
        "a section without a price tier",
      );
      const noWindow = await createEvent(orgA, venue, { salesStartTime: undefined, salesEndTime: undefined });
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: noWindow.id }, await orgA.auth()),
        Code.FailedPrecondition,
        "no sales window",
      );
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: uuidv7() }, await orgA.auth()),
        Code.NotFound,
        "unknown event",
      );
      assert.equal((await getEvent(half.id, orgA)).state, EventState.DRAFT, "still a draft");

      const fixed = await update(orgA, half.id, { priceTiers: tiersFor(venue) }, ["price_tiers"]);
      const before = clock.now();
      const pub = await publish(orgA, fixed);
      assert.equal(pub.state, EventState.PUBLISHED);
      assert.equal(pub.revision, fixed.revision + 1n, "publishing is a change");
      assert.equal(pub.layoutVersion, fixed.layoutVersion, "publishing freezes the layout as it is");
      assert.ok(
        pub.publishTime && ms(pub.publishTime) >= before - 1_000 && ms(pub.publishTime) <= clock.now() + 1_000,
        "publish_time is now",
      );
      assert.ok(equals(EventSchema, await getEvent(pub.id), pub), "GetEvent (anonymous) shows the published event");

      const again = await rejects(
        events.publishEvent({ requestId: rid(), eventId: pub.id }, await orgA.auth()),
        Code.FailedPrecondition,
        "publishing twice",
      );
      assert.ok(reason(again), "with an ErrorInfo reason");

      const msg = await bus.waitFor("EventPublished", () => bus.of(EventPublishedSchema, pub.id)[0]);
      assert.equal(msg.subject, infraNames(proc.prefix).subject("event", "event_published"));
      assert.equal(msg.envelope.eventType, "boxoffice.event.v1.EventPublished");
      assert.equal(msg.envelope.producer, "event");
      assert.equal(msg.envelope.aggregateType, "event");
      assert.equal(msg.envelope.aggregateId, pub.id);
      assert.equal(msg.envelope.aggregateVersion, BigInt(pub.revision), "aggregate_version is the revision");
      assert.equal(msg.payload.organizerId, orgA.id);
      assert.equal(msg.payload.layoutVersion, pub.layoutVersion);
      assert.equal(ms(msg.payload.publishTime), ms(pub.publishTime));
      assert.equal(ms(msg.payload.salesStartTime), ms(pub.salesStartTime));
      assert.equal(ms(msg.payload.salesEndTime), ms(pub.salesEndTime));
      assert.ok(msg.size < 2_048, `the layout travels by reference (${msg.size} bytes)`);
    });

    it("after publishing: name, description and times still change (revision bumps, layout_version does not, EventUpdated on the bus); venue_id is LAYOUT_FROZEN", async () => {
      const pub = await published(orgA, venue, { name: "Before", description: "Same text" });
      const u1 = await update(orgA, pub.id, { name: "After", description: "Same text" }, ["name", "description"]);
      assert.equal(u1.name, "After");
      assert.equal(u1.state, EventState.PUBLISHED);
      assert.equal(u1.revision, pub.revision + 1n);
      assert.equal(u1.layoutVersion, pub.layoutVersion);
      const m1 = await bus.waitFor("EventUpdated (name)", () =>
        bus.of(EventUpdatedSchema, pub.id).find((m) => m.payload.revision === u1.revision),
      );
      assert.deepEqual(m1.payload.changedFields?.paths, ["name"], "only the fields whose value changed");
      assert.equal(m1.payload.name, "After");
      assert.equal(m1.envelope.aggregateVersion, BigInt(u1.revision));
      assert.equal(m1.subject, infraNames(proc.prefix).subject("event", "event_updated"));

      const start = ms(pub.startTime) + 2 * DAY;
      const u2 = await update(orgA, pub.id, { startTime: ts(start), endTime: ts(start + 3 * HOUR) }, [
        "start_time",
        "end_time",
      ]);
      assert.equal(ms(u2.startTime), start, "postponing is not a layout change");
      assert.equal(u2.revision, u1.revision + 1n);
      assert.equal(u2.layoutVersion, pub.layoutVersion);
      const m2 = await bus.waitFor("EventUpdated (times)", () =>
        bus.of(EventUpdatedSchema, pub.id).find((m) => m.payload.revision === u2.revision),
      );
      assert.deepEqual([...(m2.payload.changedFields?.paths ?? [])].sort(), ["end_time", "start_time"]);
      assert.equal(ms(m2.payload.startTime), start);
      assert.equal(ms(m2.payload.endTime), start + 3 * HOUR);

      const other = await createVenue(orgA);
      const frozen = await rejects(
        updateReq(orgA, pub.id, { venueId: other.id }, ["venue_id"]),
        Code.FailedPrecondition,
        "changing venue_id after publishing",
      );
      assert.equal(reason(frozen), "LAYOUT_FROZEN");
      const withTiers = await rejects(
        updateReq(orgA, pub.id, { venueId: other.id, priceTiers: tiersFor(other) }, ["venue_id", "price_tiers"]),
        Code.FailedPrecondition,
        "changing venue_id (with matching price tiers) after publishing",
      );
      assert.equal(reason(withTiers), "LAYOUT_FROZEN");
      const now = await getEvent(pub.id);
      assert.equal(now.venueId, venue.id);
      assert.equal(now.revision, u2.revision);
    });

    it("after publishing, the ticket limit and sales window are frozen, while prices may change (a new revision, not a new layout)", async () => {
      const pub = await published(orgA, venue);
      const attempts: Array<[string, Partial<EventInit>]> = [
        ["max_tickets_per_order", { maxTicketsPerOrder: 2 }],
        ["max_tickets_per_buyer", { maxTicketsPerBuyer: 20 }],
        ["sales_start_time", { salesStartTime: ts(clock.now() + HOUR) }],
        ["sales_end_time", { salesEndTime: ts(ms(pub.salesEndTime) - HOUR) }],
      ];
      for (const [path, patch] of attempts) {
        await rejects(
          updateReq(orgA, pub.id, patch, [path]),
          Code.FailedPrecondition,
          `changing ${path} after publishing`,
        );
      }
      assert.ok(equals(EventSchema, await getEvent(pub.id), pub), "nothing changed");
      const { event: repriced } = await updateReq(orgA, pub.id, { priceTiers: tiersFor(venue, 7_700n) }, [
        "price_tiers",
      ]);
      assert.ok(repriced);
      assert.equal(repriced.revision, pub.revision + 1n);
      assert.equal(repriced.layoutVersion, pub.layoutVersion, "prices are not part of the frozen layout");
      assert.deepEqual(
        repriced.priceTiers.map((t) => [t.sectionId, t.price?.amountMinor]),
        tiersFor(venue, 7_700n).map((t) => [t.sectionId, t.price.amountMinor]),
      );
      const msg = await bus.waitFor("EventUpdated", () =>
        bus.of(EventUpdatedSchema, pub.id).find((m) => m.payload.revision === repriced.revision),
      );
      assert.deepEqual(msg.payload.changedFields?.paths, ["price_tiers"]);
    });

    it("CancelEvent: needs a reason; PUBLISHED or DRAFT → CANCELLED with reason and time; EventCancelled; a cancelled event cannot be cancelled, updated or published", async () => {
      const pub = await published(orgA, venue);
      await invalid(
        events.cancelEvent({ requestId: rid(), eventId: pub.id, reason: "" }, await orgA.auth()),
        "reason",
        "no reason",
      );
      await rejects(
        events.cancelEvent({ requestId: rid(), eventId: uuidv7(), reason: "x" }, await orgA.auth()),
        Code.NotFound,
        "unknown event",
      );
      const before = clock.now();
      const { event: c } = await events.cancelEvent(
        { requestId: rid(), eventId: pub.id, reason: "The band is ill" },
        await orgA.auth(),
      );
      assert.ok(c);
      assert.equal(c.state, EventState.CANCELLED);
      assert.equal(c.cancelReason, "The band is ill");
      assert.ok(ms(c.cancelTime) >= before - 1_000);
      assert.equal(c.revision, pub.revision + 1n);
      const seen = await getEvent(pub.id);
      assert.equal(seen.state, EventState.CANCELLED, "GetEvent shows it at once");
      assert.equal(seen.revision, c.revision);

      const msg = await bus.waitFor("EventCancelled", () => bus.of(EventCancelledSchema, pub.id)[0]);
      assert.equal(msg.subject, infraNames(proc.prefix).subject("event", "event_cancelled"));
      assert.equal(msg.payload.reason, "The band is ill");
      assert.equal(msg.payload.name, pub.name);
      assert.equal(ms(msg.payload.startTime), ms(pub.startTime));
      assert.equal(msg.envelope.aggregateVersion, BigInt(c.revision));

      await rejects(
        events.cancelEvent({ requestId: rid(), eventId: pub.id, reason: "again" }, await orgA.auth()),
        Code.FailedPrecondition,
        "cancelling twice",
      );
      await rejects(
        updateReq(orgA, pub.id, { name: "Zombie" }, ["name"]),
        Code.FailedPrecondition,
        "updating a cancelled event",
      );
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: pub.id }, await orgA.auth()),
        Code.FailedPrecondition,
        "publishing a cancelled event",
      );
      assert.equal((await getEvent(pub.id)).revision, c.revision, "nothing changed");

      const draft = await createEvent(orgA, venue);
      const { event: cd } = await events.cancelEvent(
        { requestId: rid(), eventId: draft.id, reason: "Never mind" },
        await orgA.auth(),
      );
      assert.equal(cd?.state, EventState.CANCELLED, "a draft can be cancelled");
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: draft.id }, await orgA.auth()),
        Code.FailedPrecondition,
        "publishing a cancelled draft",
      );
    });

    it("request_id on every mutating RPC: a repeat replays the first response with no second effect; the same id with another body is FAILED_PRECONDITION", async () => {
      const org = await users.organizer("idempotency");
      const as = await org.auth();

      const vReq = { requestId: rid(), venue: venueInit() };
      const v1 = (await events.createVenue(vReq, as)).venue!;
      const v2 = (await events.createVenue(vReq, as)).venue!;
      assert.ok(equals(VenueSchema, v1, v2), "CreateVenue replayed");
      await rejects(
        events.createVenue({ ...vReq, venue: venueInit({ name: "Another hall" }) }, as),
        Code.FailedPrecondition,
        "CreateVenue: same id, other body",
      );
      assert.equal(await countVenues(org.id), 1, "one venue");

      const eReq = { requestId: rid(), event: eventInit(v1, clock.now()) };
      const e1 = (await events.createEvent(eReq, as)).event!;
      const e2 = (await events.createEvent(eReq, as)).event!;
      assert.ok(equals(EventSchema, e1, e2), "CreateEvent replayed");
      await rejects(
        events.createEvent({ ...eReq, event: { ...eReq.event, name: "Other" } }, as),
        Code.FailedPrecondition,
        "CreateEvent: same id, other body",
      );
      const concurrentReq = { requestId: rid(), event: eventInit(v1, clock.now(), { name: "Concurrent" }) };
      const many = await Promise.all(Array.from({ length: 10 }, () => events.createEvent(concurrentReq, as)));
      assert.equal(new Set(many.map((r) => r.event?.id)).size, 1, "10 concurrent repeats make one event");
      const drafts = await listAll({ organizerId: org.id, states: [EventState.DRAFT] }, as);
      assert.equal(drafts.length, 2, "two events in all");

      const uReq = {
        requestId: rid(),
        event: { id: e1.id, name: "Renamed once" },
        updateMask: { paths: ["name"] },
        expectedRevision: 1n,
      };
      const u1 = (await events.updateEvent(uReq, as)).event!;
      const u2 = (await events.updateEvent(uReq, as)).event!;
      assert.ok(equals(EventSchema, u1, u2), "UpdateEvent replayed, even though expected_revision is now stale");
      assert.equal((await getEvent(e1.id, org)).revision, 2n, "one update, not two");
      await rejects(
        events.updateEvent({ ...uReq, event: { id: e1.id, name: "Renamed twice" } }, as),
        Code.FailedPrecondition,
        "UpdateEvent: same id, other body",
      );

      const pReq = { requestId: rid(), eventId: e1.id };
      const p1 = (await events.publishEvent(pReq, as)).event!;
      const p2 = (await events.publishEvent(pReq, as)).event!;
      assert.ok(equals(EventSchema, p1, p2), "PublishEvent replayed (not FAILED_PRECONDITION)");
      await rejects(
        events.publishEvent({ ...pReq, eventId: many[0]!.event!.id }, as),
        Code.FailedPrecondition,
        "PublishEvent: same id, other event",
      );
      assert.equal((await getEvent(many[0]!.event!.id, org)).state, EventState.DRAFT, "the other event stayed a draft");

      const cReq = { requestId: rid(), eventId: e1.id, reason: "Rain" };
      const c1 = (await events.cancelEvent(cReq, as)).event!;
      const c2 = (await events.cancelEvent(cReq, as)).event!;
      assert.ok(equals(EventSchema, c1, c2), "CancelEvent replayed (not FAILED_PRECONDITION)");
      await rejects(
        events.cancelEvent({ ...cReq, reason: "Snow" }, as),
        Code.FailedPrecondition,
        "CancelEvent: same id, other body",
      );
      assert.equal((await getEvent(e1.id)).revision, c1.revision);

      await bus.waitFor("EventCancelled after the replays", () => bus.of(EventCancelledSchema, e1.id)[0]);
      await sleep(1_500);
      await bus.poll();
      assert.equal(bus.of(EventPublishedSchema, e1.id).length, 1, "one EventPublished");
      assert.equal(bus.of(EventCancelledSchema, e1.id).length, 1, "one EventCancelled");
      assert.equal(bus.of(EventUpdatedSchema, e1.id).length <= 1, true, "at most one EventUpdated (the draft rename)");
    });
  });

  describe("ListEvents", () => {
    let org: TestUser;
    let lisbon: Venue;
    let porto: Venue;
    const word = `zq${tag()}`;
    /** The seven PUBLISHED events in the order ListEvents must return them. */
    let ordered: Event[];
    let draft: Event;
    let cancelled: Event;
    let base: number;

    before(async () => {
      org = await users.organizer("lister");
      lisbon = await createVenue(org, { city: "Lisbon" });
      porto = await createVenue(org, { city: "Porto", sections: [ga("Floor", 1000)] });
      base = clock.now() + 20 * DAY;
      // created out of order; two share a start time (then id decides)
      const specs: Array<[string, Venue, number]> = [
        [`Opera ${word}`, porto, 5],
        [`Jazz Evening ${word}`, lisbon, 1],
        [`Pop ${word}`, porto, 7],
        [`Folk ${word}`, lisbon, 3],
        [`Rock Night ${word}`, porto, 2],
        [`Rock and Jazz ${word}`, lisbon, 6],
        [`jazz brunch ${word}`, lisbon, 3],
      ];
      const made: Event[] = [];
      for (const [name, v, day] of specs) {
        const start = base + day * DAY;
        made.push(
          await published(org, v, {
            name,
            description: "An evening out.",
            startTime: ts(start),
            endTime: ts(start + 3 * HOUR),
            salesEndTime: ts(start),
          }),
        );
      }
      ordered = [...made].sort((a, b) => ms(a.startTime) - ms(b.startTime) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      draft = await createEvent(org, lisbon, {
        name: `Jazz draft ${word}`,
        startTime: ts(base + 4 * DAY),
        endTime: ts(base + 4 * DAY + HOUR),
        salesEndTime: ts(base + 4 * DAY),
      });
      const toCancel = await published(org, lisbon, {
        name: `Jazz cancelled ${word}`,
        startTime: ts(base + 4 * DAY),
        endTime: ts(base + 4 * DAY + HOUR),
        salesEndTime: ts(base + 4 * DAY),
      });
      cancelled = (
        await events.cancelEvent({ requestId: rid(), eventId: toCancel.id, reason: "Sorry" }, await org.auth())
      ).event!;
    });
    const names = (es: Event[]) => es.map((e) => e.name);
    const pick = (...days: number[]) =>
      ordered.filter((e) => days.includes(Math.round((ms(e.startTime) - base) / DAY)));

    it("is public and by default returns the PUBLISHED events, ordered by start_time then id; seven events by threes come back once each, in order", async () => {
      const first = await events.listEvents({ organizerId: org.id });
      assert.deepEqual(names(first.events), names(ordered), "default: PUBLISHED only, start_time then id");
      assert.deepEqual(ids(first.events), ids(ordered));
      assert.equal(first.nextPageToken, "", "one page when everything fits");

      const pages: Event[][] = [];
      let pageToken = "";
      do {
        const page = await events.listEvents({ organizerId: org.id, pageSize: 3, pageToken });
        pages.push(page.events);
        pageToken = page.nextPageToken;
        assert.ok(pages.length <= 3, "three pages at most");
      } while (pageToken !== "");
      assert.deepEqual(
        pages.map((p) => p.length),
        [3, 3, 1],
      );
      assert.deepEqual(ids(pages.flat()), ids(ordered), "every event once, in order");

      const withOthers = await listAll({ organizerId: org.id, states: [EventState.PUBLISHED, EventState.CANCELLED] });
      assert.deepEqual(new Set(ids(withOthers)), new Set([...ids(ordered), cancelled.id]), "states widen the default");
      const drafts = await listAll({ organizerId: org.id, states: [EventState.DRAFT] }, await org.auth());
      assert.deepEqual(ids(drafts), [draft.id], "an organiser lists their own drafts");
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, states: [EventState.DRAFT] }, await admin.auth())),
        [draft.id],
        "so does an admin",
      );
      await rejects(
        events.listEvents({ organizerId: org.id, states: [EventState.DRAFT] }, await orgB.auth()),
        Code.PermissionDenied,
        "another organiser's drafts",
      );
      await rejects(
        events.listEvents({ states: [EventState.DRAFT] }, await orgB.auth()),
        Code.PermissionDenied,
        "everyone's drafts",
      );
      await invalid(
        events.listEvents({ states: [EventState.UNSPECIFIED] }),
        /^states/,
        "EVENT_STATE_UNSPECIFIED as a filter",
      );
    });

    it("filters: start_time_after (inclusive), start_time_before (exclusive), city (case-insensitive), query (case-insensitive), organizer_id", async () => {
      const day = (n: number) => ts(base + n * DAY);
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, startTimeAfter: day(3) })),
        ids(pick(3, 5, 6, 7)),
        "start_time_after is inclusive",
      );
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, startTimeBefore: day(5) })),
        ids(pick(1, 2, 3)),
        "start_time_before is exclusive",
      );
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, startTimeAfter: day(2), startTimeBefore: day(6) })),
        ids(pick(2, 3, 5)),
      );
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, city: "lisbon" })),
        ids(ordered.filter((e) => e.venueId === lisbon.id)),
        "city, lower case",
      );
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, city: "PORTO" })),
        ids(ordered.filter((e) => e.venueId === porto.id)),
        "city, upper case",
      );
      assert.deepEqual(ids(await listAll({ organizerId: org.id, city: "Porto Alegre" })), [], "city is an exact match");
      assert.deepEqual(
        ids(await listAll({ organizerId: org.id, query: "JAZZ" })),
        ids(ordered.filter((e) => /jazz/i.test(e.name))),
        "query, any case",
      );
      assert.deepEqual(
        ids(await listAll({ query: word.toUpperCase() })),
        ids(ordered),
        "query across all organisers, PUBLISHED only",
      );
      assert.deepEqual(
        ids(await listAll({ query: word, city: "Lisbon", startTimeAfter: day(2) })),
        ids(pick(3, 6)),
        "filters combine with AND",
      );
      assert.deepEqual(ids(await listAll({ query: word, organizerId: orgA.id })), [], "organizer_id restricts");
    });

    it("rejects a negative page_size, forged or altered page tokens and a token used with other filters (INVALID_ARGUMENT)", async () => {
      await invalid(events.listEvents({ pageSize: -1 }), "page_size", "negative page_size");
      assert.ok(
        (await events.listEvents({ organizerId: org.id, pageSize: 1_000 })).events.length === 7,
        "a page_size above the maximum is clamped, not refused",
      );
      const first = await events.listEvents({ organizerId: org.id, pageSize: 2 });
      const token = first.nextPageToken;
      assert.notEqual(token, "");
      assert.equal(
        (await events.listEvents({ organizerId: org.id, pageSize: 2, pageToken: token })).events[0]?.id,
        ordered[2]!.id,
        "the real token works",
      );

      await invalid(
        events.listEvents({ organizerId: org.id, pageSize: 2, pageToken: "not-a-token" }),
        "page_token",
        "garbage token",
      );
      const forged = Buffer.from(
        JSON.stringify({ offset: 0, startTime: new Date(base).toISOString(), id: ordered[0]!.id }),
      ).toString("base64url");
      await invalid(
        events.listEvents({ organizerId: org.id, pageSize: 2, pageToken: forged }),
        "page_token",
        "forged token",
      );
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
      const mid = Math.floor(token.length / 2);
      const c = token[mid]!;
      const altered =
        token.slice(0, mid) + (alphabet[(alphabet.indexOf(c) + 17) % alphabet.length] ?? "A") + token.slice(mid + 1);
      assert.notEqual(altered, token);
      await invalid(
        events.listEvents({ organizerId: org.id, pageSize: 2, pageToken: altered }),
        "page_token",
        "altered token",
      );
      await rejects(
        events.listEvents({ organizerId: org.id, pageSize: 2, pageToken: token, city: "Lisbon" }),
        Code.InvalidArgument,
        "a token with another filter",
      );
      await rejects(
        events.listEvents({ organizerId: orgA.id, pageSize: 2, pageToken: token }),
        Code.InvalidArgument,
        "a token with another organizer_id",
      );
    });
  });

  describe("GetEventLayout (internal, caller: ticket)", () => {
    it("returns the sections, seats and prices of a PUBLISHED event to the ticket service; everyone else is refused", async () => {
      const v = await createVenue(orgA, {
        sections: [
          reserved("Block", [
            ["A", ["1", "2"]],
            ["B", ["1", "2", "3"]],
          ]),
          ga("Floor", 40),
        ],
      });
      const pub = await published(orgA, v, { maxTicketsPerOrder: 4, maxTicketsPerBuyer: 9 });
      const ticket = await users.serviceToken("ticket");
      const { layout } = await internal.getEventLayout(
        { eventId: pub.id, layoutVersion: pub.layoutVersion },
        { headers: { authorization: `Bearer ${ticket}` } },
      );
      assert.ok(layout);
      assert.equal(layout.eventId, pub.id);
      assert.equal(layout.layoutVersion, pub.layoutVersion);
      assert.equal(layout.venueId, v.id);
      assert.equal(layout.organizerId, orgA.id);
      assert.equal(layout.maxTicketsPerOrder, 4);
      assert.equal(layout.maxTicketsPerBuyer, 9);
      // What tickets and emails show: the event's name, times and zone, the venue's name and city.
      assert.equal(layout.name, pub.name);
      assert.equal(ms(layout.startTime), ms(pub.startTime));
      assert.equal(ms(layout.endTime), ms(pub.endTime));
      assert.equal(layout.timeZone, "Europe/Lisbon");
      assert.equal(layout.venueName, v.name);
      assert.equal(layout.venueCity, "Lisbon");
      const uncapped = await published(orgA, v, { maxTicketsPerOrder: 3 });
      const uncappedLayout = (
        await internal.getEventLayout({ eventId: uncapped.id }, { headers: { authorization: `Bearer ${ticket}` } })
      ).layout!;
      assert.equal(uncappedLayout.maxTicketsPerBuyer, 3, "no per-buyer cap: one order's worth");
      assert.equal(ms(layout.salesStartTime), ms(pub.salesStartTime));
      assert.equal(ms(layout.salesEndTime), ms(pub.salesEndTime));
      const full = (await events.getVenue({ venueId: v.id, view: VenueView.FULL })).venue!;
      assert.equal(layout.sections.length, full.sections.length);
      for (const [i, s] of layout.sections.entries()) {
        assert.ok(equals(SectionSchema, s, full.sections[i]!), `section ${i} with every row and seat`);
      }
      assert.equal(countSeats(layout), 5);
      assert.deepEqual(
        layout.priceTiers.map((p) => [p.sectionId, p.price?.currencyCode, p.price?.amountMinor]),
        pub.priceTiers.map((p) => [p.sectionId, p.price?.currencyCode, p.price?.amountMinor]),
      );
      const current = (
        await internal.getEventLayout({ eventId: pub.id }, { headers: { authorization: `Bearer ${ticket}` } })
      ).layout!;
      assert.equal(current.layoutVersion, pub.layoutVersion, "layout_version 0 is the current one");
      await rejects(
        internal.getEventLayout(
          { eventId: pub.id, layoutVersion: pub.layoutVersion + 1n },
          { headers: { authorization: `Bearer ${ticket}` } },
        ),
        Code.FailedPrecondition,
        "a layout version that is not the current one",
      );
      await rejects(
        internal.getEventLayout({ eventId: uuidv7() }, { headers: { authorization: `Bearer ${ticket}` } }),
        Code.NotFound,
        "unknown event",
      );

      await rejects(
        internal.getEventLayout({ eventId: pub.id }, await customer.auth()),
        Code.PermissionDenied,
        "a customer",
      );
      await rejects(
        internal.getEventLayout({ eventId: pub.id }, await orgA.auth()),
        Code.PermissionDenied,
        "the event's own organiser",
      );
      await rejects(
        internal.getEventLayout({ eventId: pub.id }, await admin.auth()),
        Code.PermissionDenied,
        "an admin",
      );
      const notification = await users.serviceToken("notification");
      await rejects(
        internal.getEventLayout({ eventId: pub.id }, { headers: { authorization: `Bearer ${notification}` } }),
        Code.PermissionDenied,
        "a service not on the list",
      );
      await rejects(internal.getEventLayout({ eventId: pub.id }), Code.Unauthenticated, "no token");
    });
  });

  describe("cache-visible behaviour", () => {
    it("after UpdateEvent returns, GetEvent on the same process never returns an older revision (warm caches, concurrent readers)", async () => {
      const v = await createVenue(orgA);
      const pub = await published(orgA, v);
      const grpcClient = new grpc.Client(`127.0.0.1:${proc.server.port}`, grpc.credentials.createInsecure());
      const reads: Array<{ startedAt: number; revision: bigint }> = [];
      const writes: Array<{ returnedAt: number; revision: bigint }> = [
        { returnedAt: performance.now(), revision: pub.revision },
      ];
      let stop = false;
      const reader = async (k: number) => {
        while (!stop) {
          const startedAt = performance.now();
          const e =
            k % 2 === 0
              ? (await events.getEvent({ eventId: pub.id })).event!
              : (await grpcJsUnary(grpcClient, EventService.method.getEvent, { eventId: pub.id })).event!;
          reads.push({ startedAt, revision: e.revision });
        }
      };
      const readers = Array.from({ length: 4 }, (_, k) => reader(k));
      try {
        let revision = pub.revision;
        for (let i = 0; i < 15; i++) {
          for (let k = 0; k < 3; k++)
            assert.equal((await events.getEvent({ eventId: pub.id })).event?.revision, revision, "warm read");
          const u = await update(orgA, pub.id, { name: `Renamed ${i}` }, ["name"], revision);
          writes.push({ returnedAt: performance.now(), revision: u.revision });
          assert.equal(u.revision, revision + 1n);
          revision = u.revision;
          const json = (await events.getEvent({ eventId: pub.id })).event!;
          assert.equal(json.revision, revision, `GetEvent right after update ${i} (Connect JSON)`);
          assert.equal(json.name, `Renamed ${i}`);
          const bin = (await grpcJsUnary(grpcClient, EventService.method.getEvent, { eventId: pub.id })).event!;
          assert.equal(bin.revision, revision, `GetEvent right after update ${i} (grpc-js)`);
          const listed = (await events.listEvents({ organizerId: orgA.id, query: `Renamed ${i}` })).events.find(
            (e) => e.id === pub.id,
          );
          assert.equal(listed?.revision, revision, `ListEvents right after update ${i}`);
        }
      } finally {
        stop = true;
        await Promise.all(readers);
        grpcClient.close();
      }
      assert.ok(reads.length > 30, `the readers read (${reads.length})`);
      for (const r of reads) {
        const floor = writes
          .filter((w) => w.returnedAt < r.startedAt)
          // biome-ignore lint/complexity/useMathMinMax: bigint revisions (Math.max takes numbers)
          .reduce((m, w) => (w.revision > m ? w.revision : m), 0n);
        assert.ok(r.revision >= floor, `a read started after revision ${floor} was answered returned ${r.revision}`);
      }
    });
  });

  describe("plain clients", () => {
    it("plain HTTP/JSON (curl-style) and plain @grpc/grpc-js reach the event service on the same port", async () => {
      const v = await createVenue(orgA);
      const pub = await published(orgA, v);
      const res = await fetch(`${proc.baseUrl}/boxoffice.event.v1.EventService/GetEvent`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ eventId: pub.id }),
      });
      assert.equal(res.status, 200);
      const body = (await res.json()) as {
        event: { id: string; state: string; revision: string; priceTiers: Array<{ price: { amountMinor: string } }> };
      };
      assert.equal(body.event.id, pub.id);
      assert.equal(body.event.state, "EVENT_STATE_PUBLISHED");
      assert.equal(body.event.revision, String(pub.revision));
      const bad = await fetch(`${proc.baseUrl}/boxoffice.event.v1.EventService/CreateVenue`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${await orgA.token()}` },
        body: JSON.stringify({
          requestId: rid(),
          venue: { name: "", city: "Lisbon", countryCode: "PT", timeZone: "Europe/Lisbon", sections: [] },
        }),
      });
      assert.equal(bad.status, 400);
      const err = (await bad.json()) as { code: string; details?: Array<{ type: string }> };
      assert.equal(err.code, "invalid_argument");
      assert.ok(
        err.details?.some((d) => d.type === "google.rpc.BadRequest"),
        "BadRequest details on the wire",
      );

      const client = new grpc.Client(`127.0.0.1:${proc.server.port}`, grpc.credentials.createInsecure());
      try {
        const got = await grpcJsUnary(client, EventService.method.getEvent, { eventId: pub.id });
        assert.ok(equals(EventSchema, got.event!, pub));
        const list = await grpcJsUnary(client, EventService.method.listEvents, { organizerId: orgA.id, pageSize: 200 });
        assert.ok(list.events.some((e) => e.id === pub.id));
        await assert.rejects(
          grpcJsUnary(
            client,
            EventService.method.createVenue,
            { requestId: rid(), venue: venueInit() },
            { authorization: `Bearer ${await customer.token()}` },
          ),
          (e: grpc.ServiceError) => e.code === grpc.status.PERMISSION_DENIED,
        );
      } finally {
        client.close();
      }
    });
  });

  describe("a 100,000-seat venue", () => {
    let stadium: Venue | undefined;

    it("is created over gRPC (≈1 MB request) and read back whole with VENUE_VIEW_FULL; BASIC stays small", async () => {
      const sections = Array.from({ length: 100 }, (_, i) => grid(`Block ${String(i + 1).padStart(3, "0")}`, 20, 50));
      const input = venueInit({
        name: "Olympiastadion",
        city: "Berlin",
        countryCode: "DE",
        timeZone: "Europe/Berlin",
        sections,
      });
      const size = toBinary(VenueSchema, create(VenueSchema, input)).length;
      const t0 = performance.now();
      const { venue } = await eventsGrpc.createVenue({ requestId: rid(), venue: input }, await orgA.auth());
      const t1 = performance.now();
      assert.ok(venue);
      assert.equal(venue.seatCount, 100_000);
      assert.equal(venue.sections.length, 100);
      assert.ok(venue.sections.every((s) => s.capacity === 1_000 && s.id !== ""));
      const full = (await eventsGrpc.getVenue({ venueId: venue.id, view: VenueView.FULL })).venue!;
      const t2 = performance.now();
      assert.equal(countSeats(full), 100_000);
      assert.equal(full.seatCount, 100_000);
      assert.deepEqual(
        full.sections.map((s) => s.name),
        sections.map((s) => s.name),
        "sections in order",
      );
      const last = full.sections[99]!.kind;
      assert.equal(last.case, "reservedSeating");
      assert.equal(last.value.rows[19]?.label, "20");
      assert.deepEqual(
        last.value.rows[19]?.seats.map((s) => s.label),
        Array.from({ length: 50 }, (_, i) => String(i + 1)),
      );
      assert.ok(equals(VenueSchema, full, venue), "GetVenue returns the venue CreateVenue returned");
      const byDefault = (await eventsGrpc.getVenue({ venueId: venue.id })).venue!;
      assert.equal(countSeats(byDefault), 100_000, "GetVenue defaults to FULL");
      const basic = (await events.getVenue({ venueId: venue.id, view: VenueView.BASIC })).venue!;
      assert.equal(countSeats(basic), 0);
      assert.equal(basic.seatCount, 100_000);
      const basicSize = toBinary(VenueSchema, basic).length;
      assert.ok(basicSize < 20_000, `BASIC is small (${basicSize} bytes)`);
      process.stderr.write(
        `      100k-seat venue: request ${(size / 1e6).toFixed(2)} MB, CreateVenue ${Math.round(t1 - t0)} ms, GetVenue FULL ${Math.round(t2 - t1)} ms\n`,
      );
      stadium = venue;
    });

    it("an event there publishes by reference (small EventPublished) and GetEventLayout hands ticket every one of the 100,000 seats", async () => {
      assert.ok(stadium, "needs the stadium of the previous test");
      const { event } = await eventsGrpc.createEvent(
        { requestId: rid(), event: eventInit(stadium, clock.now(), { priceTiers: tiersFor(stadium, 5_000n) }) },
        await orgA.auth(),
      );
      const pub = (await eventsGrpc.publishEvent({ requestId: rid(), eventId: event!.id }, await orgA.auth())).event!;
      assert.equal(pub.state, EventState.PUBLISHED);
      const msg = await bus.waitFor("EventPublished (stadium)", () => bus.of(EventPublishedSchema, pub.id)[0]);
      assert.ok(msg.size < 2_048, `EventPublished is ${msg.size} bytes`);
      const ticket = await users.serviceToken("ticket");
      const t0 = performance.now();
      const layout: EventLayout = (
        await internalGrpc.getEventLayout(
          { eventId: pub.id, layoutVersion: pub.layoutVersion },
          { headers: { authorization: `Bearer ${ticket}` } },
        )
      ).layout!;
      process.stderr.write(`      GetEventLayout (100k seats): ${Math.round(performance.now() - t0)} ms\n`);
      assert.equal(countSeats(layout), 100_000);
      assert.equal(layout.priceTiers.length, 100);
    });
  });

  describe("the make dev seed (scripts/seed.ts)", () => {
    it("creates the demo on-sale through the public API, resumes after a crash after Register, and a second run changes nothing", async () => {
      // a previous run died right after registering the organiser (no ORGANIZER role yet)
      await users.auth.register({
        requestId: rid(),
        email: DEMO_ORGANIZER_EMAIL,
        password: demoOrganizerPassword(cfg.adminPassword),
        displayName: "Half-seeded",
      });
      const lines: string[] = [];
      const opts = {
        baseUrl: proc.baseUrl,
        adminEmail: cfg.adminEmail,
        adminPassword: cfg.adminPassword,
        log: (l: string) => void lines.push(l),
        now: () => clock.now(),
      };
      const first = await seedDemo(opts);
      assert.equal(first.organizerEmail, DEMO_ORGANIZER_EMAIL);
      assert.equal(first.organizerPassword, demoOrganizerPassword(cfg.adminPassword));
      const second = await seedDemo(opts);
      assert.deepEqual(second, first, "the same event again");

      const ev = await getEvent(first.eventId);
      assert.equal(ev.name, DEMO_EVENT_NAME);
      assert.equal(ev.state, EventState.PUBLISHED);
      assert.equal(ev.city, "Lisbon");
      assert.equal(ev.timeZone, "Europe/Lisbon");
      const daysAhead = (ms(ev.startTime) - clock.now()) / DAY;
      assert.ok(daysAhead > 29 && daysAhead <= 31, `starts in about 30 days (${daysAhead.toFixed(1)})`);
      assert.ok(ms(ev.salesStartTime) <= clock.now(), "on sale now");
      assert.ok(ms(ev.salesEndTime) > clock.now());
      assert.ok(
        ev.priceTiers.length === 2 &&
          ev.priceTiers.every((p) => p.price?.currencyCode === "EUR" && p.price.amountMinor > 0n),
      );

      const venue = (await events.getVenue({ venueId: ev.venueId })).venue!;
      assert.equal(venue.name, DEMO_VENUE_NAME);
      assert.equal(venue.countryCode, "PT");
      assert.equal(venue.seatCount, DEMO_SEAT_COUNT);
      const [stalls, standing] = venue.sections;
      assert.equal(stalls?.kind.case, "reservedSeating");
      if (stalls?.kind.case !== "reservedSeating") return;
      assert.equal(stalls.kind.value.rows.length, STALLS.rows);
      const seatsByKey = new Map(
        stalls.kind.value.rows.flatMap((r) =>
          r.seats.map((s): [string, boolean] => [`${r.label}:${s.label}`, s.accessible]),
        ),
      );
      assert.equal(seatsByKey.size, STALLS.rows * STALLS.seatsPerRow - MISSING_SEATS.size);
      for (const k of MISSING_SEATS) assert.equal(seatsByKey.has(k), false, `${k} is missing`);
      for (const k of ACCESSIBLE_SEATS) assert.equal(seatsByKey.get(k), true, `${k} is accessible`);
      assert.ok(standing?.kind.case === "generalAdmission" && standing.kind.value.capacity === STANDING.capacity);

      const organizer = await users.login(first.organizerEmail, first.organizerPassword);
      assert.ok(organizer.roles.includes(Role.ORGANIZER), "the organiser can organise");
      assert.equal(ev.organizerId, organizer.id);
      const venues = (await events.listVenues({ organizerId: organizer.id })).venues;
      assert.deepEqual(
        venues.map((v) => v.name),
        [DEMO_VENUE_NAME],
        "one venue after two runs",
      );
      const evs = await listAll(
        { organizerId: organizer.id, states: [EventState.DRAFT, EventState.PUBLISHED, EventState.CANCELLED] },
        await organizer.auth(),
      );
      assert.deepEqual(ids(evs), [first.eventId], "one event after two runs");
      assert.ok(
        lines.some((l) => /already/i.test(l)),
        `the second run said it had nothing to do: ${JSON.stringify(lines)}`,
      );
    });
  });

  // Last: it moves the process clock forward by hours.
  describe("time passing", () => {
    it("ListEvents leaves out events that have ended (and keeps those under way); an event whose start has passed cannot be published", async () => {
      const org = await users.organizer("time");
      const v = await createVenue(org);
      const at = clock.now();
      const soon = {
        startTime: ts(at + HOUR),
        endTime: ts(at + 2 * HOUR),
        salesStartTime: ts(at),
        salesEndTime: ts(at + HOUR),
      };
      const pub = await published(org, v, soon);
      const late = await createEvent(org, v, soon);
      const later = await published(org, v, {
        startTime: ts(at + 10 * DAY),
        endTime: ts(at + 10 * DAY + HOUR),
        salesEndTime: ts(at + 10 * DAY),
      });
      // Each listing below uses a filter of its own (same meaning: every start is after `at`): the
      // clock jumps hours while real time moves milliseconds, so a list cached under the same key
      // with a real-time TTL would be a test artefact, not staleness a user could see.
      const startsAfter = (minutes: number) => ({ organizerId: org.id, startTimeAfter: ts(at - minutes * 60_000) });
      assert.deepEqual(ids(await listAll(startsAfter(1))), [pub.id, later.id]);

      clock.advance(90 * 60_000); // under way
      assert.deepEqual(ids(await listAll(startsAfter(2))), [pub.id, later.id], "an event under way is still listed");
      await rejects(
        events.publishEvent({ requestId: rid(), eventId: late.id }, await org.auth()),
        Code.FailedPrecondition,
        "publishing after the start",
      );

      clock.advance(60 * 60_000); // over
      assert.deepEqual(ids(await listAll(startsAfter(3))), [later.id], "an ended event is not listed by default");
      assert.deepEqual(ids(await listAll({ query: pub.name })), [], "nor by a query for it");
    });
  });
});

const ids = (es: Event[]) => es.map((e) => e.id);
