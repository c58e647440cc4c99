/**
 * The demo on-sale `make dev` seeds (scripts/seed.ts): one organiser, one venue, one published
 * event. Plain data, so the seed and its tests agree on what "the demo" is.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { VenueSchema } from "../gen/boxoffice/event/v1/venue_pb.js";

export const DEMO_ORGANIZER_EMAIL = "organizer@boxoffice.local";
export const DEMO_ORGANIZER_NAME = "Demo Organizer";
export const DEMO_VENUE_NAME = "Boxoffice Arena";
export const DEMO_EVENT_NAME = "Opening Night";
export const DEMO_CURRENCY = "EUR";

/** Reserved section "Stalls": rows A–J × seats 1–20, a few seats missing (pillars), a few accessible. */
export const STALLS = { name: "Stalls", rows: 10, seatsPerRow: 20 } as const;
/** Seats that do not exist: "row:seat". */
export const MISSING_SEATS = new Set(["C:10", "C:11", "F:1", "F:20"]);
/** Wheelchair-accessible seats: the aisle ends of the last row. */
export const ACCESSIBLE_SEATS = new Set(["J:1", "J:2", "J:19", "J:20"]);
/** General-admission section "Standing". */
export const STANDING = { name: "Standing", capacity: 500 } as const;

/** Prices in minor units (EUR cents) per section name. */
export const PRICES: Record<string, bigint> = { [STALLS.name]: 4_500n, [STANDING.name]: 2_500n };

export const DEMO_VENUE: MessageInitShape<typeof VenueSchema> = {
  name: DEMO_VENUE_NAME,
  addressLine: "Rossio 1",
  city: "Lisbon",
  countryCode: "PT",
  timeZone: "Europe/Lisbon",
  sections: [
    {
      name: STALLS.name,
      kind: {
        case: "reservedSeating",
        value: {
          rows: Array.from({ length: STALLS.rows }, (_, r) => {
            const row = String.fromCharCode(65 + r);
            return {
              label: row,
              seats: Array.from({ length: STALLS.seatsPerRow }, (_, s) => String(s + 1))
                .filter((seat) => !MISSING_SEATS.has(`${row}:${seat}`))
                .map((seat) => ({ label: seat, accessible: ACCESSIBLE_SEATS.has(`${row}:${seat}`) })),
            };
          }),
        },
      },
    },
    { name: STANDING.name, kind: { case: "generalAdmission", value: { capacity: STANDING.capacity } } },
  ],
};

/** Seats of the demo venue: reserved seats plus standing capacity. */
export const DEMO_SEAT_COUNT = STALLS.rows * STALLS.seatsPerRow - MISSING_SEATS.size + STANDING.capacity;

export const DEMO_EVENT_DESCRIPTION =
  "The first night of the Boxoffice demo season: reserved seats in the stalls, standing room at the front. Seeded by make dev.";

const DAY_MS = 24 * 3600_000;

/**
 * The event's times for a seed run at `nowMs`, whole hours so a re-run on the same day sends the
 * same request: sales open at the start of the current UTC day, the show starts 30 days later at
 * 20:00 UTC, lasts 4 hours, and sales close when it starts.
 */
export function demoEventTimes(nowMs: number): {
  salesStartMs: number;
  startMs: number;
  endMs: number;
  salesEndMs: number;
  day: string;
} {
  const dayStart = Math.floor(nowMs / DAY_MS) * DAY_MS;
  const startMs = dayStart + 30 * DAY_MS + 20 * 3600_000;
  return {
    salesStartMs: dayStart,
    startMs,
    endMs: startMs + 4 * 3600_000,
    salesEndMs: startMs,
    day: new Date(dayStart).toISOString().slice(0, 10),
  };
}
