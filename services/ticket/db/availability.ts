/**
 * What is left to buy, per section, derived from the places themselves in one statement (one read
 * view), so the counts always add up: total = available + held + sold (+ blocked, always 0 here).
 * A place is available when free by time (lazy expiry), held while taken until a future time,
 * sold once its order is paid.
 */
import { sql } from "drizzle-orm";
import { type Q, rows } from "./sql.js";

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
