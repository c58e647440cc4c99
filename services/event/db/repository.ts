import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { and, asc, eq, gt, gte, inArray, like, lt, or, type SQL, sql } from "drizzle-orm";
import type { MySql2Database } from "drizzle-orm/mysql2";
import { MoneySchema } from "../../gen/boxoffice/common/v1/money_pb.js";
import { type Event, EventSchema, EventState, PriceTierSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import {
  ReservedSeatingSchema,
  type Section,
  SectionSchema,
  type Venue,
  VenueSchema,
} from "../../gen/boxoffice/event/v1/venue_pb.js";
import type { Tx } from "../../platform/db/index.js";
import { eventPriceTiers, eventRevisions, events, venueSections, venues } from "./db/schema.js";
import { sectionCapacity } from "./domain/validation.js";

type Q = Tx | MySql2Database;
export type EventRow = typeof events.$inferSelect;

const stateNames: Record<string, EventState> = {
  DRAFT: EventState.DRAFT,
  PUBLISHED: EventState.PUBLISHED,
  CANCELLED: EventState.CANCELLED,
};
export const stateName = (s: EventState): string => EventState[s];

// ---------- venues ----------

export async function insertVenue(
  tx: Tx,
  v: Venue,
  organizerId: string,
  newId: () => string,
  at: Date,
): Promise<string> {
  const id = newId();
  await tx.insert(venues).values({
    id,
    organizerId,
    name: v.name.trim(),
    addressLine: v.addressLine.trim(),
    city: v.city.trim(),
    countryCode: v.countryCode.toUpperCase(),
    timeZone: v.timeZone,
    seatCount: v.sections.reduce((n, s) => n + sectionCapacity(s), 0),
    createTime: at,
    updateTime: at,
  });
  const rows = v.sections.map((s, position) => ({
    id: newId(),
    venueId: id,
    position,
    name: s.name.trim(),
    kind: s.kind.case === "reservedSeating" ? "reserved" : "general_admission",
    capacity: sectionCapacity(s),
    seatMap: s.kind.case === "reservedSeating" ? Buffer.from(toBinary(ReservedSeatingSchema, s.kind.value)) : null,
  }));
  for (let i = 0; i < rows.length; i += 200) await tx.insert(venueSections).values(rows.slice(i, i + 200));
  return id;
}

/** A venue with its sections; `full` includes every section's seat map. */
export async function loadVenue(q: Q, id: string, full: boolean): Promise<Venue | undefined> {
  const [row] = await q.select().from(venues).where(eq(venues.id, id));
  if (row === undefined) return undefined;
  return toVenue(row, await loadSections(q, [id], full));
}

async function loadSections(q: Q, venueIds: string[], full: boolean) {
  if (venueIds.length === 0) return [];
  const cols = {
    id: venueSections.id,
    venueId: venueSections.venueId,
    position: venueSections.position,
    name: venueSections.name,
    kind: venueSections.kind,
    capacity: venueSections.capacity,
  };
  const query = full
    ? q.select({ ...cols, seatMap: venueSections.seatMap })
    : q.select({ ...cols, seatMap: sql<Buffer | null>`NULL` });
  return query
    .from(venueSections)
    .where(inArray(venueSections.venueId, venueIds))
    .orderBy(asc(venueSections.venueId), asc(venueSections.position));
}

type SectionRow = Awaited<ReturnType<typeof loadSections>>[number];

function toSection(s: SectionRow): Section {
  const section = create(SectionSchema, { id: s.id, name: s.name, capacity: s.capacity });
  if (s.kind === "general_admission")
    section.kind = {
      case: "generalAdmission",
      value: { $typeName: "boxoffice.event.v1.GeneralAdmission", capacity: s.capacity },
    };
  else
    section.kind = {
      case: "reservedSeating",
      value: s.seatMap ? fromBinary(ReservedSeatingSchema, s.seatMap) : create(ReservedSeatingSchema),
    };
  return section;
}

function toVenue(row: typeof venues.$inferSelect, sections: SectionRow[]): Venue {
  return create(VenueSchema, {
    id: row.id,
    organizerId: row.organizerId,
    name: row.name,
    addressLine: row.addressLine,
    city: row.city,
    countryCode: row.countryCode,
    timeZone: row.timeZone,
    seatCount: row.seatCount,
    sections: sections.filter((s) => s.venueId === row.id).map(toSection),
    createTime: timestampFromDate(row.createTime),
    updateTime: timestampFromDate(row.updateTime),
  });
}

export async function listVenues(
  q: Q,
  f: { organizerId?: string; afterId?: string; limit: number; full: boolean },
): Promise<Venue[]> {
  const where: SQL[] = [];
  if (f.organizerId) where.push(eq(venues.organizerId, f.organizerId));
  if (f.afterId) where.push(gt(venues.id, f.afterId));
  const rows = await q
    .select()
    .from(venues)
    .where(and(...where))
    .orderBy(asc(venues.id))
    .limit(f.limit);
  const sections = await loadSections(
    q,
    rows.map((r) => r.id),
    f.full,
  );
  return rows.map((r) => toVenue(r, sections));
}

export async function venueSectionIds(
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

export function toEvent(row: EventRow, tiers: Array<typeof eventPriceTiers.$inferSelect>, nowMs: number): Event {
  let state = stateNames[row.state] ?? EventState.UNSPECIFIED;
  if (state === EventState.PUBLISHED && row.endTime.getTime() <= nowMs) state = EventState.ENDED;
  return create(EventSchema, {
    id: row.id,
    organizerId: row.organizerId,
    venueId: row.venueId,
    name: row.name,
    description: row.description,
    city: row.city,
    startTime: timestampFromDate(row.startTime),
    endTime: timestampFromDate(row.endTime),
    timeZone: row.timeZone,
    state,
    priceTiers: tiers.map((t) =>
      create(PriceTierSchema, {
        sectionId: t.sectionId,
        price: create(MoneySchema, { currencyCode: t.currencyCode, amountMinor: BigInt(t.amountMinor) }),
      }),
    ),
    maxTicketsPerOrder: row.maxTicketsPerOrder,
    salesStartTime: row.salesStartTime ? timestampFromDate(row.salesStartTime) : undefined,
    salesEndTime: row.salesEndTime ? timestampFromDate(row.salesEndTime) : undefined,
    layoutVersion: BigInt(row.layoutVersion),
    revision: BigInt(row.revision),
    createTime: timestampFromDate(row.createTime),
    updateTime: timestampFromDate(row.updateTime),
    publishTime: row.publishTime ? timestampFromDate(row.publishTime) : undefined,
    cancelTime: row.cancelTime ? timestampFromDate(row.cancelTime) : undefined,
    cancelReason: row.cancelReason,
  });
}

export async function loadEventRow(q: Q, id: string, forUpdate = false): Promise<EventRow | undefined> {
  const query = q.select().from(events).where(eq(events.id, id));
  const [row] = forUpdate ? await query.for("update") : await query;
  return row;
}

export async function loadTiers(q: Q, eventIds: string[]) {
  if (eventIds.length === 0) return [];
  return q
    .select()
    .from(eventPriceTiers)
    .where(inArray(eventPriceTiers.eventId, eventIds))
    .orderBy(asc(eventPriceTiers.eventId), asc(eventPriceTiers.position));
}

export async function loadEvent(q: Q, id: string, nowMs: number): Promise<Event | undefined> {
  const row = await loadEventRow(q, id);
  return row === undefined ? undefined : toEvent(row, await loadTiers(q, [id]), nowMs);
}

export async function insertEventRow(tx: Tx, row: typeof events.$inferInsert): Promise<void> {
  await tx.insert(events).values(row);
}

export async function updateEventRow(tx: Tx, id: string, set: Partial<typeof events.$inferInsert>): Promise<void> {
  await tx.update(events).set(set).where(eq(events.id, id));
}

export async function replaceTiers(tx: Tx, eventId: string, tiers: Event["priceTiers"]): Promise<void> {
  await tx.delete(eventPriceTiers).where(eq(eventPriceTiers.eventId, eventId));
  if (tiers.length === 0) return;
  await tx.insert(eventPriceTiers).values(
    tiers.map((t, position) => ({
      eventId,
      sectionId: t.sectionId,
      position,
      currencyCode: t.price!.currencyCode,
      amountMinor: Number(t.price!.amountMinor),
    })),
  );
}

export async function recordRevision(
  tx: Tx,
  e: Event,
  changedFields: string[],
  actor: string,
  at: Date,
): Promise<void> {
  await tx.insert(eventRevisions).values({
    eventId: e.id,
    revision: Number(e.revision),
    changedFields: changedFields.join(",").slice(0, 1000),
    actor,
    snapshot: Buffer.from(toBinary(EventSchema, e)),
    changeTime: at,
  });
}

export interface EventFilter {
  states: string[];
  notEndedBy?: Date;
  startAfter?: Date;
  startBefore?: Date;
  city?: string;
  query?: string;
  organizerId?: string;
  cursor?: { startMs: number; id: string };
  limit: number;
}

/** Events in (start_time, id) order after the cursor. */
export async function listEvents(q: Q, f: EventFilter, nowMs: number): Promise<Event[]> {
  const where: SQL[] = [inArray(events.state, f.states)];
  if (f.notEndedBy) where.push(gt(events.endTime, f.notEndedBy));
  if (f.startAfter) where.push(gte(events.startTime, f.startAfter));
  if (f.startBefore) where.push(lt(events.startTime, f.startBefore));
  if (f.city) where.push(eq(events.city, f.city));
  if (f.query) where.push(like(events.name, `%${f.query.replace(/[\\%_]/g, (c) => `\\${c}`)}%`));
  if (f.organizerId) where.push(eq(events.organizerId, f.organizerId));
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
  const tiers = await loadTiers(
    q,
    rows.map((r) => r.id),
  );
  return rows.map((r) =>
    toEvent(
      r,
      tiers.filter((t) => t.eventId === r.id),
      nowMs,
    ),
  );
}
