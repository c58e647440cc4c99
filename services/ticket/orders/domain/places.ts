/**
 * From a hold's places to an order's lines, and from lines to tickets: one ticket per seat and one
 * per general admission (a GA line of 4 is four tickets, each admitting one person). Pure.
 */

/** A held seat or GA quantity, as the inventory reports a hold. */
export interface HeldPlaces {
  readonly seats: ReadonlyArray<{ sectionId: string; rowLabel: string; seatLabel: string; priceMinor: number }>;
  readonly generalAdmission: ReadonlyArray<{ sectionId: string; quantity: number; unitPriceMinor: number }>;
}

export interface Line {
  readonly lineNo: number;
  readonly sectionId: string;
  /** Empty for general admission. */
  readonly rowLabel: string;
  readonly seatLabel: string;
  readonly quantity: number;
  readonly unitPriceMinor: number;
}

/** An order's lines: seats first (in the hold's order), then GA sections; line numbers from 1. */
export function linesOf(h: HeldPlaces): Line[] {
  const seats = h.seats.map((s) => ({
    sectionId: s.sectionId,
    rowLabel: s.rowLabel,
    seatLabel: s.seatLabel,
    quantity: 1,
    unitPriceMinor: s.priceMinor,
  }));
  const ga = h.generalAdmission
    .filter((g) => g.quantity > 0)
    .map((g) => ({
      sectionId: g.sectionId,
      rowLabel: "",
      seatLabel: "",
      quantity: g.quantity,
      unitPriceMinor: g.unitPriceMinor,
    }));
  return [...seats, ...ga].map((l, i) => ({ ...l, lineNo: i + 1 }));
}

/** The total of some lines. */
export function totalOf(lines: readonly Line[]): number {
  return lines.reduce((n, l) => n + l.quantity * l.unitPriceMinor, 0);
}

export interface TicketPlace {
  readonly sectionId: string;
  readonly rowLabel: string;
  readonly seatLabel: string;
  /**
   * The place the ticket admits to, unique among the event's live tickets: a seat is one place
   * whoever holds it; each general admission is its own (the section's capacity bounds them).
   */
  readonly placeKey: string;
}

/** The tickets of an order's lines, with `ticketId(i)` naming the i-th. */
export function ticketPlaces(
  eventId: string,
  lines: readonly Line[],
  ticketId: (i: number) => string,
): Array<TicketPlace & { id: string }> {
  const out: Array<TicketPlace & { id: string }> = [];
  for (const l of lines) {
    for (let n = 0; n < l.quantity; n++) {
      const id = ticketId(out.length);
      const seat = l.rowLabel !== "" || l.seatLabel !== "";
      out.push({
        id,
        sectionId: l.sectionId,
        rowLabel: l.rowLabel,
        seatLabel: l.seatLabel,
        placeKey: seat ? seatKey(eventId, l.sectionId, l.rowLabel, l.seatLabel) : `${eventId}|${l.sectionId}|ga|${id}`,
      });
    }
  }
  return out;
}

/** A seat's place key (labels are at most 8 characters each, so the key fits its 128-character column). */
export function seatKey(eventId: string, sectionId: string, row: string, seat: string): string {
  return `${eventId}|${sectionId}|${row}|${seat}`;
}
