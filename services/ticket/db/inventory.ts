/**
 * Inventory per event: materialised once from the published layout (idempotent, batched), stopped
 * by a cancellation (which may arrive first and then wins), prices refreshed by newer revisions.
 */
import { sql } from "drizzle-orm";
import { format } from "mysql2";
import type { EventLayout } from "../../../gen/boxoffice/event/v1/event_pb.js";
import type { Tx } from "../../../platform/db/index.js";
import { flattenLayout, LayoutError, type SeatRow, type SectionRow } from "../domain/layout.js";
import { defaultBuyerCap, type SalesState } from "../domain/limits.js";
import { splitCapacity, stripeCount } from "../domain/stripes.js";
import { type Q, rows, run, utc } from "./sql.js";

/** Rows per INSERT: ~100 KB statements, far below max_allowed_packet, few round trips. */
const SEAT_BATCH = 2_500;

export interface SectionInfo {
  readonly sectionNo: number;
  readonly sectionId: string;
  readonly name: string;
  readonly kind: "RESERVED" | "GA";
  readonly capacity: number;
  readonly firstSeat: number;
  readonly stripes: number;
  readonly currencyCode: string;
  readonly priceMinor: number;
}

/** The event as tickets and emails show it (empty strings / undefined while the event service sent none). */
export interface EventSummary {
  readonly name: string;
  readonly startTime: Date | undefined;
  readonly endTime: Date | undefined;
  readonly timeZone: string;
  readonly venueName: string;
  readonly venueCity: string;
}

/** What a hold needs to know about an event; sections never change after publishing, prices may. */
export interface Inventory {
  readonly invId: number;
  readonly layoutVersion: number;
  /** The organizer who owns the event (check-in and sales figures are theirs). */
  readonly organizerId: string;
  readonly venueId: string;
  readonly sales: SalesState;
  readonly sections: readonly SectionInfo[];
  readonly summary: EventSummary;
}

export interface MaterialiseOptions {
  readonly now: Date;
  /** The event's revision the layout was published at (EventPublished's aggregate version). */
  readonly revision: number;
  /** Stripes per GA section (capped at the capacity). */
  readonly gaStripes: number;
  /** Per-buyer cap per event; 0/undefined = the per-order limit. */
  readonly maxPerBuyer?: number;
}

export type MaterialiseResult =
  | { readonly outcome: "created"; readonly invId: number; readonly seats: number }
  /** Already materialised at this layout version: nothing changed. */
  | { readonly outcome: "unchanged"; readonly invId: number }
  /** The event was cancelled (before or after): no sales are (re)opened. */
  | { readonly outcome: "cancelled"; readonly invId: number }
  /** Materialised at another layout version (published layouts are final): nothing changed. */
  | { readonly outcome: "conflict"; readonly invId: number; readonly layoutVersion: number };

/**
 * Creates the inventory of a published event in `tx`: sections, one row per reserved seat, GA
 * stripes. Idempotent: a second call for the same event changes nothing, and neither does one after
 * a cancellation. Concurrent calls serialise on the event's unique key (the second waits for the
 * first's commit, then finds it). Throws LayoutError for a layout it cannot sell.
 */
