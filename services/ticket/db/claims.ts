/**
 * Claiming places inside a hold's transaction. The rules that keep the hot path free of lock waits
 * and deadlocks (docs/ticket.md argues them with numbers):
 * - a claim never waits for another buyer's uncommitted claim: specific seats are one conditional
 *   UPDATE with `innodb_lock_wait_timeout=0` (a seat locked by an in-flight claim is refused like a
 *   taken one), best available reads candidates with `FOR UPDATE SKIP LOCKED` (concurrent buyers
 *   see disjoint seats), GA decrements one stripe with the same zero timeout and moves to another;
 * - lazy expiry is in the claim condition: a seat is free when taken_until is NULL or ≤ now;
 * - a refusal is decided from what one statement saw, never retried or slept on;
 * - the few blocking statements (returning GA places, the all-stripes fallback near sell-out) take
 *   their rows in ascending key order.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { allocateBestAvailable, type RowSeats } from "../domain/allocation.js";
import { planTake, type StripeTake } from "../domain/stripes.js";
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
          WHERE inv_id = ${t.invId} AND seat_no IN (${sql.join(
            seatNos.map((n) => sql`${n}`),
            sql`, `,
          )}) AND ${free(t.now)}`,
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
        WHERE inv_id = ${t.invId} AND seat_no IN (${sql.join(
          seatNos.map((n) => sql`${n}`),
          sql`, `,
        )}) AND hold_id = ${t.holdId}`,
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

/**
 * Best available in a reserved section (domain/allocation.ts decides which seats). Reads free seats
 * front first with FOR UPDATE SKIP LOCKED — a window of `window` seats completed to the end of its
 * last row — so concurrent buyers lock disjoint candidates and never wait. A window whose best
 * choice is one orphan-free block is enough; otherwise the rest of the section is read too. When
 * the seats not locked by others cannot seat the quantity, a plain count tells sold out (refuse)
 * from contention (then, rarely, a blocking read in seat order).
 */
export async function claimBestAvailable(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  quantity: number,
  window = 32,
): Promise<BestAvailableResult> {
  const end = section.firstSeat + section.capacity;
  const read = (from: number, to: number, limit: number | undefined, skipLocked: boolean) =>
    rows<CandidateRow>(
      tx,
      sql`SELECT seat_no, row_no, pos, row_length, gap_before FROM seats
          WHERE inv_id = ${t.invId} AND seat_no >= ${from} AND seat_no < ${to} AND ${free(t.now)}
          ORDER BY seat_no ${limit === undefined ? sql`` : sql`LIMIT ${limit}`}
          FOR UPDATE ${skipLocked ? sql`SKIP LOCKED` : sql``}`,
    );
  let candidates = await read(section.firstSeat, end, Math.max(window, quantity * 4), true);
  let complete = candidates.length < Math.max(window, quantity * 4);
  if (!complete) {
    // finish the last row, so no run is cut short by the window's edge
    const last = candidates[candidates.length - 1]!;
    const rowEnd = last.seat_no - last.pos + last.row_length;
    candidates = candidates.concat(await read(last.seat_no + 1, rowEnd, undefined, true));
  }
  let choice = allocateBestAvailable(toRows(candidates), quantity);
  if (!complete && (choice === undefined || choice.blocks.length > 1 || choice.orphans > 0)) {
    const after = candidates[candidates.length - 1]!.seat_no + 1;
    candidates = candidates.concat(await read(after, end, undefined, true));
    complete = true;
    choice = allocateBestAvailable(toRows(candidates), quantity);
  }
  if (choice === undefined) {
    const available = await countFreeSeats(tx, t.invId, section, t.now);
    if (available < quantity) return { ok: false, available };
    // free seats exist but other buyers' claims lock them: wait for those, in seat order
    candidates = await read(section.firstSeat, end, undefined, false);
    choice = allocateBestAvailable(toRows(candidates), quantity);
    if (choice === undefined) return { ok: false, available: candidates.length };
  }
  const seatNos = choice.seatIds;
  const r = await run(
    tx,
    sql`UPDATE seats SET hold_id = ${t.holdId}, taken_until = ${t.until}
        WHERE inv_id = ${t.invId} AND seat_no IN (${sql.join(
          seatNos.map((n) => sql`${n}`),
          sql`, `,
        )}) AND ${free(t.now)}`,
  );
  // the rows were locked free by this transaction: anything else is a bug, not a refusal
  if (r.affectedRows !== seatNos.length) throw new Error(`best available lost locked seats (${r.affectedRows})`);
  return { ok: true, seatNos };
}

export type GaTakeResult =
  | { readonly ok: true; readonly takes: StripeTake[] }
  | { readonly ok: false; readonly available: number };

/**
 * `quantity` places of a GA section. First one stripe (from `order`: stripes this transaction
 * already holds, then a rotation from a per-request hint) with a conditional decrement that does
 * not wait; if that stripe lacks places, one read of every stripe (and of expired places not yet
 * returned) refuses a sold-out section at once or picks stripes that have enough; near sell-out,
 * all stripes are locked in order and the quantity is taken across them.
 */
