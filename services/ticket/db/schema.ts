/**
 * The ticket service's inventory and holds (platform tables come from platform/db/platform-schema.ts).
 * No relative imports: drizzle-kit loads this file with its own loader.
 *
 * Who owns a place is written on the place itself, so a claim is one conditional UPDATE of the rows
 * it takes and lazy expiry is part of that condition:
 * - a seat is free when `taken_until` is NULL or ≤ now; an ACTIVE hold sets it to the hold's
 *   expire_time, an order to FOREVER (9999-12-31);
 * - a GA hold item's places are outstanding while its `taken_until` is not NULL, free by time like
 *   a seat's; freed places move to a new hold or back to the stripe exactly once (db/ga.ts).
 * Seats and GA stripes are keyed by a compact per-event integer (`inv_id`) and dense numbers, so a
 * 100,000-seat event is a narrow clustered range and a section a sub-range of it.
 */
import {
  bigint,
  boolean,
  char,
  customType,
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  smallint,
  uniqueIndex,
  varchar,
} from "drizzle-orm/mysql-core";

/** Seat and row labels compare exactly ("a" ≠ "A"), as the event service validates them. */
const label = customType<{ data: string; driverData: string }>({
  dataType: () => "varchar(8) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin",
});

/** One per event the service has heard of: sales state, limits, the layout version materialised. */
export const inventories = mysqlTable(
  "inventories",
  {
    invId: int("inv_id", { unsigned: true }).autoincrement().primaryKey(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    /** ON_SALE (materialised from EventPublished) or CANCELLED (terminal; may arrive first). */
    status: varchar("status", { length: 16 }).notNull(),
    /** 0 while only a cancellation is known (no layout materialised). */
    layoutVersion: bigint("layout_version", { mode: "number" }).notNull(),
    /** The event revision whose prices are in inventory_sections (EventUpdated applies newer ones). */
    priceRevision: bigint("price_revision", { mode: "number" }).notNull(),
    venueId: varchar("venue_id", { length: 36 }).notNull(),
    organizerId: varchar("organizer_id", { length: 36 }).notNull(),
    salesStart: datetime("sales_start", { mode: "date", fsp: 3 }).notNull(),
    salesEnd: datetime("sales_end", { mode: "date", fsp: 3 }).notNull(),
    maxPerOrder: int("max_per_order").notNull(),
    maxPerBuyer: int("max_per_buyer").notNull(),
    seatCount: int("seat_count").notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    cancelTime: datetime("cancel_time", { mode: "date", fsp: 3 }),
    /** The event as tickets and emails show it: from the layout, then EventUpdated. */
    name: varchar("name", { length: 200 }).notNull().default(""),
    startTime: datetime("start_time", { mode: "date", fsp: 3 }),
    endTime: datetime("end_time", { mode: "date", fsp: 3 }),
    timeZone: varchar("time_zone", { length: 64 }).notNull().default(""),
    venueName: varchar("venue_name", { length: 200 }).notNull().default(""),
    venueCity: varchar("venue_city", { length: 100 }).notNull().default(""),
    /** The event revision the summary is from (EventUpdated applies newer ones). */
    summaryRevision: bigint("summary_revision", { mode: "number" }).notNull().default(0),
  },
  (t) => [uniqueIndex("inventories_event").on(t.eventId)],
);

/** Sections of an event's inventory, numbered in layout order. */
export const inventorySections = mysqlTable(
  "inventory_sections",
  {
    invId: int("inv_id", { unsigned: true }).notNull(),
    sectionNo: smallint("section_no", { unsigned: true }).notNull(),
    sectionId: varchar("section_id", { length: 36 }).notNull(),
    name: varchar("name", { length: 100 }).notNull(),
    /** RESERVED or GA. */
    kind: varchar("kind", { length: 8 }).notNull(),
    capacity: int("capacity").notNull(),
    /** RESERVED: its seats are seat_no in [first_seat, first_seat + capacity). */
    firstSeat: int("first_seat").notNull(),
    /** GA: number of stripes. */
    stripes: smallint("stripes", { unsigned: true }).notNull(),
    currencyCode: char("currency_code", { length: 3 }).notNull(),
    priceMinor: bigint("price_minor", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.invId, t.sectionNo] }),
    uniqueIndex("inventory_sections_id").on(t.invId, t.sectionId),
  ],
);

/** One row per reserved seat, clustered in layout order (section, row, position). */
export const seats = mysqlTable(
  "seats",
  {
    invId: int("inv_id", { unsigned: true }).notNull(),
    seatNo: int("seat_no", { unsigned: true }).notNull(),
    sectionNo: smallint("section_no", { unsigned: true }).notNull(),
    rowNo: smallint("row_no", { unsigned: true }).notNull(),
    pos: smallint("pos", { unsigned: true }).notNull(),
    rowLength: smallint("row_length", { unsigned: true }).notNull(),
    /** An absent seat number lies between this seat and the previous one: they are not adjacent. */
    gapBefore: boolean("gap_before").notNull(),
    accessible: boolean("accessible").notNull(),
    rowLabel: label("row_label").notNull(),
    seatLabel: label("seat_label").notNull(),
    /** The hold that took the seat last (kept after expiry; ownership is taken_until > now). */
    holdId: varchar("hold_id", { length: 36 }),
    takenUntil: datetime("taken_until", { mode: "date", fsp: 3 }),
    /** Paid for (the order is CONFIRMED); taken_until is FOREVER then. */
    sold: boolean("sold").notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.invId, t.seatNo] }),
    uniqueIndex("seats_label").on(t.invId, t.sectionNo, t.rowLabel, t.seatLabel),
    // A section's free seats (taken_until NULL, then ≤ now: one index range) without reading the
    // taken ones: what a refusal counts, cheap when a section is nearly sold out (claim_seats)
    index("seats_free").on(t.invId, t.sectionNo, t.takenUntil),
  ],
);

