/**
 * General-admission places. A section's capacity is split over counter rows ("stripes",
 * domain/stripes.ts); a hold item records how many places it took from which stripe.
 *
 * Places go back without touching a stripe: releasing a hold (or failing its order) sets its items'
 * taken_until to FREED, and an expired hold's items are free by time already. Such places count as
 * available at once; a buyer short of places *adopts* them (moves them from the old item to its own,
 * same stripe, no counter write), and the sweeper puts the rest back on their stripes in its own
 * transaction. So the only transactions that write stripes while holding other rows are takers,
 * and a taker waits for a stripe only while it holds no higher stripe of that section: waits go
 * up the stripe order, no lock cycle, no deadlock.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { SectionBusyError } from "../domain/errors.js";
import { planTake, type StripeTake, tryOrder } from "../domain/stripes.js";
import type { ClaimTarget } from "./claims.js";
import type { SectionInfo } from "./inventory.js";
import { isBusy, type Q, rows, run } from "./sql.js";

/**
 * The longest a taker waits for a stripe other buyers are writing, in seconds (MariaDB's unit).
 * In normal operation a wait is the tail of one transaction, milliseconds. Without a bound of its
 * own the server would wait 50 s (innodb_lock_wait_timeout) while the client gives up at its 10 s
 * statement timeout and drops the connection: the race through the one port (2,000 calls in
 * flight) saw exactly that — the rollback then failed on the dropped connection and the call
 * answered UNAVAILABLE "the database is unavailable", and the dropped session's stripe locks stayed
 * until the server's own timeout, stalling the section for every buyer. Bounded here, the server
 * ends the wait itself (1205: only that statement is rolled back, the connection stays healthy) and
 * the hold is shed as SectionBusyError (RESOURCE_EXHAUSTED with RetryInfo).
 */
export const STRIPE_WAIT_SECONDS = 2;

/** taken_until of released GA items: free by time for every clock. */
export const FREED = new Date(1_000);

export type GaTakeResult =
  | { readonly ok: true; readonly takes: StripeTake[] }
  | { readonly ok: false; readonly available: number };

/**
 * `quantity` places of a GA section. A transaction waits for a stripe only while it holds no
 * stripe of the section with a higher number (waits go up the stripe order, so waiters queue and
 * never deadlock); releases never write stripes (see above):
 * 1. a conditional decrement of the stripe `hint` picks, with a zero lock-wait timeout, and when
 *    another buyer is writing that stripe, of the next one the same way (a wait avoided for one
 *    statement; a decrement that neither matched nor waited keeps no lock);
 * 2. when those are busy or short: one read of every stripe and of freed places not yet back
 *    on a stripe — fewer than asked refuses at once (no wait, no retry); freed places are adopted;
 *    then the rest from one stripe that has enough (picked by the hint among them, so waiters
 *    spread over the stripes), waiting for it if another buyer is writing it — at most
 *    STRIPE_WAIT_SECONDS, then the hold is shed (SectionBusyError), as in 3.;
 * 3. when that is still not enough (no stripe alone has it, or it ran short meanwhile): every
 *    stripe from there up is locked in order, the ones below only if none is busy (zero timeout),
 *    and the rest is taken across them — or refused with what they hold (near sell-out, a busy
 *    stripe below can make this refusal early: the buyer's retry sees the truth).
 */
export async function takeGa(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  quantity: number,
  hint: number,
): Promise<GaTakeResult> {
  const where = sql`inv_id = ${t.invId} AND section_no = ${section.sectionNo}`;
  const decrement = (stripe: number, q: number, wait: boolean) =>
    run(
      tx,
      sql`SET STATEMENT innodb_lock_wait_timeout = ${sql.raw(String(wait ? STRIPE_WAIT_SECONDS : 0))} FOR
          UPDATE ga_stripes SET available = available - ${q}
          WHERE ${where} AND stripe = ${stripe} AND available >= ${q}`,
    );
  /** A waiting statement that reached STRIPE_WAIT_SECONDS sheds the hold (no retry: see there). */
  const bounded = async <T>(p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      if (isBusy(e)) throw new SectionBusyError(section.sectionId);
      throw e;
    }
  };
  // the stripe the hint picks, and when another buyer is writing it, the next one — both without
  // waiting; a stripe too short for the quantity goes straight to the read below
  const [first, second] = tryOrder(section.stripes, hint, 2) as [number, number | undefined];
  for (const stripe of second === undefined ? [first] : [first, second]) {
    try {
      if ((await decrement(stripe, quantity, false)).affectedRows === 1)
        return { ok: true, takes: [{ stripe, quantity }] };
      break;
    } catch (e) {
      if (!isBusy(e)) throw e;
    }
  }
  const snap = await rows<{ stripe: number; available: number; freed: number }>(
    tx,
    sql`SELECT stripe, available,
               (SELECT COALESCE(SUM(quantity - returned), 0) FROM hold_ga_items
                WHERE ${where} AND taken_until <= ${t.now}) AS freed
        FROM ga_stripes WHERE ${where} ORDER BY stripe`,
  );
  const freed = Number(snap[0]?.freed ?? 0);
  const onStripes = snap.reduce((n, s) => n + s.available, 0);
  if (onStripes + freed < quantity) return { ok: false, available: onStripes + freed };
  const takes: StripeTake[] = [];
  let need = quantity;
  if (freed > 0) {
    takes.push(...(await adoptFreed(tx, t, section.sectionNo, need)));
    need = quantity - takes.reduce((n, a) => n + a.quantity, 0);
    if (need === 0) return { ok: true, takes };
  }
  const roomy = snap.filter((s) => s.available >= need);
  let from = first;
  if (roomy.length > 0) {
    const pick = roomy[tryOrder(roomy.length, hint, 1)[0]!]!.stripe;
    if ((await bounded(decrement(pick, need, true))).affectedRows === 1) {
      takes.push({ stripe: pick, quantity: need });
      return { ok: true, takes };
    }
    from = pick; // it waited and ran short: this transaction holds it now, so go up from it
  }
  const above = await bounded(
    rows<{ stripe: number; available: number }>(
      tx,
      sql`SET STATEMENT innodb_lock_wait_timeout = ${sql.raw(String(STRIPE_WAIT_SECONDS))} FOR
          SELECT stripe, available FROM ga_stripes WHERE ${where} AND stripe >= ${from} ORDER BY stripe FOR UPDATE`,
    ),
  );
  // Below `from` only without waiting (that would go down the stripe order). Not SKIP LOCKED: on
  // this server it was seen waiting here (in a deadlock report), while a zero timeout never waits.
  let below: Array<{ stripe: number; available: number }> = [];
  if (from > 0) {
    try {
      below = await rows(
        tx,
        sql`SET STATEMENT innodb_lock_wait_timeout = 0 FOR
            SELECT stripe, available FROM ga_stripes WHERE ${where} AND stripe < ${from} ORDER BY stripe FOR UPDATE`,
      );
    } catch (e) {
      if (!isBusy(e)) throw e;
    }
  }
  const locked = [...above, ...below];
  const plan = planTake(
    locked.map((l) => l.available),
    need,
  );
  if (plan === undefined)
    return { ok: false, available: locked.reduce((n, l) => n + l.available, 0) + quantity - need };
  for (const p of plan) {
    const stripe = locked[p.stripe]!.stripe;
    await run(
      tx,
      sql`UPDATE ga_stripes SET available = available - ${p.quantity} WHERE ${where} AND stripe = ${stripe}`,
    );
    takes.push({ stripe, quantity: p.quantity });
  }
  return { ok: true, takes };
}

