/**
 * The hold lifecycle in the database: ACTIVE → RELEASED | EXPIRED | CONVERTED as compare-and-set on
 * the hold row (domain/hold.ts decides what a lost CAS means), each transition returning the hold's
 * places exactly once; and what happens to a converted hold's places when its order is paid, fails
 * or is cancelled.
 *
 * Lock order (shared with placing a hold): buyer row → hold row → seats → GA items. Release and
 * expiry never touch the buyer row (converting takes it first) and never write a GA stripe.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { HoldNotActiveError } from "../domain/errors.js";
import { decide, type HoldAction, type HoldState } from "../domain/hold.js";
import { FREED } from "./ga.js";
import { FOREVER, type Q, rows, run, utc } from "./sql.js";

export interface TransitionResult {
  /** The hold's state after the call (as the caller should show it). */
  readonly state: HoldState;
  /** False when the hold already was in that state (an idempotent repeat). */
  readonly changed: boolean;
  readonly invId: number;
  readonly eventId: string;
  /** GA stripes places went back to (this transaction holds their locks now). */
}

interface HoldStatusRow {
  id: string;
  state: HoldState;
  expire_time: Date | string;
  inv_id: number;
  event_id: string;
}

/**
 * Applies `action` (release, expire, convert) to a hold as a compare-and-set on its row. The common
 * case is one UPDATE; a lost CAS rereads the hold and lets domain/hold.ts say what it means (an
 * idempotent no-op or HoldNotActiveError). Undefined when there is no such hold. The winner returns
 * the places: RELEASED gives back seats and GA places, EXPIRED GA places (expired seats are already
 * free by time), CONVERTED keeps them for the order (taken_until = FOREVER).
 */
export async function transitionHold(
  tx: Tx,
  holdId: string,
  action: HoldAction,
  now: Date,
  orderId?: string,
): Promise<TransitionResult | undefined> {
  let attempt: { to: Exclude<HoldState, "ACTIVE">; unexpired: boolean } =
    action === "expire"
      ? { to: "EXPIRED", unexpired: false }
      : { to: action === "release" ? "RELEASED" : "CONVERTED", unexpired: true };
  for (let round = 0; round < 3; round++) {
    const won = await run(
      tx,
      sql`UPDATE holds SET state = ${attempt.to}, end_time = ${now},
                           order_id = ${attempt.to === "CONVERTED" ? (orderId ?? null) : null}
          WHERE id = ${holdId} AND state = 'ACTIVE'
            AND ${attempt.unexpired ? sql`expire_time > ${now}` : sql`expire_time <= ${now}`}`,
    );
    const [h] = await rows<HoldStatusRow>(
      tx,
      sql`SELECT id, state, expire_time, inv_id, event_id FROM holds WHERE id = ${holdId}`,
    );
    if (h === undefined) return undefined;
    const base = { invId: h.inv_id, eventId: h.event_id };
    if (won.affectedRows === 1) {
      await applyEffects(tx, h, attempt.to, now);
      return { ...base, state: attempt.to, changed: true };
    }
    const d = decide({ id: h.id, state: h.state, expireTime: utc(h.expire_time) }, action, now);
    if (d.kind === "noop") return { ...base, state: d.state, changed: false };
    attempt = d;
  }
  throw new Error(`hold ${holdId} kept changing under ${action}`);
}

async function applyEffects(tx: Tx, h: HoldStatusRow, to: Exclude<HoldState, "ACTIVE">, now: Date): Promise<void> {
  if (to === "CONVERTED") {
    const [want] = await rows<{ seats: number; ga: number }>(
      tx,
      sql`SELECT (SELECT COUNT(*) FROM hold_seats WHERE hold_id = ${h.id}) AS seats,
                 (SELECT COUNT(*) FROM hold_ga_items WHERE hold_id = ${h.id}) AS ga`,
    );
    const seats = await run(
      tx,
      sql`UPDATE seats s JOIN hold_seats hs ON hs.inv_id = s.inv_id AND hs.seat_no = s.seat_no
          SET s.taken_until = ${FOREVER}
          WHERE hs.hold_id = ${h.id} AND s.hold_id = ${h.id} AND s.taken_until > ${now}`,
    );
    const ga = await run(
      tx,
      sql`UPDATE hold_ga_items SET taken_until = ${FOREVER} WHERE hold_id = ${h.id} AND taken_until > ${now}`,
    );
    // a place taken by someone else means the hold had in fact expired (clocks disagree): refuse
    if (seats.affectedRows !== Number(want?.seats) || ga.affectedRows !== Number(want?.ga))
      throw new HoldNotActiveError(h.id, "EXPIRED");
    return;
  }
  // EXPIRED: the places are free by time already (the sweeper puts GA places back on their stripes)
  if (to !== "RELEASED") return;
  await run(
    tx,
    sql`UPDATE seats s JOIN hold_seats hs ON hs.inv_id = s.inv_id AND hs.seat_no = s.seat_no
        SET s.hold_id = NULL, s.taken_until = NULL
        WHERE hs.hold_id = ${h.id} AND s.hold_id = ${h.id} AND s.taken_until < ${FOREVER}`,
  );
  // GA places become free at once without touching a stripe (ga.ts says why)
  await run(
    tx,
    sql`UPDATE hold_ga_items SET taken_until = ${FREED}
        WHERE hold_id = ${h.id} AND taken_until > ${FREED} AND taken_until < ${FOREVER}`,
  );
}