export async function materialiseInventory(
  tx: Tx,
  layout: EventLayout,
  opts: MaterialiseOptions,
): Promise<MaterialiseResult> {
  const { sections, seats } = flattenLayout(layout);
  if (!layout.salesStartTime || !layout.salesEndTime) throw new LayoutError("the layout has no sales window");
  const ms = (t: { seconds: bigint; nanos: number }) => Number(t.seconds) * 1000 + Math.floor(t.nanos / 1e6);
  const time = (t: { seconds: bigint; nanos: number } | undefined) => (t === undefined ? null : new Date(ms(t)));
  // The layout's own cap wins; an event service that does not send one yet leaves it to the option.
  const maxPerBuyer = defaultBuyerCap(layout.maxTicketsPerOrder, layout.maxTicketsPerBuyer || opts.maxPerBuyer);
  const inserted = await run(
    tx,
    sql`INSERT IGNORE INTO inventories
          (event_id, status, layout_version, price_revision, venue_id, organizer_id, sales_start, sales_end,
           max_per_order, max_per_buyer, seat_count, create_time,
           name, start_time, end_time, time_zone, venue_name, venue_city, summary_revision)
        VALUES (${layout.eventId}, 'ON_SALE', ${Number(layout.layoutVersion)}, ${opts.revision}, ${layout.venueId},
                ${layout.organizerId}, ${new Date(ms(layout.salesStartTime))}, ${new Date(ms(layout.salesEndTime))},
                ${layout.maxTicketsPerOrder}, ${maxPerBuyer},
                ${seats.length + sections.filter((s) => s.kind === "GA").reduce((n, s) => n + s.capacity, 0)},
                ${opts.now}, ${layout.name.slice(0, 200)}, ${time(layout.startTime)}, ${time(layout.endTime)},
                ${layout.timeZone.slice(0, 64)}, ${layout.venueName.slice(0, 200)}, ${layout.venueCity.slice(0, 100)},
                ${opts.revision})`,
  );
  if (inserted.affectedRows === 0) {
    const [existing] = await rows<{ inv_id: number; status: string; layout_version: number }>(
      tx,
      sql`SELECT inv_id, status, layout_version FROM inventories WHERE event_id = ${layout.eventId}`,
    );
    if (existing === undefined) throw new Error(`inventory of ${layout.eventId} neither inserted nor found`);
    const invId = existing.inv_id;
    if (existing.status === "CANCELLED") return { outcome: "cancelled", invId };
    if (Number(existing.layout_version) === Number(layout.layoutVersion)) return { outcome: "unchanged", invId };
    return { outcome: "conflict", invId, layoutVersion: Number(existing.layout_version) };
  }
  const invId = inserted.insertId;
  await insertSections(tx, invId, sections, opts.gaStripes);
  await insertSeats(tx, invId, seats);
  await insertStripes(tx, invId, sections, opts.gaStripes);
  return { outcome: "created", invId, seats: seats.length };
}

async function insertSections(tx: Tx, invId: number, sections: SectionRow[], gaStripes: number): Promise<void> {
  if (sections.length === 0) return;
  const values = sections.map((s) => [
    invId,
    s.sectionNo,
    s.sectionId,
    s.name,
    s.kind,
    s.capacity,
    s.firstSeat,
    s.kind === "GA" ? stripeCount(s.capacity, gaStripes) : 0,
    s.currencyCode,
    s.priceMinor,
  ]);
  await tx.execute(
    sql.raw(
      format(
        `INSERT INTO inventory_sections
           (inv_id, section_no, section_id, name, kind, capacity, first_seat, stripes, currency_code, price_minor)
         VALUES ?`,
        [values],
      ),
    ),
  );
}

async function insertSeats(tx: Tx, invId: number, seats: SeatRow[]): Promise<void> {
  for (let i = 0; i < seats.length; i += SEAT_BATCH) {
    const values = seats
      .slice(i, i + SEAT_BATCH)
      .map((s) => [
        invId,
        s.seatNo,
        s.sectionNo,
        s.rowNo,
        s.pos,
        s.rowLength,
        s.gapBefore ? 1 : 0,
        s.accessible ? 1 : 0,
        s.rowLabel,
        s.seatLabel,
      ]);
    await tx.execute(
      sql.raw(
        format(
          `INSERT INTO seats
             (inv_id, seat_no, section_no, row_no, pos, row_length, gap_before, \`accessible\`, row_label, seat_label)
           VALUES ?`,
          [values],
        ),
      ),
    );
  }
}

async function insertStripes(tx: Tx, invId: number, sections: SectionRow[], gaStripes: number): Promise<void> {
  const values = sections
    .filter((s) => s.kind === "GA")
    .flatMap((s) =>
      splitCapacity(s.capacity, stripeCount(s.capacity, gaStripes)).map((cap, stripe) => [
        invId,
        s.sectionNo,
        stripe,
        cap,
        cap,
      ]),
    );
  if (values.length === 0) return;
  await tx.execute(
    sql.raw(format("INSERT INTO ga_stripes (inv_id, section_no, stripe, capacity, available) VALUES ?", [values])),
  );
}