export async function takeGa(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  quantity: number,
  order: readonly number[],
): Promise<GaTakeResult> {
  const tryStripe = async (stripe: number): Promise<"ok" | "short" | "busy"> => {
    try {
      const r = await run(
        tx,
        sql`SET STATEMENT innodb_lock_wait_timeout = 0 FOR
            UPDATE ga_stripes SET available = available - ${quantity}
            WHERE inv_id = ${t.invId} AND section_no = ${section.sectionNo} AND stripe = ${stripe}
              AND available >= ${quantity}`,
      );
      return r.affectedRows === 1 ? "ok" : "short";
    } catch (e) {
      if (isBusy(e)) return "busy";
      throw e;
    }
  };
  const tried = new Set<number>();
  for (const stripe of order) {
    tried.add(stripe);
    const r = await tryStripe(stripe);
    if (r === "ok") return { ok: true, takes: [{ stripe, quantity }] };
    if (r === "short") break;
  }
  const snapshot = await rows<{ stripe: number; available: number; expired: number }>(
    tx,
    sql`SELECT stripe, available,
               (SELECT COALESCE(SUM(quantity), 0) FROM hold_ga_items
                WHERE inv_id = ${t.invId} AND section_no = ${section.sectionNo} AND taken_until <= ${t.now}) AS expired
        FROM ga_stripes WHERE inv_id = ${t.invId} AND section_no = ${section.sectionNo}`,
  );
  const expired = Number(snapshot[0]?.expired ?? 0);
  const total = snapshot.reduce((n, s) => n + s.available, 0);
  if (total + expired < quantity) return { ok: false, available: total + expired };
  if (expired > 0) await reclaimExpiredGa(tx, t.invId, section.sectionNo, t.now);
  // stripes that looked big enough, fullest first, without waiting
  const roomy = snapshot
    .filter((s) => s.available >= quantity && !tried.has(s.stripe))
    .sort((a, b) => b.available - a.available)
    .slice(0, 3);
  for (const s of roomy)
    if ((await tryStripe(s.stripe)) === "ok") return { ok: true, takes: [{ stripe: s.stripe, quantity }] };
  // near sell-out: lock every stripe in order, take across them
  const locked = await rows<{ stripe: number; available: number }>(
    tx,
    sql`SELECT stripe, available FROM ga_stripes WHERE inv_id = ${t.invId} AND section_no = ${section.sectionNo}
        ORDER BY stripe FOR UPDATE`,
  );
  const avail: number[] = [];
  for (const s of locked) avail[s.stripe] = s.available;
  const plan = planTake(avail, quantity);
  if (plan === undefined) return { ok: false, available: locked.reduce((n, s) => n + s.available, 0) };
  for (const p of plan) {
    await run(
      tx,
      sql`UPDATE ga_stripes SET available = available - ${p.quantity}
          WHERE inv_id = ${t.invId} AND section_no = ${section.sectionNo} AND stripe = ${p.stripe}`,
    );
  }
  return { ok: true, takes: plan };
}

/** Adds places back to stripes, in (section, stripe) order; the caller has made them returnable once. */
export async function returnToStripes(
  tx: Tx,
  invId: number,
  items: ReadonlyArray<{ sectionNo: number; stripe: number; quantity: number }>,
): Promise<void> {
  const sorted = [...items].sort((a, b) => a.sectionNo - b.sectionNo || a.stripe - b.stripe);
  for (const i of sorted) {
    await run(
      tx,
      sql`UPDATE ga_stripes SET available = available + ${i.quantity}
          WHERE inv_id = ${invId} AND section_no = ${i.sectionNo} AND stripe = ${i.stripe}`,
    );
  }
}

/**
 * Returns the places of expired, not yet returned GA items of a section (lazy expiry for GA: a buyer
 * short of places reclaims them rather than waiting for the sweeper). Items another transaction is
 * handling are skipped. Returns how many places came back.
 */
export async function reclaimExpiredGa(tx: Tx, invId: number, sectionNo: number, now: Date): Promise<number> {
  const due = await rows<{ hold_id: string; stripe: number; quantity: number }>(
    tx,
    sql`SELECT hold_id, stripe, quantity FROM hold_ga_items
        WHERE inv_id = ${invId} AND section_no = ${sectionNo} AND taken_until <= ${now}
        ORDER BY taken_until LIMIT 200 FOR UPDATE SKIP LOCKED`,
  );
  if (due.length === 0) return 0;
  await run(
    tx,
    sql`UPDATE hold_ga_items SET taken_until = NULL
        WHERE ${sql.join(
          due.map((d) => sql`(hold_id = ${d.hold_id} AND section_no = ${sectionNo} AND stripe = ${d.stripe})`),
          sql` OR `,
        )}`,
  );
  await returnToStripes(
    tx,
    invId,
    due.map((d) => ({ sectionNo, stripe: d.stripe, quantity: d.quantity })),
  );
  return due.reduce((n, d) => n + d.quantity, 0);
}
