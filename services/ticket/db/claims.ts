/**
 * Claiming places inside a hold's transaction. The rules that keep the hot path free of lock waits
 * and deadlocks (docs/ticket.md argues them with numbers):
 * - a claim never waits for another buyer's uncommitted claim: specific seats are one conditional
 *   UPDATE with `innodb_lock_wait_timeout=0` (a seat locked by an in-flight claim is refused like a
 *   taken one), best available locks candidates with `FOR UPDATE SKIP LOCKED` (concurrent buyers
 *   see disjoint seats), GA (ga.ts) decrements a stripe with the same zero timeout;
 * - lazy expiry is in the claim condition: a seat is free when taken_until is NULL or ≤ now;
 * - a refusal is decided from what the statements saw, never retried or slept on.
 * Blocking statements are left to releases (a hold's own rows) and GA returns (ascending stripes).
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { allocateBestAvailable, type RowSeats } from "../domain/allocation.js";
import type { SectionInfo } from "./inventory.js";
import { called, rows, run } from "./sql.js";

const free = (now: Date) => sql`(taken_until IS NULL OR taken_until <= ${now})`;

export interface ClaimTarget {
  readonly invId: number;
  readonly holdId: string;
  /** The hold's expire_time: the seats' taken_until. */
  readonly until: Date;
  readonly now: Date;
}

export interface SeatLabel {
  readonly rowLabel: string;
  readonly seatLabel: string;
}

/** What a specific-seat claim answers: granted, or what a refusal needs to say. */
export type SeatClaim =
  | { readonly ok: true }
  | {
      readonly ok: false;
      /** For each label asked: whether the seat exists (an unknown label is the caller's mistake). */
      readonly found: boolean[];
      /**
       * The section's free seats counted up to the cap (seats this claim matched count as free:
       * the caller rolls back); undefined when no label exists (no row to carry the count).
       */
      readonly available: number | undefined;
    };

/** The longest row or seat label the inventory stores (varchar(8), as the contract allows). */
const LABEL_MAX = 8;

/**
 * Specific seats of one section by their labels, all or nothing, in one round trip (procedure
 * `claim_seats`, custom migrations 0007 and 0009): the conditional UPDATE through the unique label index with
 * a zero lock-wait timeout (a seat another transaction is claiming counts as taken, no wait), then,
 * when every seat was free, the hold's `hold_seats` rows; otherwise which labels exist and the
 * section's free seats counted up to `cap` through the index of free seats (reading no taken one,
 * so a refusal near a sell-out costs what it costs in an empty section) — what the refusal says. On a refusal the caller rolls
 * back (what the UPDATE matched may be the hold's now).
 */
export async function claimSeats(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  labels: readonly SeatLabel[],
  cap: number,
): Promise<SeatClaim> {
  if (labels.length === 0) return { ok: true };
  const exists = (l: SeatLabel) => [...l.rowLabel].length <= LABEL_MAX && [...l.seatLabel].length <= LABEL_MAX;
  // a longer label names no seat; the procedure's JSON columns are as wide as the stored labels
  const json = JSON.stringify(labels.filter(exists).map((l) => [l.rowLabel, l.seatLabel]));
  const got = await called<{
    ok: number;
    row_label: string | null;
    seat_label: string | null;
    available: number | null;
  }>(
    tx,
    sql`CALL claim_seats(${t.invId}, ${section.sectionNo}, ${section.firstSeat}, ${section.firstSeat + section.capacity},
                         ${t.holdId}, ${t.until}, ${t.now}, ${section.priceMinor}, ${labels.length}, ${json}, ${cap})`,
  );
  if (got[0]?.ok === 1) return { ok: true };
  const key = (r: string, l: string) => `${r}\u0000${l}`;
  const seen = new Set(got.map((g) => key(g.row_label!, g.seat_label!)));
  return {
    ok: false,
    found: labels.map((l) => seen.has(key(l.rowLabel, l.seatLabel))),
    available: got[0] === undefined ? undefined : Number(got[0].available),
  };
}

interface CandidateRow {
  seat_no: number;
  row_no: number;
  pos: number;
  row_length: number;
  gap_before: number;
  row_label: string;
  seat_label: string;
}

function toRows(candidates: readonly CandidateRow[]): RowSeats[] {
  const out: Array<{ row: number; length: number; seats: RowSeats["seats"][number][] }> = [];
  for (const c of candidates) {
    let last = out[out.length - 1];
    if (last === undefined || last.row !== c.row_no) {
      last = { row: c.row_no, length: c.row_length, seats: [] };
      out.push(last);
    }
    last.seats.push({ id: c.seat_no, pos: c.pos, gapBefore: c.gap_before === 1, free: true });
  }
  return out;
}

export type BestAvailableResult =
  | { readonly ok: true; readonly seats: Array<{ seatNo: number } & SeatLabel> }
  | { readonly ok: false; readonly available: number };

/** Rounds of "pick, lock what is still free, drop what was lost" before answering with what is left. */
const PICK_ROUNDS = 16;
/** Windows of free seats read (and locked) front first before reading the rest of the section. */
const WINDOWS = 4;

