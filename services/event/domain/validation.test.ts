import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { EventSchema } from "../../../gen/boxoffice/event/v1/event_pb.js";
import { VenueSchema } from "../../../gen/boxoffice/event/v1/venue_pb.js";
import { userPrincipal } from "../../../platform/principal/index.js";
import { actor, assertOwner, canSeeDrafts, reader } from "./ownership.js";
import { eventViolations, isValidTimeZone, sectionCapacity, venueViolations } from "./validation.js";

/** The rules across fields that CreateVenue, CreateEvent and UpdateEvent apply, and who owns what. */
describe("venue and event rules (domain, no I/O)", () => {
  const fields = (v: Array<{ field: string; reason?: string }>) => v.map((x) => `${x.field} ${x.reason}`);
  const venue = (sections: unknown[]) =>
    create(VenueSchema, {
      name: "Coliseu",
      addressLine: "Rua 1",
      city: "Lisbon",
      countryCode: "PT",
      timeZone: "Europe/Lisbon",
      sections: sections as never,
    });
  const ga = (name: string, capacity: number) => ({ name, kind: { case: "generalAdmission", value: { capacity } } });
  const rows = (name: string, labels: string[][]) => ({
    name,
    kind: {
      case: "reservedSeating",
      value: { rows: labels.map((seats, i) => ({ label: String(i + 1), seats: seats.map((label) => ({ label })) })) },
    },
  });

  it("a venue needs sections with unique names, seats with unique labels, a real time zone", () => {
    assert.deepEqual(venueViolations(venue([ga("Floor", 100), rows("Balcony", [["1", "2"]])])), []);
    assert.deepEqual(fields(venueViolations(undefined)), ["venue REQUIRED"]);
    assert.deepEqual(fields(venueViolations(venue([]))), ["venue.sections REQUIRED"]);
    assert.deepEqual(fields(venueViolations(venue([ga("Floor", 1), ga(" floor ", 1)]))), [
      "venue.sections[1].name DUPLICATE",
    ]);
    assert.deepEqual(fields(venueViolations(venue([rows("Stalls", [["1", "1"]])]))), [
      "venue.sections[0].reserved_seating.rows[0].seats[1].label DUPLICATE",
    ]);
    assert.deepEqual(fields(venueViolations(venue([ga("Floor", 0)]))), [
      "venue.sections[0].general_admission.capacity MUST_BE_POSITIVE",
    ]);
    assert.equal(isValidTimeZone("Europe/Lisbon"), true);
    assert.equal(isValidTimeZone("Mars/Olympus"), false);
  });

  it("a section's capacity is its seats, or its general-admission capacity", () => {
    const v = venue([ga("Floor", 250), rows("Balcony", [["1", "2", "3"], ["1"]])]);
    assert.deepEqual(v.sections.map(sectionCapacity), [250, 4]);
  });

  it("an event ends after it starts, sells before it ends, in one currency, one price per section", () => {
    const event = (o: Record<string, unknown>) =>
      create(EventSchema, {
        name: "Night",
        startTime: timestampFromMs(10_000),
        endTime: timestampFromMs(20_000),
        maxTicketsPerOrder: 4,
        ...o,
      });
    const sections = new Set(["a", "b"]);
    const eur = (sectionId: string, amountMinor = 100n, currencyCode = "EUR") => ({
      sectionId,
      price: { currencyCode, amountMinor },
    });
    assert.deepEqual(eventViolations(event({ priceTiers: [eur("a"), eur("b")] }), sections), []);
    assert.deepEqual(fields(eventViolations(event({ endTime: timestampFromMs(10_000) }), sections)), [
      "event.end_time END_BEFORE_START",
    ]);
    assert.deepEqual(fields(eventViolations(event({ salesEndTime: timestampFromMs(30_000) }), sections)), [
      "event.sales_end_time AFTER_EVENT_END",
    ]);
    assert.deepEqual(fields(eventViolations(event({ priceTiers: [eur("a"), eur("a"), eur("c")] }), sections)), [
      "event.price_tiers[1].section_id DUPLICATE",
      "event.price_tiers[2].section_id UNKNOWN_SECTION",
    ]);
    assert.deepEqual(fields(eventViolations(event({ priceTiers: [eur("a"), eur("b", 1n, "USD")] }), sections)), [
      "event.price_tiers[1].price.currency_code MIXED_CURRENCIES",
    ]);
    assert.deepEqual(fields(eventViolations(event({ maxTicketsPerOrder: 51 }), sections)), [
      "event.max_tickets_per_order OUT_OF_RANGE",
    ]);
  });

  it("organisers act on what they own, admins on everything; drafts show only to them", () => {
    const alice = actor(userPrincipal("alice", ["ORGANIZER"]));
    const admin = actor(userPrincipal("root", ["ADMIN"]));
    assert.doesNotThrow(() => assertOwner(alice, "alice", "event"));
    assert.doesNotThrow(() => assertOwner(admin, "alice", "event"));
    assert.throws(() => assertOwner(alice, "bob", "event"), /belongs to another organiser/);
    assert.throws(() => actor(undefined), /access token/);
    assert.deepEqual(
      [canSeeDrafts(reader(undefined), "alice"), canSeeDrafts(alice, "alice"), canSeeDrafts(alice, "bob")],
      [false, true, false],
    );
    assert.equal(canSeeDrafts(admin, "bob"), true);
  });
});