/**
 * Moves up to `need` freed places of a section (released or expired holds' items) to the claiming
 * hold: the old item's `returned` grows, the new hold records the same stripe. Items another
 * transaction is handling are skipped, so this never waits.
 */
async function adoptFreed(tx: Tx, t: ClaimTarget, sectionNo: number, need: number): Promise<StripeTake[]> {
  const due = await rows<{ hold_id: string; stripe: number; left: number }>(
    tx,
    sql`SELECT hold_id, stripe, quantity - returned AS \`left\` FROM hold_ga_items
        WHERE inv_id = ${t.invId} AND section_no = ${sectionNo} AND taken_until <= ${t.now}
        ORDER BY taken_until LIMIT 50 FOR UPDATE SKIP LOCKED`,
  );
  const takes: StripeTake[] = [];
  for (const d of due) {
    if (need === 0) break;
    const x = Math.min(d.left, need);
    await run(
      tx,
      sql`UPDATE hold_ga_items SET returned = returned + ${x},
                                   taken_until = IF(returned = quantity, NULL, taken_until)
          WHERE hold_id = ${d.hold_id} AND section_no = ${sectionNo} AND stripe = ${d.stripe}`,
    );
    takes.push({ stripe: d.stripe, quantity: x });
    need -= x;
  }
  return takes;
}

/**
 * The sweeper's part: puts a section's freed places (released or expired holds' items no buyer has
 * adopted) back on their stripes, in its own transaction, stripes in order. Returns how many.
 */
export async function returnFreedGa(tx: Tx, invId: number, sectionNo: number, now: Date, limit = 500): Promise<number> {
  const due = await rows<{ hold_id: string; stripe: number; left: number }>(
    tx,
    sql`SELECT hold_id, stripe, quantity - returned AS \`left\` FROM hold_ga_items
        WHERE inv_id = ${invId} AND section_no = ${sectionNo} AND taken_until <= ${now}
        ORDER BY taken_until LIMIT ${limit} FOR UPDATE SKIP LOCKED`,
  );
  if (due.length === 0) return 0;
  await run(
    tx,
    sql`UPDATE hold_ga_items SET returned = quantity, taken_until = NULL
        WHERE ${sql.join(
          due.map((d) => sql`(hold_id = ${d.hold_id} AND section_no = ${sectionNo} AND stripe = ${d.stripe})`),
          sql` OR `,
        )}`,
  );
  const perStripe = new Map<number, number>();
  for (const d of due) perStripe.set(d.stripe, (perStripe.get(d.stripe) ?? 0) + d.left);
  for (const [stripe, q] of [...perStripe].sort((a, b) => a[0] - b[0]))
    await run(
      tx,
      sql`UPDATE ga_stripes SET available = available + ${q}
          WHERE inv_id = ${invId} AND section_no = ${sectionNo} AND stripe = ${stripe}`,
    );
  return due.reduce((n, d) => n + d.left, 0);
}

/** GA sections with freed places waiting to go back on their stripes (the sweeper's list). */
export async function freedGaSections(
  q: Q,
  now: Date,
  limit = 200,
): Promise<Array<{ invId: number; sectionNo: number }>> {
  const found = await rows<{ inv_id: number; section_no: number }>(
    q,
    sql`SELECT DISTINCT inv_id, section_no FROM hold_ga_items WHERE taken_until <= ${now} LIMIT ${limit}`,
  );
  return found.map((f) => ({ invId: f.inv_id, sectionNo: f.section_no }));
}
