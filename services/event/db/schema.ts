/**
 * The event service's own tables (platform tables come from platform/db/platform-schema.ts).
 * No relative imports: drizzle-kit loads this file with its own loader.
 */
import {
  bigint,
  customType,
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  text,
  varchar,
} from "drizzle-orm/mysql-core";

const mediumblob = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => "mediumblob" });

export const venues = mysqlTable(
  "venues",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    organizerId: varchar("organizer_id", { length: 36 }).notNull(),
    name: varchar("name", { length: 200 }).notNull(),
    addressLine: varchar("address_line", { length: 300 }).notNull(),
    city: varchar("city", { length: 100 }).notNull(),
    countryCode: varchar("country_code", { length: 2 }).notNull(),
    timeZone: varchar("time_zone", { length: 64 }).notNull(),
    seatCount: int("seat_count").notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [index("venues_organizer").on(t.organizerId, t.id)],
);

/**
 * One row per section; a reserved section's seat map is one serialized `ReservedSeating` message
 * (a stadium section of thousands of seats is read and written whole, never seat by seat here —
 * the ticket service materialises per-seat inventory from the published layout).
 */
export const venueSections = mysqlTable(
  "venue_sections",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    venueId: varchar("venue_id", { length: 36 }).notNull(),
    position: int("position").notNull(),
    name: varchar("name", { length: 100 }).notNull(),
    /** "reserved" or "general_admission". */
    kind: varchar("kind", { length: 20 }).notNull(),
    capacity: int("capacity").notNull(),
    seatMap: mediumblob("seat_map"),
  },
  (t) => [index("venue_sections_venue").on(t.venueId, t.position)],
);

export const events = mysqlTable(
  "events",
  {
    id: varchar("id", { length: 36 }).primaryKey(),
    organizerId: varchar("organizer_id", { length: 36 }).notNull(),
    venueId: varchar("venue_id", { length: 36 }).notNull(),
    name: varchar("name", { length: 200 }).notNull(),
    description: text("description").notNull(),
    city: varchar("city", { length: 100 }).notNull(),
    startTime: datetime("start_time", { mode: "date", fsp: 3 }).notNull(),
    endTime: datetime("end_time", { mode: "date", fsp: 3 }).notNull(),
    timeZone: varchar("time_zone", { length: 64 }).notNull(),
    /** DRAFT, PUBLISHED or CANCELLED (ENDED is derived from end_time when read). */
    state: varchar("state", { length: 16 }).notNull(),
    maxTicketsPerOrder: int("max_tickets_per_order").notNull(),
    /** Most tickets one buyer may have for the event; 0 = the per-order limit. */
    maxTicketsPerBuyer: int("max_tickets_per_buyer").notNull().default(0),
    /** The sales window: optional while DRAFT, required to publish. */
    salesStartTime: datetime("sales_start_time", { mode: "date", fsp: 3 }),
    salesEndTime: datetime("sales_end_time", { mode: "date", fsp: 3 }),
    layoutVersion: bigint("layout_version", { mode: "number" }).notNull(),
    revision: bigint("revision", { mode: "number" }).notNull(),
    createTime: datetime("create_time", { mode: "date", fsp: 3 }).notNull(),
    updateTime: datetime("update_time", { mode: "date", fsp: 3 }).notNull(),
    publishTime: datetime("publish_time", { mode: "date", fsp: 3 }),
    cancelTime: datetime("cancel_time", { mode: "date", fsp: 3 }),
    cancelReason: varchar("cancel_reason", { length: 500 }).notNull().default(""),
  },
  (t) => [
    index("events_listing").on(t.state, t.startTime, t.id),
    index("events_organizer").on(t.organizerId, t.startTime, t.id),
  ],
);

export const eventPriceTiers = mysqlTable(
  "event_price_tiers",
  {
    eventId: varchar("event_id", { length: 36 }).notNull(),
    sectionId: varchar("section_id", { length: 36 }).notNull(),
    /** The tier's place in the organiser's list, so answers keep their order. */
    position: int("position").notNull(),
    currencyCode: varchar("currency_code", { length: 3 }).notNull(),
    amountMinor: bigint("amount_minor", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.sectionId] })],
);

/** Every change of an event, versioned: the Event message as it was after revision `revision`. */
export const eventRevisions = mysqlTable(
  "event_revisions",
  {
    eventId: varchar("event_id", { length: 36 }).notNull(),
    revision: bigint("revision", { mode: "number" }).notNull(),
    changedFields: varchar("changed_fields", { length: 1000 }).notNull(),
    actor: varchar("actor", { length: 64 }).notNull(),
    snapshot: mediumblob("snapshot").notNull(),
    changeTime: datetime("change_time", { mode: "date", fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.eventId, t.revision] })],
);
