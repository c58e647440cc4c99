/**
 * General-admission places: taken from counter rows ("stripes", domain/stripes.ts) without waiting
 * for other buyers, returned exactly once by whoever moves a hold item's taken_until to NULL.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { planTake, type StripeTake } from "../domain/stripes.js";
import type { ClaimTarget } from "./claims.js";
import type { SectionInfo } from "./inventory.js";
import { isBusy, rows, run } from "./sql.js";

export type GaTakeResult =
  | { readonly ok: true; readonly takes: StripeTake[] }
  | { readonly ok: false; readonly available: number };

/** Rounds of "snapshot, lock what is free, take" before answering with what is left. */
const TAKE_ROUNDS = 3;

/**
 * `quantity` places of a GA section, without waiting for other buyers:
 * 1. one conditional decrement on one stripe (`order`: stripes this transaction already holds, then
 *    a rotation from a per-request hint) with a zero lock-wait timeout; a busy stripe → the next;
 * 2. when a stripe is short: one read of every stripe and of expired places not yet returned —
 *    fewer than asked refuses at once; expired places are reclaimed (lazy expiry for GA);
 * 3. the stripes with places that no one else is writing are locked (SKIP LOCKED) and the quantity
 *    is taken across them, fullest first. Stripes busy with in-flight claims are skipped; after a
 *    few rounds the answer is a refusal with what is left.
 */
export async function takeGa(
  tx: Tx,
  t: ClaimTarget,
  section: SectionInfo,
  quantity: number,
  order: readonly number[],
): Promise<GaTakeResult> {
  const where = sql`inv_id = ${t.invId} AND section_no = ${section.sectionNo}`;
  for (const stripe of order) {
    try {
      const r = await run(
        tx,
        sql`SET STATEMENT innodb_lock_wait_timeout = 0 FOR
            UPDATE ga_stripes SET available = available - ${quantity}
            WHERE ${where} AND stripe = ${stripe} AND available >= ${quantity}`,
      );
      if (r.affectedRows === 1) return { ok: true, takes: [{ stripe, quantity }] };
      break; // short here: look at the whole section
    } catch (e) {
      if (!isBusy(e)) throw e;
    }
  }
  const takes: StripeTake[] = [];
  const busy = new Set<number>();
  let need = quantity;
  let left = 0;
  for (let round = 0; round < TAKE_ROUNDS; round++) {
    const snap = await rows<{ stripe: number; available: number; expired: number }>(
      tx,
      sql`SELECT stripe, available,
                 (SELECT COALESCE(SUM(quantity), 0) FROM hold_ga_items WHERE ${where} AND taken_until <= ${t.now}) AS expired
          FROM ga_stripes WHERE ${where}`,
    );
    const expired = Number(snap[0]?.expired ?? 0);
    left = snap.reduce((n, s) => n + s.available, 0) + expired;
    // (places this call already took count as available: the refusal rolls them back)
    if (left < need) return { ok: false, available: left + quantity - need };
    // expired places not yet returned: return them (those no one else is returning) and look again
    if (expired > 0 && (await reclaimExpiredGa(tx, t.invId, section.sectionNo, t.now)) > 0) continue;
    // the fullest stripes that cover what is missing, by this snapshot; lock those still free
    const wanted: number[] = [];
    let covered = 0;
    for (const s of snap
      .filter((x) => x.available > 0 && !busy.has(x.stripe))
      .sort((a, b) => b.available - a.available)) {
      if (covered >= need) break;
      wanted.push(s.stripe);
      covered += s.available;
    }
    if (wanted.length === 0) break;
    const locked = await rows<{ stripe: number; available: number }>(
      tx,
      sql`SELECT stripe, available FROM ga_stripes
          WHERE ${where} AND stripe IN (${sql.join(
            wanted.map((w) => sql`${w}`),
            sql`, `,
          )}) AND available > 0
          ORDER BY stripe FOR UPDATE SKIP LOCKED`,
    );
    const got = new Set(locked.map((l) => l.stripe));
    for (const w of wanted) if (!got.has(w)) busy.add(w);
    const total = locked.reduce((n, l) => n + l.available, 0);
    if (total > 0) {
      // planTake indexes the locked rows; they come in stripe order, the order to write them in
      for (const p of planTake(
        locked.map((l) => l.available),
        Math.min(need, total),
      )!) {
        const stripe = locked[p.stripe]!.stripe;
        await run(
          tx,
          sql`UPDATE ga_stripes SET available = available - ${p.quantity} WHERE ${where} AND stripe = ${stripe}`,
        );
        takes.push({ stripe, quantity: p.quantity });
        need -= p.quantity;
      }
    }
    if (need === 0) return { ok: true, takes };
  }
  return { ok: false, available: left + quantity - need };
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
