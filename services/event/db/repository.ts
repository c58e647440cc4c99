import { and, asc, eq, gt, gte, inArray, isNotNull, like, lt, ne, or, type SQL, sql } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import type { Tx } from "../../../platform/db/index.js";
import { eventPriceTiers, eventRevisions, events, venueSections, venues } from "./schema.js";

/**
 * The event service's queries. They take a transaction (writes, and reads that must see them) or
 * the pool, and return rows — never proto messages: mappers.ts turns rows into messages.
 */

type Q = Tx | MySql2Database;
export type VenueRow = typeof venues.$inferSelect;
export type NewVenueRow = typeof venues.$inferInsert;
export type NewSectionRow = typeof venueSections.$inferInsert;
export type EventRow = typeof events.$inferSelect;
export type NewEventRow = typeof events.$inferInsert;
export type TierRow = typeof eventPriceTiers.$inferSelect;
/** A section; `seatMap` is null unless seat maps were asked for (and for general admission). */
export type SectionRow = Awaited<ReturnType<typeof findSections>>[number];

// ---------- venues ----------

export async function insertVenue(tx: Tx, venue: NewVenueRow, sections: NewSectionRow[]): Promise<void> {
  await tx.insert(venues).values(venue);
  for (let i = 0; i < sections.length; i += 200) await tx.insert(venueSections).values(sections.slice(i, i + 200));
}

export async function findVenue(q: Q, id: string): Promise<VenueRow | undefined> {
  const [row] = await q.select().from(venues).where(eq(venues.id, id));
  return row;
}

/** The sections of `venueIds` in (venue, position) order; seat maps only when `withSeatMaps`. */
export async function findSections(q: Q, venueIds: string[], withSeatMaps: boolean) {
  if (venueIds.length === 0) return [];
  const cols = {
    id: venueSections.id,
    venueId: venueSections.venueId,
    position: venueSections.position,
    name: venueSections.name,
    kind: venueSections.kind,
    capacity: venueSections.capacity,
  };
  const query = withSeatMaps
    ? q.select({ ...cols, seatMap: venueSections.seatMap })
    : q.select({ ...cols, seatMap: sql<Buffer | null>`NULL` });
  return query
    .from(venueSections)
    .where(inArray(venueSections.venueId, venueIds))
    .orderBy(asc(venueSections.venueId), asc(venueSections.position));
}

/** Venues in id order after `afterId`. */
export async function listVenues(
  q: Q,
  f: { organizerId?: string; afterId?: string; limit: number },
): Promise<VenueRow[]> {
  const where: SQL[] = [];
  if (f.organizerId) where.push(eq(venues.organizerId, f.organizerId));
  if (f.afterId) where.push(gt(venues.id, f.afterId));
  return q
    .select()
    .from(venues)
    .where(and(...where))
    .orderBy(asc(venues.id))
    .limit(f.limit);
}

/** What an event needs from its venue: owner, city, time zone and section ids. */
export async function venueFacts(
  q: Q,
  venueId: string,
): Promise<{ organizerId: string; city: string; timeZone: string; sectionIds: Set<string> } | undefined> {
  const [v] = await q
    .select({ organizerId: venues.organizerId, city: venues.city, timeZone: venues.timeZone })
    .from(venues)
    .where(eq(venues.id, venueId));
  if (v === undefined) return undefined;
  const rows = await q.select({ id: venueSections.id }).from(venueSections).where(eq(venueSections.venueId, venueId));
  return { ...v, sectionIds: new Set(rows.map((r) => r.id)) };
}

// ---------- events ----------

export async function findEvent(q: Q, id: string, opts: { forUpdate?: boolean } = {}): Promise<EventRow | undefined> {
  const query = q.select().from(events).where(eq(events.id, id));
  const [row] = opts.forUpdate ? await query.for("update") : await query;
  return row;
}

/** The price tiers of `eventIds`, in (event, position) order. */
export async function findTiers(q: Q, eventIds: string[]): Promise<TierRow[]> {
  if (eventIds.length === 0) return [];
  return q
    .select()
    .from(eventPriceTiers)
    .where(inArray(eventPriceTiers.eventId, eventIds))
    .orderBy(asc(eventPriceTiers.eventId), asc(eventPriceTiers.position));
}

/** An event with its tiers. */
export async function findEventWithTiers(q: Q, id: string): Promise<{ row: EventRow; tiers: TierRow[] } | undefined> {
  const row = await findEvent(q, id);
  return row === undefined ? undefined : { row, tiers: await findTiers(q, [id]) };
}

export async function insertEvent(tx: Tx, row: NewEventRow): Promise<void> {
  await tx.insert(events).values(row);
}

export async function updateEvent(tx: Tx, id: string, set: Partial<NewEventRow>): Promise<void> {
  await tx.update(events).set(set).where(eq(events.id, id));
}

export async function replaceTiers(tx: Tx, eventId: string, tiers: TierRow[]): Promise<void> {
  await tx.delete(eventPriceTiers).where(eq(eventPriceTiers.eventId, eventId));
  if (tiers.length > 0) await tx.insert(eventPriceTiers).values(tiers);
}

export async function insertRevision(tx: Tx, row: typeof eventRevisions.$inferInsert): Promise<void> {
  await tx.insert(eventRevisions).values({ ...row, changedFields: row.changedFields.slice(0, 1000) });
}

export interface EventFilter {
  /** Stored states (DRAFT, PUBLISHED, CANCELLED). */
  states: string[];
  notEndedBy?: Date;
  startAfter?: Date;
  startBefore?: Date;
  city?: string;
  query?: string;
  organizerId?: string;
  /**
   * Who may see cancelled events that were never published: everyone's (`"all"`, an admin), one
   * organiser's own, or nobody's (undefined).
   */
  privateOf?: "all" | { organizerId: string };
  cursor?: { startMs: number; id: string };
  limit: number;
}

/** Events in (start_time, id) order after the cursor, with their tiers. */
export async function listEvents(q: Q, f: EventFilter): Promise<{ rows: EventRow[]; tiers: TierRow[] }> {
  const where: SQL[] = [inArray(events.state, f.states)];
  if (f.notEndedBy) where.push(gt(events.endTime, f.notEndedBy));
  if (f.startAfter) where.push(gte(events.startTime, f.startAfter));
  if (f.startBefore) where.push(lt(events.startTime, f.startBefore));
  if (f.city) where.push(eq(events.city, f.city));
  if (f.query) where.push(like(events.name, `%${f.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (f.organizerId) where.push(eq(events.organizerId, f.organizerId));
  if (f.privateOf !== "all" && f.states.includes("CANCELLED")) {
    const own = f.privateOf === undefined ? [] : [eq(events.organizerId, f.privateOf.organizerId)];
    where.push(or(ne(events.state, "CANCELLED"), isNotNull(events.publishTime), ...own)!);
  }
  if (f.cursor) {
    const at = new Date(f.cursor.startMs);
    where.push(or(gt(events.startTime, at), and(eq(events.startTime, at), gt(events.id, f.cursor.id)))!);
  }
  const rows = await q
    .select()
    .from(events)
    .where(and(...where))
    .orderBy(asc(events.startTime), asc(events.id))
    .limit(f.limit);
  return {
    rows,
    tiers: await findTiers(
      q,
      rows.map((r) => r.id),
    ),
  };
}
