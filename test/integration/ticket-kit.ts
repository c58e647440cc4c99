/**
 * Test kit for the ticket service's data layer: a migrated database per suite, layouts built in
 * code, and the invariants every racing test checks against the rows themselves.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { timestampFromMs } from "@bufbuild/protobuf/wkt";
import { type EventLayout, EventLayoutSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import { createDb, type Db, withTransaction } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { type Inventory, loadInventory, materialiseInventory } from "../../services/ticket/db/inventory.js";
import { dropPrefix, infraUrls, testPrefix } from "../support/infra.js";

const migrations = fileURLToPath(new URL("../../services/ticket/db/migrations", import.meta.url));

/** A migrated ticket database under a fresh prefix; `close()` drops it. */
export async function ticketDb(
  poolSize: number,
  opts: { acquireTimeoutMs?: number } = {},
): Promise<{ db: Db; close: () => Promise<void> }> {
  const prefix = testPrefix();
  const database = `${prefix}_ticket`;
  await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: migrations });
  const db = createDb({ url: infraUrls().mariadbUrl, database, poolSize, acquireTimeoutMs: opts.acquireTimeoutMs });
  return {
    db,
    close: async () => {
      await db.close();
      await dropPrefix(prefix);
    },
  };
}

let ids = 0;
/** A unique UUID-shaped id (the repository stores them as strings; sortability is not needed here). */
export function id(): string {
  ids++;
  const hex = `${Date.now().toString(16)}${ids.toString(16).padStart(8, "0")}${Math.random().toString(16).slice(2)}`
    .padEnd(32, "0")
    .slice(0, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export type SectionSpec =
  | { kind: "reserved"; rows: number; seats: number; price?: number; gapsAfter?: number[] }
  | { kind: "ga"; capacity: number; price?: number };

/**
 * A layout with reserved sections of `rows × seats` (rows "1"…, seats "1"…, with an absent number
 * after each seat number in `gapsAfter`) and GA sections, a sales window around `now`.
 */
export function layoutOf(
  sections: SectionSpec[],
  o: { now: number; maxPerOrder?: number; eventId?: string },
): EventLayout {
  const secs = sections.map((s, i) => {
    const sectionId = id();
    if (s.kind === "ga")
      return {
        id: sectionId,
        name: `GA ${i}`,
        capacity: s.capacity,
        kind: { case: "generalAdmission" as const, value: { capacity: s.capacity } },
      };
    const gaps = new Set(s.gapsAfter ?? []);
    return {
      id: sectionId,
      name: `Block ${i}`,
      capacity: s.rows * s.seats,
      kind: {
        case: "reservedSeating" as const,
        value: {
          rows: Array.from({ length: s.rows }, (_, r) => {
            const labels: string[] = [];
            for (let n = 1; labels.length < s.seats; n++) {
              labels.push(String(n));
              if (gaps.has(n)) n++;
            }
            return { label: String(r + 1), seats: labels.map((label) => ({ label })) };
          }),
        },
      },
    };
  });
  return create(EventLayoutSchema, {
    eventId: o.eventId ?? id(),
    layoutVersion: 1n,
    venueId: id(),
    organizerId: id(),
    sections: secs,
    priceTiers: secs.map((s, i) => ({
      sectionId: s.id,
      price: { currencyCode: "EUR", amountMinor: BigInt(sections[i]!.price ?? 1000 * (i + 1)) },
    })),
    maxTicketsPerOrder: o.maxPerOrder ?? 10,
    salesStartTime: timestampFromMs(o.now - 3600_000),
    salesEndTime: timestampFromMs(o.now + 30 * 24 * 3600_000),
  });
}

/** Materialises a layout and loads its inventory. */
export async function openSales(
  db: Db,
  layout: EventLayout,
  o: { now: Date; gaStripes?: number; maxPerBuyer?: number },
): Promise<Inventory> {
  const r = await withTransaction(db, (tx) =>
    materialiseInventory(tx, layout, {
      now: o.now,
      revision: 1,
      gaStripes: o.gaStripes ?? 8,
      maxPerBuyer: o.maxPerBuyer,
    }),
  );
  assert.equal(r.outcome, "created");
  const inv = await loadInventory(db.orm, layout.eventId);
  assert.ok(inv);
  return inv;
}

async function q<T>(db: Db, text: string, params: unknown[]): Promise<T[]> {
  const [r] = await db.pool.query(text, params);
  return r as T[];
}

/**
 * The invariants, read from the rows:
 * - no seat is taken by a hold other than the ACTIVE/CONVERTED one recorded on it, and every seat an
 *   ACTIVE unexpired hold lists is taken by that hold (no place in two live holds);
 * - per GA stripe: available + outstanding places of its items = capacity, available ≥ 0;
 * - per GA section: outstanding unexpired items = the places of live holds.
 */
export async function assertInvariants(db: Db, invId: number, now: Date): Promise<void> {
  const doubled = await q<{ seat_no: number; n: number }>(
    db,
    `SELECT hs.seat_no, COUNT(*) AS n FROM hold_seats hs JOIN holds h ON h.id = hs.hold_id
     WHERE hs.inv_id = ? AND ((h.state = 'CONVERTED' AND NOT h.order_places_returned) OR (h.state = 'ACTIVE' AND h.expire_time > ?))
     GROUP BY hs.seat_no HAVING n > 1`,
    [invId, now],
  );
  assert.deepEqual(doubled, [], "no seat in two live holds");
  const lost = await q<{ seat_no: number }>(
    db,
    `SELECT hs.seat_no FROM hold_seats hs JOIN holds h ON h.id = hs.hold_id
     JOIN seats s ON s.inv_id = hs.inv_id AND s.seat_no = hs.seat_no
     WHERE hs.inv_id = ? AND h.state = 'ACTIVE' AND h.expire_time > ?
       AND (s.hold_id IS NULL OR s.hold_id <> h.id OR s.taken_until IS NULL OR s.taken_until <= ?)`,
    [invId, now, now],
  );
  assert.deepEqual(lost, [], "every seat of a live hold is marked as that hold's");
  const orphanTaken = await q<{ seat_no: number }>(
    db,
    `SELECT s.seat_no FROM seats s LEFT JOIN holds h ON h.id = s.hold_id
     WHERE s.inv_id = ? AND s.taken_until > ?
       AND (h.id IS NULL OR NOT ((h.state = 'CONVERTED' AND NOT h.order_places_returned) OR (h.state = 'ACTIVE' AND h.expire_time > ?)))`,
    [invId, now, now],
  );
  assert.deepEqual(orphanTaken, [], "no seat taken by a hold that is not live");
  const stripes = await q<{ section_no: number; stripe: number; capacity: number; available: number; out: number }>(
    db,
    `SELECT st.section_no, st.stripe, st.capacity, st.available,
            (SELECT COALESCE(SUM(quantity - returned), 0) FROM hold_ga_items g
             WHERE g.inv_id = st.inv_id AND g.section_no = st.section_no AND g.stripe = st.stripe
               AND g.taken_until IS NOT NULL) AS \`out\`
     FROM ga_stripes st WHERE st.inv_id = ?`,
    [invId],
  );
  for (const s of stripes) {
    assert.ok(s.available >= 0, `stripe ${s.section_no}/${s.stripe} not negative`);
    assert.equal(
      s.available + Number(s.out),
      s.capacity,
      `stripe ${s.section_no}/${s.stripe}: available + outstanding = capacity`,
    );
  }
  const gaLive = await q<{ section_no: number; items: number; holds: number }>(
    db,
    `SELECT g.section_no,
            SUM(CASE WHEN g.taken_until > ? THEN g.quantity ELSE 0 END) AS items,
            SUM(CASE WHEN (h.state = 'CONVERTED' AND NOT h.order_places_returned) OR (h.state = 'ACTIVE' AND h.expire_time > ?) THEN g.quantity ELSE 0 END) AS holds
     FROM hold_ga_items g JOIN holds h ON h.id = g.hold_id WHERE g.inv_id = ? GROUP BY g.section_no`,
    [now, now, invId],
  );
  for (const g of gaLive)
    assert.equal(Number(g.items), Number(g.holds), `GA section ${g.section_no}: held = live holds' places`);
}
