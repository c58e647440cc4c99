/**
 * Seat-map geometry and choices, kept free of the DOM: where each seat sits in its row (numeric
 * labels keep their gaps: seat 12 after a missing 11 leaves a hole, as in the hall), and the best
 * block of adjacent available seats for "best available".
 */
import type { Section } from "../gen/boxoffice/event/v1/venue_pb.js";
import { SeatState } from "../gen/boxoffice/ticket/v1/availability_pb.js";

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

/**
 * The best `n` adjacent available seats: the front-most row that has a run of `n` seats next to
 * each other (no gap between their columns), the run nearest the row's middle. Undefined when no row
 * has such a run (the buyer then picks seats on the map).
 */
export function bestAdjacent(
  rows: readonly PlacedRow[],
  columns: number,
  stateOf: (row: string, seat: string) => SeatState | undefined,
  n: number,
): PlacedSeat[] | undefined {
  if (n < 1) return undefined;
  const middle = (columns + 1) / 2;
  for (const row of rows) {
    let best: PlacedSeat[] | undefined;
    let bestDistance = Number.POSITIVE_INFINITY;
    let run: PlacedSeat[] = [];
    const consider = () => {
      for (let i = 0; i + n <= run.length; i++) {
        const block = run.slice(i, i + n);
        const centre = ((block[0]?.column ?? 0) + (block[n - 1]?.column ?? 0)) / 2;
        const d = Math.abs(centre - middle);
        if (d < bestDistance) {
          best = block;
          bestDistance = d;
        }
      }
    };
    for (const s of row.seats) {
      const last = run[run.length - 1];
      const free = stateOf(s.row, s.seat) === SeatState.AVAILABLE;
      if (free && (last === undefined || s.column === last.column + 1)) run.push(s);
      else {
        consider();
        run = free ? [s] : [];
      }
    }
    consider();
    if (best) return best;
  }
  return undefined;
}
