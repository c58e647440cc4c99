/**
 * An event's live availability as one process keeps it for watchers: every reserved seat's state
 * and every section's counts, moved forward by facts read from the inventory (a seat's
 * `taken_until` and `sold`, a GA section's counts), with a bounded log of what changed at each
 * version so a stream can be sent only the changes since the version it last saw.
 *
 * Pure: the caller reads the facts and passes the clock's now. A seat is HELD while taken until a
 * future time (lazy expiry: the map flips it back to AVAILABLE when that time passes, as the claim
 * condition does), SOLD once paid, else AVAILABLE. Facts are absolute, so applying one twice, or
 * late, changes nothing: the map converges to the rows whatever order the notices came in.
 */

export const AVAILABLE = 0;
export const HELD = 1;
export const SOLD = 2;
export type PlaceState = typeof AVAILABLE | typeof HELD | typeof SOLD;

export interface MapSection {
  readonly sectionNo: number;
  readonly kind: "RESERVED" | "GA";
  readonly capacity: number;
  /** RESERVED: seats [firstSeat, firstSeat + capacity). */
  readonly firstSeat: number;
}

/** What the rows say about one seat: taken until (ms since the epoch; 0 = never taken) and paid. */
export interface SeatFact {
  readonly seatNo: number;
  readonly takenUntil: number;
  readonly sold: boolean;
}

export interface Counts {
  readonly total: number;
  readonly available: number;
  readonly held: number;
  readonly sold: number;
}

/** The changes after some version: sections whose counts (or price, sales state) changed, seats whose state did. */
export interface Changes {
  readonly sections: ReadonlySet<number>;
  readonly seats: readonly number[];
}

interface LogEntry {
  readonly version: number;
  readonly sections: readonly number[];
  readonly seats: readonly number[];
}

/** How much change history is kept: streams further behind get a full snapshot instead. */
export interface LogBounds {
  readonly maxEntries: number;
  readonly maxSeats: number;
}

const DEFAULT_BOUNDS: LogBounds = { maxEntries: 256, maxSeats: 20_000 };

export class SeatMap {
  readonly sections: readonly MapSection[];
  readonly #state: Uint8Array;
  readonly #until: Float64Array;
  readonly #sectionOf: Uint16Array;
  readonly #counts = new Map<number, { available: number; held: number; sold: number; total: number }>();
  readonly #log: LogEntry[] = [];
  readonly #bounds: LogBounds;
  #logSeats = 0;
  #version = 0;
  /** Everything at or below this version was dropped from the log. */
  #base = 0;
  #nextExpiry = Number.POSITIVE_INFINITY;
  #pendingSections = new Set<number>();
  #pendingSeats: number[] = [];

  /** All seats start AVAILABLE and GA sections empty of holds; load the rows with {@link applySeats}. */
  constructor(sections: readonly MapSection[], bounds: LogBounds = DEFAULT_BOUNDS) {
    this.sections = [...sections].sort((a, b) => a.sectionNo - b.sectionNo);
    this.#bounds = bounds;
    const seatCount = this.sections.reduce(
      (n, s) => (s.kind === "RESERVED" ? Math.max(n, s.firstSeat + s.capacity) : n),
      0,
    );
    this.#state = new Uint8Array(seatCount);
    this.#until = new Float64Array(seatCount);
    this.#sectionOf = new Uint16Array(seatCount);
    for (const s of this.sections) {
      this.#counts.set(s.sectionNo, { total: s.capacity, available: s.capacity, held: 0, sold: 0 });
      if (s.kind === "RESERVED") this.#sectionOf.fill(s.sectionNo, s.firstSeat, s.firstSeat + s.capacity);
    }
  }

  /** Increases with every change; a stream remembers the version it last sent. */
  get version(): number {
    return this.#version;
  }

  get seatCount(): number {
    return this.#state.length;
  }

  /** One section's counts now. */
  counts(sectionNo: number): Counts {
    const c = this.#counts.get(sectionNo);
    if (c === undefined) throw new RangeError(`no section ${sectionNo}`);
    return { ...c };
  }

