/**
 * From an event's published layout (EventInternalService.GetEventLayout) to inventory rows: one
 * per reserved seat with its position in the row and whether a gap precedes it, and per section its
 * kind, capacity, price and seat-number range. Pure; the repository inserts what this returns.
 *
 * Gaps. The layout lists a row's seats in order and "a seat that does not physically exist is
 * simply absent", so a gap is an absent seat *number*: when every label of a row is an integer, the
 * row's numbering step is the most common distance between neighbouring numbers (1, or 2 for
 * odd/even numbering; ties go to the smaller), and a larger jump is a gap (1,2,3,5 → a gap before 5;
 * 1,3,5,9 → a gap before 9; 9,7,5,3,1,2,4,6,8 → none). Rows with other labels have no gaps.
 */
import type { EventLayout } from "../../../gen/boxoffice/event/v1/event_pb.js";

/** gapBefore per seat of a row, from its labels in layout order. */
export function inferGaps(labels: readonly string[]): boolean[] {
  const out = labels.map(() => false);
  if (labels.length < 3) return out; // one distance is its own step: no gap to see
  const nums = labels.map((l) => (/^\d{1,6}$/.test(l) ? Number(l) : Number.NaN));
  if (nums.some(Number.isNaN)) return out;
  const steps = new Map<number, number>();
  for (let i = 1; i < nums.length; i++) {
    const d = Math.abs(nums[i]! - nums[i - 1]!);
    if (d > 0) steps.set(d, (steps.get(d) ?? 0) + 1);
  }
  let step = Number.POSITIVE_INFINITY;
  let seen = 0;
  for (const [d, n] of steps) if (n > seen || (n === seen && d < step)) [step, seen] = [d, n];
  for (let i = 1; i < nums.length; i++) out[i] = Math.abs(nums[i]! - nums[i - 1]!) > step;
  return out;
}

export interface SectionRow {
  /** Index of the section in the layout: the inventory's compact section number. */
  readonly sectionNo: number;
  readonly sectionId: string;
  readonly name: string;
  readonly kind: "RESERVED" | "GA";
  readonly capacity: number;
  /** Reserved: seat numbers [firstSeat, firstSeat + capacity); GA: 0. */
  readonly firstSeat: number;
  readonly currencyCode: string;
  readonly priceMinor: number;
}

export interface SeatRow {
  /** Event-wide seat number, dense, in layout order (section, row, seat): the claim key. */
  readonly seatNo: number;
  readonly sectionNo: number;
  readonly rowNo: number;
  readonly pos: number;
  readonly rowLength: number;
  readonly gapBefore: boolean;
  readonly accessible: boolean;
  readonly rowLabel: string;
  readonly seatLabel: string;
}

/** A layout the inventory cannot take (a section without a price, say): a permanent error. */
export class LayoutError extends Error {
  override name = "LayoutError";
}

/** Sections and seats of a layout, seats numbered 0… in layout order. */
export function flattenLayout(layout: EventLayout): { sections: SectionRow[]; seats: SeatRow[] } {
  const prices = new Map(layout.priceTiers.map((t) => [t.sectionId, t.price]));
  const sections: SectionRow[] = [];
  const seats: SeatRow[] = [];
  layout.sections.forEach((s, sectionNo) => {
    const price = prices.get(s.id);
    if (price === undefined) throw new LayoutError(`section ${s.id} has no price tier`);
    const base = {
      sectionNo,
      sectionId: s.id,
      name: s.name,
      currencyCode: price.currencyCode,
      priceMinor: Number(price.amountMinor),
    };
    if (s.kind.case === "generalAdmission") {
      sections.push({ ...base, kind: "GA", capacity: s.kind.value.capacity, firstSeat: 0 });
      return;
    }
    if (s.kind.case !== "reservedSeating") throw new LayoutError(`section ${s.id} has no kind`);
    const firstSeat = seats.length;
    s.kind.value.rows.forEach((row, rowNo) => {
      const gaps = inferGaps(row.seats.map((x) => x.label));
      row.seats.forEach((seat, pos) => {
        seats.push({
          seatNo: seats.length,
          sectionNo,
          rowNo,
          pos,
          rowLength: row.seats.length,
          gapBefore: gaps[pos]!,
          accessible: seat.accessible,
          rowLabel: row.label,
          seatLabel: seat.label,
        });
      });
    });
    sections.push({ ...base, kind: "RESERVED", capacity: seats.length - firstSeat, firstSeat });
  });
  return { sections, seats };
}