/** A GA section's capacity split over counter rows; a hold decrements one (or a few). */
export const gaStripes = mysqlTable(
  "ga_stripes",
  {
    invId: int("inv_id", { unsigned: true }).notNull(),
    sectionNo: smallint("section_no", { unsigned: true }).notNull(),
    stripe: smallint("stripe", { unsigned: true }).notNull(),
    capacity: int("capacity").notNull(),
    available: int("available").notNull(),
  },
  (t) => [primaryKey({ columns: [t.invId, t.sectionNo, t.stripe] })],
);

export const holds = mysqlTable(
  "holds",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    invId: int("inv_id", { unsigned: true }).notNull(),
    eventId: varchar("event_id", { length: 36 }).notNull(),
    buyerId: varchar("buyer_id", { length: 36 }).notNull(),
    /** ACTIVE, RELEASED, EXPIRED or CONVERTED; an ACTIVE hold past expire_time reads as EXPIRED. */
    state: varchar("state", { length: 16 }).notNull(),
    quantity: int("quantity").notNull(),
    currencyCode: char("currency_code", { length: 3 }).notNull(),
    totalMinor: bigint("total_minor", { mode: "number" }).notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    expireTime: datetime("expire_time", { mode: "date", fsp: 3 }).notNull(),
    /** When it left ACTIVE. */
    endTime: datetime("end_time", { mode: "date", fsp: 3 }),
    orderId: varchar("order_id", { length: 36 }),
    /** The order failed or was cancelled and its places went back on sale (once). */
    orderPlacesReturned: boolean("order_places_returned").notNull().default(false),
  },
  (t) => [
    // the sweeper: ACTIVE holds by expire_time
    index("holds_due").on(t.state, t.expireTime),
    index("holds_buyer").on(t.buyerId, t.createTime),
  ],
);

/** The seats of a hold, with the price each was held at. */
export const holdSeats = mysqlTable(
  "hold_seats",
  {
    holdId: varchar("hold_id", { length: 36 }).notNull(),
    seatNo: int("seat_no", { unsigned: true }).notNull(),
    invId: int("inv_id", { unsigned: true }).notNull(),
    sectionNo: smallint("section_no", { unsigned: true }).notNull(),
    priceMinor: bigint("price_minor", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.holdId, t.seatNo] })],
);

/**
 * GA places of a hold per stripe taken from. Outstanding (quantity − returned) while taken_until is
 * not NULL; free by time once taken_until ≤ now (expired, or FREED by a release), until adopted by
 * another hold or put back on the stripe by the sweeper (db/ga.ts).
 */
export const holdGaItems = mysqlTable(
  "hold_ga_items",
  {
    holdId: varchar("hold_id", { length: 36 }).notNull(),
    sectionNo: smallint("section_no", { unsigned: true }).notNull(),
    stripe: smallint("stripe", { unsigned: true }).notNull(),
    invId: int("inv_id", { unsigned: true }).notNull(),
    quantity: int("quantity").notNull(),
    unitPriceMinor: bigint("unit_price_minor", { mode: "number" }).notNull(),
    /** Places of this item already adopted by other holds or back on the stripe. */
    returned: int("returned").notNull().default(0),
    takenUntil: datetime("taken_until", { mode: "date", fsp: 3 }),
    sold: boolean("sold").notNull().default(false),
  },
  (t) => [
    primaryKey({ columns: [t.holdId, t.sectionNo, t.stripe] }),
    // expired-but-unreturned places of a section (lazy expiry, availability counts)
    index("hold_ga_items_outstanding").on(t.invId, t.sectionNo, t.takenUntil),
    // the sweeper: freed places of every event, to put back on their stripes
    index("hold_ga_items_freed").on(t.takenUntil),
  ],
);

/**
 * Per buyer per event: the latest hold (the one a new hold releases; it may have ended since) and
 * the places in PENDING/CONFIRMED orders (the cap). Locked first by placing and converting holds.
 */
export const buyers = mysqlTable(
  "buyers",
  {
    invId: int("inv_id", { unsigned: true }).notNull(),
    buyerId: varchar("buyer_id", { length: 36 }).notNull(),
    lastHoldId: varchar("last_hold_id", { length: 36 }),
    /** The hold before last_hold_id: what placing last_hold_id had to release (one upsert tells it). */
    prevHoldId: varchar("prev_hold_id", { length: 36 }),
    inOrders: int("in_orders").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.invId, t.buyerId] })],
);
