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
import { isBusy, type Q, rows, run } from "./sql.js";

const free = (now: Date) => sql`(taken_until IS NULL OR taken_until <= ${now})`;
const sectionRange = (s: SectionInfo) => sql`seat_no >= ${s.firstSeat} AND seat_no < ${s.firstSeat + s.capacity}`;

/** Free seats of a reserved section now (lazy expiry included). */
export async function countFreeSeats(q: Q, invId: number, section: SectionInfo, now: Date): Promise<number> {
  const [r] = await rows<{ n: number }>(
    q,
    sql`SELECT COUNT(*) AS n FROM seats WHERE inv_id = ${invId} AND ${sectionRange(section)} AND ${free(now)}`,
  );
  return Number(r?.n ?? 0);
}

export interface ClaimTarget {
  readonly invId: number;
  readonly holdId: string;
  /** The hold's expire_time: the seats' taken_until. */
  readonly until: Date;
  readonly now: Date;
}

/**
 * Specific seats, all or nothing: true when every seat was free and is now the hold's. Seats locked
 * by another transaction count as taken (no wait). On false nothing of this call remains.
 */
export async function claimSeats(tx: Tx, t: ClaimTarget, seatNos: readonly number[]): Promise<boolean> {
  if (seatNos.length === 0) return true;
  try {
    const r = await run(
      tx,
      sql`SET STATEMENT innodb_lock_wait_timeout = 0 FOR
          UPDATE seats SET hold_id = ${t.holdId}, taken_until = ${t.until}
          WHERE inv_id = ${t.invId} AND seat_no IN (${inList(seatNos)}) AND ${free(t.now)}`,
    );
    if (r.affectedRows === seatNos.length) return true;
    if (r.affectedRows > 0) await releaseClaimed(tx, t, seatNos);
    return false;
  } catch (e) {
    if (isBusy(e)) return false; // the statement was rolled back; nothing to undo
    throw e;
  }
}

/** Gives back what a partly successful claim took (inside the same transaction, rows already ours). */
async function releaseClaimed(tx: Tx, t: ClaimTarget, seatNos: readonly number[]): Promise<void> {
  await run(
    tx,
    sql`UPDATE seats SET hold_id = NULL, taken_until = NULL
        WHERE inv_id = ${t.invId} AND seat_no IN (${inList(seatNos)}) AND hold_id = ${t.holdId}`,
  );
}

interface CandidateRow {
  seat_no: number;
  row_no: number;
  pos: number;
  row_length: number;
  gap_before: number;
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
  | { readonly ok: true; readonly seatNos: number[] }
  | { readonly ok: false; readonly available: number };

/** Rounds of "pick, lock what is still free, drop what was lost" before answering with what is left. */
const PICK_ROUNDS = 16;

/**
 * Best available in a reserved section (domain/allocation.ts decides which seats). Nothing here
 * waits for another transaction:
 * 1. free seats front first with FOR UPDATE SKIP LOCKED — a window of `window` seats completed to
 *    the end of its last row — so concurrent buyers lock disjoint candidates; the window suffices
 *    when its best choice is one block without an orphan, else the rest of the section is read too;
 * 2. if the seats not locked by others cannot seat the quantity (a small or nearly sold-out
 *    section), a plain read of every free seat, then: allocate, lock the chosen seats with SKIP
 *    LOCKED, and on a lost seat drop it and allocate again (each round one statement, bounded).
 * A refusal says how many free seats this transaction could see that no one else was claiming.
 */
export async function claimBestAvailable(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  quantity: number,
  window = 32,
): Promise<BestAvailableResult> {
  const end = section.firstSeat + section.capacity;
  const read = (from: number, to: number, limit: number | undefined, lock: boolean) =>
    rows<CandidateRow>(
      tx,
      sql`SELECT seat_no, row_no, pos, row_length, gap_before FROM seats
          WHERE inv_id = ${t.invId} AND seat_no >= ${from} AND seat_no < ${to} AND ${free(t.now)}
          ORDER BY seat_no ${limit === undefined ? sql`` : sql`LIMIT ${limit}`}
          ${lock ? sql`FOR UPDATE SKIP LOCKED` : sql``}`,
    );
  const take = async (seatNos: number[]): Promise<BestAvailableResult> => {
    const r = await run(
      tx,
      sql`UPDATE seats SET hold_id = ${t.holdId}, taken_until = ${t.until}
          WHERE inv_id = ${t.invId} AND seat_no IN (${inList(seatNos)}) AND ${free(t.now)}`,
    );
    // the rows were locked free by this transaction: anything else is a bug, not a refusal
    if (r.affectedRows !== seatNos.length) throw new Error(`best available lost locked seats (${r.affectedRows})`);
    return { ok: true, seatNos };
  };

  const limit = Math.max(window, quantity * 4);
  let candidates = await read(section.firstSeat, end, limit, true);
  const complete = candidates.length < limit;
  if (!complete) {
    // finish the last row, so no run is cut short by the window's edge
    const last = candidates[candidates.length - 1]!;
    const rowEnd = last.seat_no - last.pos + last.row_length;
    candidates = candidates.concat(await read(last.seat_no + 1, rowEnd, undefined, true));
  }
  let choice = allocateBestAvailable(toRows(candidates), quantity);
  if (!complete && (choice === undefined || choice.blocks.length > 1 || choice.orphans > 0)) {
    candidates = candidates.concat(await read(candidates[candidates.length - 1]!.seat_no + 1, end, undefined, true));
    choice = allocateBestAvailable(toRows(candidates), quantity);
  }
  if (choice !== undefined) return take(choice.seatIds);

  // Other buyers' claims hold some free seats: see them all, pick, lock what is still free.
  const mine = new Set(candidates.map((c) => c.seat_no));
  const all = await read(section.firstSeat, end, undefined, false);
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
