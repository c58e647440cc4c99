/**
 * The seat map of one reserved section: a table (row headers, a column per seat position, empty
 * cells for gaps) with one Tab stop (roving tabindex); arrow keys move between seats, Home/End to
 * the row's ends, Enter or Space chooses. A seat's state is
 * told by its accessible name and by shape as well as colour (✓ chosen, × sold, stripes held), so
 * nobody has to tell colours apart.
 */
import { useMemo, useRef, useState } from "preact/hooks";
import type { Section } from "../gen/boxoffice/event/v1/venue_pb.js";
import { SeatState } from "../gen/boxoffice/ticket/v1/availability_pb.js";
import { type PlacedRow, type PlacedSeat, placeSeats, seatKey } from "../lib/seats.js";

export type SeatLook = "available" | "selected" | "yours" | "held" | "sold" | "blocked" | "unknown";

const words: Record<SeatLook, string> = {
  available: "available",
  selected: "chosen",
  yours: "held for you",
  held: "held by another buyer",
  sold: "sold",
  blocked: "not for sale",
  unknown: "availability unknown",
};

const marks: Record<SeatLook, string> = {
  available: "",
  selected: "✓",
  yours: "★",
  held: "",
  sold: "×",
  blocked: "–",
  unknown: "",
};

export function lookOf(state: SeatState | undefined, selected: boolean, yours: boolean): SeatLook {
  if (yours) return "yours";
  if (selected) return "selected";
  switch (state) {
    case SeatState.AVAILABLE:
      return "available";
    case SeatState.HELD:
      return "held";
    case SeatState.SOLD:
      return "sold";
    case SeatState.BLOCKED:
      return "blocked";
    default:
      return "unknown";
  }
}

export interface SeatMapProps {
  section: Section;
  /** Live state per seat key; empty while unknown. */
  stateOf(row: string, seat: string): SeatState | undefined;
  isSelected(row: string, seat: string): boolean;
  isYours(row: string, seat: string): boolean;
  onToggle(row: string, seat: string): void;
  /** "€45.00", read out with each seat. */
  price: string;
}

export function SeatMap(props: SeatMapProps) {
  const { rows, columns } = useMemo(() => placeSeats(props.section), [props.section]);
  const [focus, setFocus] = useState<[number, number]>([0, 0]);
  const grid = useRef<HTMLTableElement>(null);
  const move = (r: number, c: number) => {
    const row = rows[Math.max(0, Math.min(rows.length - 1, r))];
    if (!row || row.seats.length === 0) return;
    const rr = rows.indexOf(row);
    const cc = Math.max(0, Math.min(row.seats.length - 1, c));
    setFocus([rr, cc]);
    grid.current?.querySelector<HTMLButtonElement>(`[data-pos="${rr}-${cc}"]`)?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const [r, c] = focus;
    const here = rows[r]?.seats[c];
    const nearestIn = (rowIndex: number) => {
      // keep the column when moving between rows of different shapes
      const seats = rows[rowIndex]?.seats ?? [];
      let best = 0;
      for (const [i, s] of seats.entries()) {
        if (Math.abs(s.column - (here?.column ?? 0)) < Math.abs((seats[best]?.column ?? 0) - (here?.column ?? 0)))
          best = i;
      }
      return best;
    };
    const keys: Record<string, () => void> = {
      ArrowRight: () => move(r, c + 1),
      ArrowLeft: () => move(r, c - 1),
      ArrowDown: () => move(r + 1, nearestIn(Math.min(rows.length - 1, r + 1))),
      ArrowUp: () => move(r - 1, nearestIn(Math.max(0, r - 1))),
      Home: () => move(r, 0),
      End: () => move(r, (rows[r]?.seats.length ?? 1) - 1),
    };
    const action = keys[e.key];
    if (action) {
      e.preventDefault();
      action();
    }
  };
  const seatButton = (s: PlacedSeat, r: number, c: number) => {
    const state = props.stateOf(s.row, s.seat);
    const look = lookOf(state, props.isSelected(s.row, s.seat), props.isYours(s.row, s.seat));
    const choosable = look === "available" || look === "selected";
    const name = `Row ${s.row}, seat ${s.seat}${s.accessible ? ", wheelchair space" : ""}, ${words[look]}${choosable ? `, ${props.price}` : ""}`;
    return (
      <td key={s.seat}>
        <button
          type="button"
          class={`seat seat--${look}${s.accessible ? " seat--accessible" : ""}`}
          data-seat={`${s.row}-${s.seat}`}
          data-state={look}
          data-pos={`${r}-${c}`}
          tabIndex={focus[0] === r && focus[1] === c ? 0 : -1}
          aria-label={name}
          aria-pressed={look === "selected"}
          aria-disabled={choosable ? undefined : "true"}
          title={name}
          onFocus={() => setFocus([r, c])}
          onKeyDown={onKey}
          onClick={() => choosable && props.onToggle(s.row, s.seat)}
        >
          <span aria-hidden="true">{marks[look] || s.seat}</span>
        </button>
      </td>
    );
  };
  /** A row's cells: one per column, empty where the hall has no seat (a gap keeps its place). */
  const cells = (row: PlacedRow, r: number) => {
    const out = [];
    let col = 1;
    for (const [c, s] of row.seats.entries()) {
      for (; col < s.column; col++) out.push(<td key={`gap-${col}`} class="gap" />);
      out.push(seatButton(s, r, c));
      col = s.column + 1;
    }
    for (; col <= columns; col++) out.push(<td key={`gap-${col}`} class="gap" />);
    return out;
  };
  return (
    <div class="seat-map-scroll">
      <p class="stage" aria-hidden="true">
        Stage
      </p>
      <table ref={grid} class="seat-map" data-testid="seat-map">
        <caption class="visually-hidden">
          Seats in {props.section.name}, front row first. One Tab stop: arrow keys move between seats, Enter or Space
          chooses.
        </caption>
        <tbody>
          {rows.map((row, r) => (
            <tr key={row.label}>
              <th scope="row" class="row-label">
                {row.label}
              </th>
              {cells(row, r)}
            </tr>
          ))}
        </tbody>
      </table>
      <Legend />
    </div>
  );
}

function Legend() {
  const shown: SeatLook[] = ["available", "selected", "yours", "held", "sold"];
  return (
    <ul class="legend" aria-label="Key">
      {shown.map((l) => (
        <li key={l}>
          <span class={`seat seat--${l} seat--swatch`} aria-hidden="true">
            {marks[l]}
          </span>
          {words[l]}
        </li>
      ))}
      <li>
        <span class="seat seat--available seat--accessible seat--swatch" aria-hidden="true" />
        wheelchair space
      </li>
    </ul>
  );
}

export { seatKey };