/**
 * Checkout's step: the hold becomes CONVERTED (its places now belong to order `orderId`, never
 * expiring) and the buyer's places in orders grow by its quantity, which the per-buyer cap counts.
 * Throws HoldNotActiveError unless the hold is ACTIVE now; NotFound is the caller's (undefined).
 */
export async function convertHold(
  tx: Tx,
  holdId: string,
  orderId: string,
  now: Date,
): Promise<TransitionResult | undefined> {
  const [h] = await rows<{ inv_id: number; buyer_id: string; quantity: number }>(
    tx,
    sql`SELECT inv_id, buyer_id, quantity FROM holds WHERE id = ${holdId}`,
  );
  if (h === undefined) return undefined;
  await rows(tx, sql`SELECT 1 FROM buyers WHERE inv_id = ${h.inv_id} AND buyer_id = ${h.buyer_id} FOR UPDATE`);
  const r = await transitionHold(tx, holdId, "convert", now, orderId);
  if (r?.changed)
    await run(
      tx,
      sql`UPDATE buyers SET in_orders = in_orders + ${h.quantity},
                            last_hold_id = IF(last_hold_id = ${holdId}, NULL, last_hold_id),
                            prev_hold_id = IF(prev_hold_id = ${holdId}, NULL, prev_hold_id)
          WHERE inv_id = ${h.inv_id} AND buyer_id = ${h.buyer_id}`,
    );
  return r;
}

/**
 * The order of a CONVERTED hold failed or was cancelled: its places return to sale and leave the
 * buyer's count, once (a repeat returns false).
 */
export async function returnOrderPlaces(tx: Tx, holdId: string): Promise<boolean> {
  const [h] = await rows<{ inv_id: number; buyer_id: string; quantity: number }>(
    tx,
    sql`SELECT inv_id, buyer_id, quantity FROM holds WHERE id = ${holdId} AND state = 'CONVERTED'`,
  );
  if (h === undefined) return false;
  await rows(tx, sql`SELECT 1 FROM buyers WHERE inv_id = ${h.inv_id} AND buyer_id = ${h.buyer_id} FOR UPDATE`);
  const once = await run(
    tx,
    sql`UPDATE holds SET order_places_returned = TRUE WHERE id = ${holdId} AND order_places_returned = FALSE`,
  );
  if (once.affectedRows === 0) return false;
  await run(
    tx,
    sql`UPDATE seats s JOIN hold_seats hs ON hs.inv_id = s.inv_id AND hs.seat_no = s.seat_no
        SET s.hold_id = NULL, s.taken_until = NULL, s.sold = FALSE
        WHERE hs.hold_id = ${holdId} AND s.hold_id = ${holdId} AND s.taken_until = ${FOREVER}`,
  );
  await run(
    tx,
    sql`UPDATE hold_ga_items SET taken_until = ${FREED}, sold = FALSE WHERE hold_id = ${holdId} AND taken_until = ${FOREVER}`,
  );
  await run(
    tx,
    sql`UPDATE buyers SET in_orders = in_orders - ${h.quantity} WHERE inv_id = ${h.inv_id} AND buyer_id = ${h.buyer_id}`,
  );
  return true;
}

/** The order of a CONVERTED hold is paid: its places read SOLD. Idempotent. */
export async function markHoldSold(tx: Tx, holdId: string): Promise<void> {
  await run(
    tx,
    sql`UPDATE seats s JOIN hold_seats hs ON hs.inv_id = s.inv_id AND hs.seat_no = s.seat_no SET s.sold = TRUE
        WHERE hs.hold_id = ${holdId} AND s.hold_id = ${holdId} AND s.taken_until = ${FOREVER}`,
  );
  await run(tx, sql`UPDATE hold_ga_items SET sold = TRUE WHERE hold_id = ${holdId} AND taken_until = ${FOREVER}`);
}

/** ACTIVE holds whose expire_time has passed, oldest first: the sweeper's work list. */
export async function dueHolds(q: Q, now: Date, limit: number): Promise<string[]> {
  const due = await rows<{ id: string }>(
    q,
    sql`SELECT id FROM holds WHERE state = 'ACTIVE' AND expire_time <= ${now} ORDER BY expire_time LIMIT ${limit}`,
  );
  return due.map((d) => d.id);
}

/** ACTIVE holds past their expire_time with their events, oldest first (the sweeper's batch). */
export async function dueHoldRefs(q: Q, now: Date, limit: number): Promise<Array<{ id: string; eventId: string }>> {
  const due = await rows<{ id: string; event_id: string }>(
    q,
    sql`SELECT id, event_id FROM holds WHERE state = 'ACTIVE' AND expire_time <= ${now}
        ORDER BY expire_time LIMIT ${limit}`,
  );
  return due.map((d) => ({ id: d.id, eventId: d.event_id }));
}

/**
 * Expires holds in one compare-and-set (ACTIVE and due → EXPIRED): what transitionHold's "expire"
 * does to each, for a batch. Nothing else is written: an expired hold's seats are free by time and
 * its GA places are put back by returnFreedGa. Returns how many changed.
 */
export async function expireHolds(tx: Tx, holdIds: readonly string[], now: Date): Promise<number> {
  if (holdIds.length === 0) return 0;
  const r = await run(
    tx,
    sql`UPDATE holds SET state = 'EXPIRED', end_time = ${now}
        WHERE id IN (${sql.join(
          holdIds.map((h) => sql`${h}`),
          sql`, `,
        )}) AND state = 'ACTIVE' AND expire_time <= ${now}`,
  );
  return r.affectedRows;
}