/**
 * Best available in a reserved section (domain/allocation.ts decides which seats). Nothing here
 * waits for another transaction:
 * 1. a plain read finds the first free seat (none: sold out, refused at once) — so the locking read
 *    never walks, and locks, the taken seats in front of it;
 * 2. from there, free seats with FOR UPDATE SKIP LOCKED, a window of `window` seats at a time
 *    (concurrent buyers lock disjoint candidates): the windows read so far suffice once their best
 *    choice is one block without an orphan; after a few windows the rest of the section is read;
 * 3. if the seats not locked by others cannot seat the quantity (a small or nearly sold-out
 *    section), a plain read of every free seat, then: allocate, lock the chosen seats with SKIP
 *    LOCKED, and on a lost seat drop it and allocate again (each round one statement, bounded).
 * A refusal says how many free seats this transaction could see that no one else was claiming.
 */
export async function claimBestAvailable(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  quantity: number,
  window = 16,
): Promise<BestAvailableResult> {
  const end = section.firstSeat + section.capacity;
  const read = (from: number, limit: number | undefined, lock: boolean) =>
    rows<CandidateRow>(
      tx,
      sql`SELECT seat_no, row_no, pos, row_length, gap_before, row_label, seat_label FROM seats
          WHERE inv_id = ${t.invId} AND seat_no >= ${from} AND seat_no < ${end} AND ${free(t.now)}
          ORDER BY seat_no ${limit === undefined ? sql`` : sql`LIMIT ${limit}`}
          ${lock ? sql`FOR UPDATE SKIP LOCKED` : sql``}`,
    );
  const labelOf = new Map<number, CandidateRow>();
  const take = async (seatNos: number[]): Promise<BestAvailableResult> => {
    const r = await run(
      tx,
      sql`UPDATE seats SET hold_id = ${t.holdId}, taken_until = ${t.until}
          WHERE inv_id = ${t.invId} AND seat_no IN (${inList(seatNos)}) AND ${free(t.now)}`,
    );
    // the rows were locked free by this transaction: anything else is a bug, not a refusal
    if (r.affectedRows !== seatNos.length) throw new Error(`best available lost locked seats (${r.affectedRows})`);
    return {
      ok: true,
      seats: seatNos.map((n) => ({
        seatNo: n,
        rowLabel: labelOf.get(n)!.row_label,
        seatLabel: labelOf.get(n)!.seat_label,
      })),
    };
  };
  const remember = (cs: CandidateRow[]) => {
    for (const c of cs) labelOf.set(c.seat_no, c);
    return cs;
  };

  const [first] = await rows<{ seat_no: number }>(
    tx,
    sql`SELECT seat_no FROM seats WHERE inv_id = ${t.invId} AND seat_no >= ${section.firstSeat} AND seat_no < ${end}
          AND ${free(t.now)} ORDER BY seat_no LIMIT 1`,
  );
  if (first === undefined) return { ok: false, available: 0 };
  const limit = Math.max(window, quantity * 4);
  let candidates: CandidateRow[] = [];
  let from = first.seat_no;
  for (let w = 0; w < WINDOWS; w++) {
    const got = remember(await read(from, limit, true));
    candidates = candidates.concat(got);
    if (got.length < limit) break; // the window reached the section's end
    from = got[got.length - 1]!.seat_no + 1;
    // The last row may go on past the window. Its last two visible seats are left out of the
    // choice, so a block can never end one seat short of the unseen rest (an orphan it cannot see).
    const cut = got[got.length - 1]!.row_no;
    const inCut = candidates.filter((c) => c.row_no === cut);
    const visible = candidates.filter((c) => c.row_no !== cut || inCut.indexOf(c) < inCut.length - 2);
    const choice = allocateBestAvailable(toRows(visible), quantity);
    if (choice !== undefined && choice.blocks.length === 1 && choice.orphans === 0) return take(choice.seatIds);
  }
  if (candidates.length === WINDOWS * limit)
    candidates = candidates.concat(remember(await read(from, undefined, true)));
  const choice = allocateBestAvailable(toRows(candidates), quantity);
  if (choice !== undefined) return take(choice.seatIds);

  // Other buyers' claims hold some free seats: see them all, pick, lock what is still free.
  const mine = new Set(candidates.map((c) => c.seat_no));
  const all = remember(await read(first.seat_no, undefined, false));
  const lost = new Set<number>();
  for (let round = 0; round < PICK_ROUNDS; round++) {
    const pick = allocateBestAvailable(toRows(all.filter((c) => !lost.has(c.seat_no))), quantity);
    if (pick === undefined) break;
    const toLock = pick.seatIds.filter((n) => !mine.has(n));
    if (toLock.length === 0) return take(pick.seatIds);
    const got = await rows<{ seat_no: number }>(
      tx,
      sql`SELECT seat_no FROM seats WHERE inv_id = ${t.invId} AND seat_no IN (${inList(toLock)}) AND ${free(t.now)}
          FOR UPDATE SKIP LOCKED`,
    );
    for (const g of got) mine.add(g.seat_no);
    if (got.length === toLock.length) return take(pick.seatIds);
    for (const n of toLock) if (!mine.has(n)) lost.add(n);
  }
  return { ok: false, available: all.length - lost.size };
}

function inList(ns: readonly number[]) {
  return sql.join(
    ns.map((n) => sql`${n}`),
    sql`, `,
  );
}