/**
 * Stops sales of an event at once and for good. Works before the inventory exists (the
 * cancellation is remembered and a later EventPublished opens nothing). Idempotent; returns whether
 * this call changed anything.
 */
export async function cancelSales(tx: Tx, eventId: string, at: Date): Promise<boolean> {
  const tombstone = await run(
    tx,
    sql`INSERT IGNORE INTO inventories
          (event_id, status, layout_version, price_revision, venue_id, organizer_id, sales_start, sales_end,
           max_per_order, max_per_buyer, seat_count, create_time, cancel_time)
        VALUES (${eventId}, 'CANCELLED', 0, 0, '', '', ${at}, ${at}, 0, 0, 0, ${at}, ${at})`,
  );
  if (tombstone.affectedRows === 1) return true;
  const r = await run(
    tx,
    sql`UPDATE inventories SET status = 'CANCELLED', cancel_time = ${at}
        WHERE event_id = ${eventId} AND status <> 'CANCELLED'`,
  );
  return r.affectedRows === 1;
}

/**
 * New prices for new holds (EventUpdated naming price_tiers), applied only when `revision` is newer
 * than the prices in place, so an old or repeated update changes nothing. Returns whether applied.
 */
export async function updatePrices(
  tx: Tx,
  eventId: string,
  revision: number,
  tiers: ReadonlyArray<{ sectionId: string; currencyCode: string; amountMinor: number }>,
): Promise<boolean> {
  const r = await run(
    tx,
    sql`UPDATE inventories SET price_revision = ${revision}
        WHERE event_id = ${eventId} AND price_revision < ${revision} AND status = 'ON_SALE'`,
  );
  if (r.affectedRows === 0) return false;
  for (const t of tiers) {
    await run(
      tx,
      sql`UPDATE inventory_sections s JOIN inventories i ON i.inv_id = s.inv_id
          SET s.currency_code = ${t.currencyCode}, s.price_minor = ${t.amountMinor}
          WHERE i.event_id = ${eventId} AND s.section_id = ${t.sectionId}`,
    );
  }
  return true;
}

/**
 * The event's summary as of `revision` (EventUpdated: name and times), applied only when newer than
 * the one in place. Returns whether applied.
 */
export async function updateSummary(
  tx: Tx,
  eventId: string,
  revision: number,
  s: { name: string; startTime: Date | undefined; endTime: Date | undefined },
): Promise<boolean> {
  const r = await run(
    tx,
    sql`UPDATE inventories SET summary_revision = ${revision}, name = ${s.name.slice(0, 200)},
                               start_time = ${s.startTime ?? null}, end_time = ${s.endTime ?? null}
        WHERE event_id = ${eventId} AND summary_revision < ${revision} AND layout_version > 0`,
  );
  return r.affectedRows === 1;
}

interface InventoryRow {
  inv_id: number;
  event_id: string;
  status: "ON_SALE" | "CANCELLED";
  layout_version: number;
  venue_id: string;
  organizer_id: string;
  sales_start: Date | string;
  sales_end: Date | string;
  max_per_order: number;
  max_per_buyer: number;
  name: string;
  start_time: Date | string | null;
  end_time: Date | string | null;
  time_zone: string;
  venue_name: string;
  venue_city: string;
}

type SummaryRow = Pick<InventoryRow, "name" | "start_time" | "end_time" | "time_zone" | "venue_name" | "venue_city">;

function summaryOfRow(inv: SummaryRow): EventSummary {
  return {
    name: inv.name,
    startTime: inv.start_time === null ? undefined : utc(inv.start_time),
    endTime: inv.end_time === null ? undefined : utc(inv.end_time),
    timeZone: inv.time_zone,
    venueName: inv.venue_name,
    venueCity: inv.venue_city,
  };
}

/**
 * Only the event's summary, in one read (the order half's emails need nothing else); undefined as
 * for {@link loadInventory}.
 */