  state(seatNo: number): PlaceState {
    return this.#state[seatNo] as PlaceState;
  }

  /** Applies what the rows say about some seats (absolute facts: idempotent, order-free). */
  applySeats(facts: Iterable<SeatFact>, now: number): void {
    for (const f of facts) {
      if (f.seatNo < 0 || f.seatNo >= this.#state.length) continue;
      const until = f.sold ? Number.POSITIVE_INFINITY : f.takenUntil;
      this.#until[f.seatNo] = until;
      this.#set(f.seatNo, f.sold ? SOLD : until > now ? HELD : AVAILABLE);
      if (!f.sold && until > now && until < this.#nextExpiry) this.#nextExpiry = until;
    }
  }

  /** A GA section's counts as read from its stripes and items. */
  setGa(sectionNo: number, available: number, sold: number): void {
    const c = this.#counts.get(sectionNo);
    if (c === undefined) return;
    const held = Math.max(0, c.total - available - sold);
    if (c.available === available && c.sold === sold && c.held === held) return;
    c.available = available;
    c.sold = sold;
    c.held = held;
    this.#pendingSections.add(sectionNo);
  }

  /** Something every section shows changed (prices, the sales state): all sections go out again. */
  touchAll(): void {
    for (const s of this.sections) this.#pendingSections.add(s.sectionNo);
  }

  /** Flips seats whose hold has run out to AVAILABLE (lazy expiry, as the claim condition sees it). */
  expire(now: number): void {
    if (now < this.#nextExpiry) return;
    let next = Number.POSITIVE_INFINITY;
    for (let i = 0; i < this.#state.length; i++) {
      if (this.#state[i] !== HELD) continue;
      const until = this.#until[i]!;
      if (until <= now) this.#set(i, AVAILABLE);
      else if (until < next) next = until;
    }
    this.#nextExpiry = next;
  }

  /**
   * Closes the changes made since the last commit into one new version; returns whether there
   * were any. Call after a batch of facts, so one notice batch is one version.
   */
  commit(): boolean {
    if (this.#pendingSections.size === 0 && this.#pendingSeats.length === 0) return false;
    this.#version++;
    const entry = { version: this.#version, sections: [...this.#pendingSections], seats: this.#pendingSeats };
    this.#pendingSections = new Set();
    this.#pendingSeats = [];
    this.#log.push(entry);
    this.#logSeats += entry.seats.length;
    while (
      this.#log.length > this.#bounds.maxEntries ||
      (this.#logSeats > this.#bounds.maxSeats && this.#log.length > 1)
    ) {
      const dropped = this.#log.shift()!;
      this.#logSeats -= dropped.seats.length;
      this.#base = dropped.version;
    }
    if (this.#logSeats > this.#bounds.maxSeats) {
      // one version alone is larger than the log may keep: nobody gets it as changes
      this.#base = this.#version;
      this.#log.length = 0;
      this.#logSeats = 0;
    }
    return true;
  }

  /**
   * What changed after version `since` (seats once each, ascending), or undefined when the log no
   * longer reaches back that far: the caller sends a full snapshot then.
   */
  changesSince(since: number): Changes | undefined {
    if (since < this.#base || since > this.#version) return undefined;
    const sections = new Set<number>();
    const seats = new Set<number>();
    for (let i = this.#log.length - 1; i >= 0 && this.#log[i]!.version > since; i--) {
      const e = this.#log[i]!;
      for (const s of e.sections) sections.add(s);
      for (const s of e.seats) seats.add(s);
    }
    return { sections, seats: [...seats].sort((a, b) => a - b) };
  }

  #set(seatNo: number, to: PlaceState): void {
    const from = this.#state[seatNo] as PlaceState;
    if (from === to) return;
    this.#state[seatNo] = to;
    const sectionNo = this.#sectionOf[seatNo]!;
    const c = this.#counts.get(sectionNo)!;
    const key = ["available", "held", "sold"] as const;
    c[key[from]]--;
    c[key[to]]++;
    this.#pendingSeats.push(seatNo);
    this.#pendingSections.add(sectionNo);
  }
}
