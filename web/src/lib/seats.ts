/**
 * Seat-map geometry, kept free of the DOM: where each seat sits in its row (numeric labels keep
 * their gaps: seat 12 after a missing 11 leaves a hole, as in the hall).
 */
import type { Section } from "../gen/boxoffice/event/v1/venue_pb.js";

/** Key of a seat within its section. */
export const seatKey = (row: string, seat: string): string => `${row}\u0000${seat}`;

export interface PlacedSeat {
  readonly row: string;
  readonly seat: string;
  readonly accessible: boolean;
  /** 1-based column in the drawn grid. */
  readonly column: number;
}

export interface PlacedRow {
  readonly label: string;
  readonly seats: readonly PlacedSeat[];
}

/** Rows of a reserved section with a column per seat; `columns` is the widest row's width. */
export function placeSeats(section: Section): { rows: PlacedRow[]; columns: number } {
  if (section.kind.case !== "reservedSeating") return { rows: [], columns: 0 };
  const rows = section.kind.value.rows;
  const numeric = rows.every((r) => r.seats.every((s) => /^\d{1,4}$/.test(s.label)));
  const min = numeric ? Math.min(...rows.flatMap((r) => r.seats.map((s) => Number(s.label)))) : 1;
  let columns = 0;
  const placed = rows.map((r) => ({
    label: r.label,
    seats: r.seats.map((s, i) => {
      const column = numeric ? Number(s.label) - min + 1 : i + 1;
      columns = Math.max(columns, column);
      return { row: r.label, seat: s.label, accessible: s.accessible, column };
    }),
  }));
  return { rows: placed, columns };
}