export async function loadEventSummary(q: Q, eventId: string): Promise<EventSummary | undefined> {
  const [inv] = await rows<SummaryRow & Pick<InventoryRow, "layout_version">>(
    q,
    sql`SELECT name, start_time, end_time, time_zone, venue_name, venue_city, layout_version
          FROM inventories WHERE event_id = ${eventId}`,
  );
  if (inv === undefined || Number(inv.layout_version) === 0) return undefined;
  return summaryOfRow(inv);
}

/** The inventory of an event with its sections, or undefined when none (or only a cancellation) exists. */
export async function loadInventory(q: Q, eventId: string): Promise<Inventory | undefined> {
  const [inv] = await rows<InventoryRow>(
    q,
    sql`SELECT inv_id, event_id, status, layout_version, venue_id, organizer_id, sales_start, sales_end,
               max_per_order, max_per_buyer, name, start_time, end_time, time_zone, venue_name, venue_city
        FROM inventories WHERE event_id = ${eventId}`,
  );
  if (inv === undefined || Number(inv.layout_version) === 0) return undefined;
  const sections = await rows<{
    section_no: number;
    section_id: string;
    name: string;
    kind: "RESERVED" | "GA";
    capacity: number;
    first_seat: number;
    stripes: number;
    currency_code: string;
    price_minor: number;
  }>(q, sql`SELECT * FROM inventory_sections WHERE inv_id = ${inv.inv_id} ORDER BY section_no`);
  return {
    invId: inv.inv_id,
    layoutVersion: Number(inv.layout_version),
    organizerId: inv.organizer_id,
    venueId: inv.venue_id,
    summary: summaryOfRow(inv),
    sales: {
      eventId: inv.event_id,
      status: inv.status,
      salesStart: utc(inv.sales_start),
      salesEnd: utc(inv.sales_end),
      maxPerOrder: inv.max_per_order,
      maxPerBuyer: inv.max_per_buyer,
    },
    sections: sections.map((s) => ({
      sectionNo: s.section_no,
      sectionId: s.section_id,
      name: s.name,
      kind: s.kind,
      capacity: s.capacity,
      firstSeat: s.first_seat,
      stripes: s.stripes,
      currencyCode: s.currency_code,
      priceMinor: Number(s.price_minor),
    })),
  };
}

export interface SeatLabelRef {
  readonly sectionNo: number;
  readonly rowLabel: string;
  readonly seatLabel: string;
}

/**
 * Seat numbers of seats given by labels (the unique label index), in the order asked; undefined
 * for a label the section does not have. Layouts are final once published, so callers may cache.
 */
export async function resolveSeats(
  q: Q,
  invId: number,
  refs: readonly SeatLabelRef[],
): Promise<Array<number | undefined>> {
  if (refs.length === 0) return [];
  const found = await rows<{ seat_no: number; section_no: number; row_label: string; seat_label: string }>(
    q,
    sql`SELECT seat_no, section_no, row_label, seat_label FROM seats
        WHERE inv_id = ${invId} AND (${sql.join(
          refs.map(
            (r) => sql`(section_no = ${r.sectionNo} AND row_label = ${r.rowLabel} AND seat_label = ${r.seatLabel})`,
          ),
          sql` OR `,
        )})`,
  );
  const key = (s: number, r: string, l: string) => `${s}\u0000${r}\u0000${l}`;
  const by = new Map(found.map((f) => [key(f.section_no, f.row_label, f.seat_label), f.seat_no]));
  return refs.map((r) => by.get(key(r.sectionNo, r.rowLabel, r.seatLabel)));
}

/** Whether an event's inventory exists and how it stands (layout version 0: only a cancellation is known). */
export async function inventoryState(
  q: Q,
  eventId: string,
): Promise<{ status: "ON_SALE" | "CANCELLED"; layoutVersion: number } | undefined> {
  const [r] = await rows<{ status: "ON_SALE" | "CANCELLED"; layout_version: number }>(
    q,
    sql`SELECT status, layout_version FROM inventories WHERE event_id = ${eventId}`,
  );
  return r === undefined ? undefined : { status: r.status, layoutVersion: Number(r.layout_version) };
}
