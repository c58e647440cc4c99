/**
 * What is left to buy, per section, derived from the places themselves in one statement (one read
 * view), so the counts always add up: total = available + held + sold (+ blocked, always 0 here).
 * A place is available when free by time (lazy expiry), held while taken until a future time,
 * sold once its order is paid.
 */
import { sql } from "drizzle-orm";
import { type Q, rows, utc } from "./sql.js";

export interface SectionCounts {
  readonly sectionNo: number;
  readonly total: number;
  readonly available: number;
  readonly held: number;
  readonly sold: number;
}

export type SeatState = "AVAILABLE" | "HELD" | "SOLD";

export interface SeatStateRow {
  readonly seatNo: number;
  readonly rowNo: number;
  readonly rowLabel: string;
  readonly seatLabel: string;
  readonly state: SeatState;
}

/** Counts for every section of an inventory (reserved from seats, GA from stripes and items). */
export async function sectionCounts(q: Q, invId: number, now: Date): Promise<SectionCounts[]> {
  const found = await rows<{ section_no: number; total: number; available: number; sold: number }>(
    q,
    sql`SELECT section_no, COUNT(*) AS total,
               SUM(taken_until IS NULL OR taken_until <= ${now}) AS available, SUM(sold) AS sold
        FROM seats WHERE inv_id = ${invId} GROUP BY section_no
        UNION ALL
        SELECT sec.section_no, sec.capacity AS total,
               (SELECT COALESCE(SUM(available), 0) FROM ga_stripes st
                 WHERE st.inv_id = sec.inv_id AND st.section_no = sec.section_no)
             + (SELECT COALESCE(SUM(quantity - returned), 0) FROM hold_ga_items g
                 WHERE g.inv_id = sec.inv_id AND g.section_no = sec.section_no AND g.taken_until <= ${now}) AS available,
               (SELECT COALESCE(SUM(quantity), 0) FROM hold_ga_items g
                 WHERE g.inv_id = sec.inv_id AND g.section_no = sec.section_no AND g.sold) AS sold
        FROM inventory_sections sec WHERE sec.inv_id = ${invId} AND sec.kind = 'GA'`,
  );
  return found
    .map((r) => {
      const total = Number(r.total);
      const available = Number(r.available);
      const sold = Number(r.sold);
      return { sectionNo: r.section_no, total, available, sold, held: total - available - sold };
    })
    .sort((a, b) => a.sectionNo - b.sectionNo);
}

/**
 * Every seat's state in a seat-number range (a section: [first, first + capacity)), in layout
 * order, with the counts derived from the same rows.
 */
export async function seatStates(
  q: Q,
  invId: number,
  from: number,
  to: number,
  now: Date,
): Promise<{ seats: SeatStateRow[]; available: number; held: number; sold: number }> {
  const found = await rows<{ seat_no: number; row_no: number; row_label: string; seat_label: string; st: number }>(
    q,
    sql`SELECT seat_no, row_no, row_label, seat_label,
               CASE WHEN sold THEN 2 WHEN taken_until IS NULL OR taken_until <= ${now} THEN 0 ELSE 1 END AS st
        FROM seats WHERE inv_id = ${invId} AND seat_no >= ${from} AND seat_no < ${to} ORDER BY seat_no`,
  );
  const names: SeatState[] = ["AVAILABLE", "HELD", "SOLD"];
  const n = [0, 0, 0];
  const seats = found.map((f) => {
    n[f.st]!++;
    return { seatNo: f.seat_no, rowNo: f.row_no, rowLabel: f.row_label, seatLabel: f.seat_label, state: names[f.st]! };
  });
  return { seats, available: n[0]!, held: n[1]!, sold: n[2]! };
}

/** A GA section's places for sale now (stripes plus freed places not yet put back) and sold. */
export interface GaCounts {
  readonly sectionNo: number;
  readonly available: number;
  readonly sold: number;
}

/** Every GA section's counts in one statement (a live map refreshes them after a change). */
export async function gaCounts(q: Q, invId: number, now: Date): Promise<GaCounts[]> {
  const found = await rows<{ section_no: number; available: number; sold: number }>(
    q,
    sql`SELECT sec.section_no,
               (SELECT COALESCE(SUM(available), 0) FROM ga_stripes st
                 WHERE st.inv_id = sec.inv_id AND st.section_no = sec.section_no)
             + (SELECT COALESCE(SUM(quantity - returned), 0) FROM hold_ga_items g
                 WHERE g.inv_id = sec.inv_id AND g.section_no = sec.section_no AND g.taken_until <= ${now}) AS available,
               (SELECT COALESCE(SUM(quantity), 0) FROM hold_ga_items g
                 WHERE g.inv_id = sec.inv_id AND g.section_no = sec.section_no AND g.sold) AS sold
        FROM inventory_sections sec WHERE sec.inv_id = ${invId} AND sec.kind = 'GA'`,
  );
  return found.map((r) => ({ sectionNo: r.section_no, available: Number(r.available), sold: Number(r.sold) }));
}

/** A seat as the live map needs it: labels (static) and the facts that decide its state. */
export interface SeatRowFacts {
  readonly seatNo: number;
  readonly rowNo: number;
  readonly rowLabel: string;
  readonly seatLabel: string;
  /** ms since the epoch; 0 when never taken. */
  readonly takenUntil: number;
  readonly sold: boolean;
}

const untilMs = (v: Date | string | null) => (v === null ? 0 : utc(v).getTime());

/** Every seat of an inventory with its labels and facts, in layout order (one read per live map). */
export async function allSeatFacts(q: Q, invId: number): Promise<SeatRowFacts[]> {
  const found = await rows<{
    seat_no: number;
    row_no: number;
    row_label: string;
    seat_label: string;
    taken_until: Date | string | null;
    sold: number;
  }>(
    q,
    sql`SELECT seat_no, row_no, row_label, seat_label, taken_until, sold FROM seats
        WHERE inv_id = ${invId} ORDER BY seat_no`,
  );
  return found.map((f) => ({
    seatNo: f.seat_no,
    rowNo: f.row_no,
    rowLabel: f.row_label,
    seatLabel: f.seat_label,
    takenUntil: untilMs(f.taken_until),
    sold: f.sold === 1,
  }));
}

/** The facts of the seats some holds took (whatever happened to them since): what a change notice points at. */
export async function holdSeatFacts(
  q: Q,
  holdIds: readonly string[],
): Promise<Array<{ seatNo: number; takenUntil: number; sold: boolean }>> {
  if (holdIds.length === 0) return [];
  const found = await rows<{ seat_no: number; taken_until: Date | string | null; sold: number }>(
    q,
    sql`SELECT s.seat_no, s.taken_until, s.sold FROM hold_seats hs
        JOIN seats s ON s.inv_id = hs.inv_id AND s.seat_no = hs.seat_no
        WHERE hs.hold_id IN (${sql.join(
          holdIds.map((h) => sql`${h}`),
          sql`, `,
        )})`,
  );
  return found.map((f) => ({ seatNo: f.seat_no, takenUntil: untilMs(f.taken_until), sold: f.sold === 1 }));
}
