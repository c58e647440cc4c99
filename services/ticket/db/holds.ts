/**
 * Holds: placing one (all or nothing, in one transaction) and its lifecycle transitions as
 * compare-and-set on the hold row, each returning the hold's places exactly once.
 *
 * Lock order, the same in every transaction that takes more than one of these, so they cannot
 * deadlock: buyer row → hold row → seats (ascending) → GA items → GA stripes (ascending).
 * Standalone ReleaseHold and the sweeper never touch the buyer row; only placing and converting do,
 * and they take it first.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { InvalidArgumentError } from "../../../platform/rpc/errors.js";
import { HoldNotActiveError, SeatsUnavailableError } from "../domain/errors.js";
import { decide, effectiveState, type HoldAction, type HoldState } from "../domain/hold.js";
import type { NormalisedItems } from "../domain/items.js";
import { assertBuyerCap, assertOnSale } from "../domain/limits.js";
import { mergeTakes, type StripeTake, tryOrder } from "../domain/stripes.js";
import { type ClaimTarget, claimBestAvailable, claimSeats, countFreeSeats } from "./claims.js";
import { returnToStripes, takeGa } from "./ga.js";
import { type Inventory, resolveSeats, type SectionInfo } from "./inventory.js";
import { FOREVER, type Q, rows, run, utc } from "./sql.js";

export interface HeldSeat {
  readonly sectionId: string;
  readonly seatNo: number;
  readonly rowLabel: string;
  readonly seatLabel: string;
  readonly priceMinor: number;
}

export interface HeldGa {
  readonly sectionId: string;
  readonly quantity: number;
  readonly unitPriceMinor: number;
}

/** A hold as the API shows it; `state` is the effective one (lazy expiry applied). */
export interface HoldView {
  readonly id: string;
  readonly eventId: string;
  readonly buyerId: string;
  readonly state: HoldState;
  readonly seats: HeldSeat[];
  readonly generalAdmission: HeldGa[];
  readonly quantity: number;
  readonly currencyCode: string;
  readonly totalMinor: number;
  readonly createTime: Date;
  readonly expireTime: Date;
  readonly orderId: string | undefined;
}

export interface PlaceHoldInput {
  readonly inventory: Inventory;
  readonly holdId: string;
  readonly buyerId: string;
  readonly now: Date;
  readonly expireTime: Date;
  readonly items: NormalisedItems;
  /** Spreads GA buyers over stripes: random per request (or a hash of the buyer). */
  readonly stripeHint: number;
}

export interface PlacedHold {
  readonly hold: HoldView;
  /** The buyer's previous hold, released (or found expired) by this one. */
  readonly replaced?: { readonly holdId: string; readonly state: HoldState };
}

/**
 * Places a hold in `tx`: checks sales and the buyer's cap, releases the buyer's previous hold, claims
 * every item (refusing with SeatsUnavailableError naming the section and what is left there) and
 * records the hold. Throws the domain's errors; the caller's transaction then rolls everything back.
 */
export async function placeHold(tx: Tx, input: PlaceHoldInput): Promise<PlacedHold> {
  const { inventory: inv, items, now } = input;
  const sectionOf = new Map(inv.sections.map((s) => [s.sectionNo, s]));
  const section = (no: number) => sectionOf.get(no)!;

  // the buyer row serialises this buyer's holds (and only theirs); the event's status rides along
  const [buyer] = await rows<{ last_hold_id: string | null; in_orders: number; status: "ON_SALE" | "CANCELLED" }>(
    tx,
    sql`INSERT INTO buyers (inv_id, buyer_id, last_hold_id, in_orders) VALUES (${inv.invId}, ${input.buyerId}, NULL, 0)
        ON DUPLICATE KEY UPDATE buyer_id = buyer_id
        RETURNING last_hold_id, in_orders, (SELECT status FROM inventories WHERE inv_id = ${inv.invId}) AS status`,
  );
  if (buyer === undefined) throw new Error("buyer upsert returned nothing");
  assertOnSale({ ...inv.sales, status: buyer.status }, now);
  assertBuyerCap(inv.sales, buyer.in_orders, items.quantity);

  let replaced: PlacedHold["replaced"];
  let returned: Array<{ sectionNo: number; stripe: number }> = [];
  if (buyer.last_hold_id !== null && buyer.last_hold_id !== input.holdId) {
    // a converted hold belongs to an order now: nothing to release (convertHold clears the pointer too)
    const r = await transitionHold(tx, buyer.last_hold_id, "release", now).catch((e: unknown) => {
      if (e instanceof HoldNotActiveError) return undefined;
      throw e;
    });
    if (r !== undefined) {
      replaced = { holdId: buyer.last_hold_id, state: r.state };
      returned = r.returnedGa;
    }
  }

  const target: ClaimTarget = { invId: inv.invId, holdId: input.holdId, until: input.expireTime, now };
  const seatNos = await resolveSeats(tx, inv.invId, items.seats);
  const unknown = items.seats.flatMap((s, i) =>
    seatNos[i] === undefined
      ? [
          {
            field: `items[${s.index}].seat`,
            description: "no such row and seat in this section",
            reason: "UNKNOWN_SEAT",
          },
        ]
      : [],
  );
  if (unknown.length > 0) throw new InvalidArgumentError(unknown);

  const heldSeats: HeldSeat[] = [];
  const heldGa: Array<{ section: SectionInfo; takes: StripeTake[] }> = [];
  const sectionNos = [
    ...new Set([...items.seats, ...items.bestAvailable, ...items.generalAdmission].map((i) => i.sectionNo)),
  ].sort((a, b) => a - b);
  for (const no of sectionNos) {
    const s = section(no);
    const specific = items.seats.flatMap((x, i) => (x.sectionNo === no ? [{ ...x, seatNo: seatNos[i]! }] : []));
    if (specific.length > 0) {
      if (
        !(await claimSeats(
          tx,
          target,
          specific.map((x) => x.seatNo).sort((a, b) => a - b),
        ))
      )
        throw new SeatsUnavailableError(s.sectionId, await countFreeSeats(tx, inv.invId, s, now));
      for (const x of specific)
        heldSeats.push({
          sectionId: s.sectionId,
          seatNo: x.seatNo,
          rowLabel: x.rowLabel,
          seatLabel: x.seatLabel,
          priceMinor: s.priceMinor,
        });
    }
    const best = items.bestAvailable.find((x) => x.sectionNo === no);
    if (best) {
      const r = await claimBestAvailable(tx, target, s, best.quantity);
      if (!r.ok) throw new SeatsUnavailableError(s.sectionId, r.available);
      heldSeats.push(...(await seatLabels(tx, inv.invId, r.seatNos, s)));
    }
    const ga = items.generalAdmission.find((x) => x.sectionNo === no);
    if (ga) {
      // stripes this transaction already holds (places just returned by the previous hold) first
      const mine = returned.filter((r) => r.sectionNo === no).map((r) => r.stripe);
      const order = [...new Set([...mine, ...tryOrder(s.stripes, input.stripeHint, 2)])];
      const r = await takeGa(tx, target, s, ga.quantity, order);
      if (!r.ok) throw new SeatsUnavailableError(s.sectionId, r.available);
      heldGa.push({ section: s, takes: mergeTakes(r.takes) });
    }
  }

  const currencyCode = section(sectionNos[0]!).currencyCode;
  const totalMinor =
    heldSeats.reduce((n, x) => n + x.priceMinor, 0) +
    heldGa.reduce((n, g) => n + g.section.priceMinor * g.takes.reduce((m, t) => m + t.quantity, 0), 0);
  await run(
    tx,
    sql`INSERT INTO holds (id, inv_id, event_id, buyer_id, state, quantity, currency_code, total_minor, create_time, expire_time)
        VALUES (${input.holdId}, ${inv.invId}, ${inv.sales.eventId}, ${input.buyerId}, 'ACTIVE', ${items.quantity},
                ${currencyCode}, ${totalMinor}, ${now}, ${input.expireTime})`,
  );
  if (heldSeats.length > 0) {
    const bySection = new Map(inv.sections.map((s) => [s.sectionId, s.sectionNo]));
    await run(
      tx,
      sql`INSERT INTO hold_seats (hold_id, seat_no, inv_id, section_no, price_minor) VALUES ${sql.join(
        heldSeats.map(
          (x) => sql`(${input.holdId}, ${x.seatNo}, ${inv.invId}, ${bySection.get(x.sectionId)!}, ${x.priceMinor})`,
        ),
        sql`, `,
      )}`,
    );
  }
  if (heldGa.length > 0) {
    await run(
      tx,
      sql`INSERT INTO hold_ga_items (hold_id, section_no, stripe, inv_id, quantity, unit_price_minor, taken_until) VALUES ${sql.join(
        heldGa.flatMap((g) =>
          g.takes.map(
            (t) =>
              sql`(${input.holdId}, ${g.section.sectionNo}, ${t.stripe}, ${inv.invId}, ${t.quantity}, ${g.section.priceMinor}, ${input.expireTime})`,
          ),
        ),
        sql`, `,
      )}`,
    );
  }
  await run(
    tx,
    sql`UPDATE buyers SET last_hold_id = ${input.holdId} WHERE inv_id = ${inv.invId} AND buyer_id = ${input.buyerId}`,
  );
  return {
    replaced,
    hold: {
      id: input.holdId,
      eventId: inv.sales.eventId,
      buyerId: input.buyerId,
      state: "ACTIVE",
      seats: heldSeats,
      generalAdmission: heldGa.map((g) => ({
        sectionId: g.section.sectionId,
        quantity: g.takes.reduce((n, t) => n + t.quantity, 0),
        unitPriceMinor: g.section.priceMinor,
      })),
      quantity: items.quantity,
      currencyCode,
      totalMinor,
      createTime: now,
      expireTime: input.expireTime,
      orderId: undefined,
    },
  };
}

async function seatLabels(tx: Tx, invId: number, seatNos: number[], s: SectionInfo): Promise<HeldSeat[]> {
  const found = await rows<{ seat_no: number; row_label: string; seat_label: string }>(
    tx,
    sql`SELECT seat_no, row_label, seat_label FROM seats WHERE inv_id = ${invId} AND seat_no IN (${sql.join(
      seatNos.map((n) => sql`${n}`),
      sql`, `,
    )}) ORDER BY seat_no`,
  );
  return found.map((f) => ({
    sectionId: s.sectionId,
    seatNo: f.seat_no,
    rowLabel: f.row_label,
    seatLabel: f.seat_label,
    priceMinor: s.priceMinor,
  }));
}

export interface TransitionResult {
  /** The hold's state after the call (as the caller should show it). */
  readonly state: HoldState;
  /** False when the hold already was in that state (an idempotent repeat). */
  readonly changed: boolean;
  readonly invId: number;
  readonly eventId: string;
  /** GA stripes places went back to (this transaction holds their locks now). */
  readonly returnedGa: Array<{ sectionNo: number; stripe: number }>;
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
      const returnedGa = await applyEffects(tx, h, attempt.to, now);
      return { ...base, state: attempt.to, changed: true, returnedGa };
    }
    const d = decide({ id: h.id, state: h.state, expireTime: utc(h.expire_time) }, action, now);
    if (d.kind === "noop") return { ...base, state: d.state, changed: false, returnedGa: [] };
    attempt = d;
  }
  throw new Error(`hold ${holdId} kept changing under ${action}`);
}

async function applyEffects(
  tx: Tx,
  h: HoldStatusRow,
  to: Exclude<HoldState, "ACTIVE">,
  now: Date,
): Promise<Array<{ sectionNo: number; stripe: number }>> {
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
    return [];
  }
  if (to === "RELEASED") {
    await run(
      tx,
      sql`UPDATE seats s JOIN hold_seats hs ON hs.inv_id = s.inv_id AND hs.seat_no = s.seat_no
          SET s.hold_id = NULL, s.taken_until = NULL
          WHERE hs.hold_id = ${h.id} AND s.hold_id = ${h.id} AND s.taken_until < ${FOREVER}`,
    );
  }
  return returnGaOfHold(tx, h.id);
}

/** Returns a hold's outstanding GA places (those not already returned by a reclaimer) once. */
async function returnGaOfHold(tx: Tx, holdId: string): Promise<Array<{ sectionNo: number; stripe: number }>> {
  const items = await rows<{ inv_id: number; section_no: number; stripe: number; quantity: number }>(
    tx,
    sql`SELECT inv_id, section_no, stripe, quantity FROM hold_ga_items
        WHERE hold_id = ${holdId} AND taken_until IS NOT NULL AND taken_until < ${FOREVER}
        ORDER BY section_no, stripe FOR UPDATE`,
  );
  if (items.length === 0) return [];
  await run(
    tx,
    sql`UPDATE hold_ga_items SET taken_until = NULL
        WHERE hold_id = ${holdId} AND taken_until IS NOT NULL AND taken_until < ${FOREVER}`,
  );
  await returnToStripes(
    tx,
    items[0]!.inv_id,
    items.map((i) => ({ sectionNo: i.section_no, stripe: i.stripe, quantity: i.quantity })),
  );
  return items.map((i) => ({ sectionNo: i.section_no, stripe: i.stripe }));
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
                            last_hold_id = IF(last_hold_id = ${holdId}, NULL, last_hold_id)
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
  const items = await rows<{ section_no: number; stripe: number; quantity: number }>(
    tx,
    sql`SELECT section_no, stripe, quantity FROM hold_ga_items WHERE hold_id = ${holdId} AND taken_until = ${FOREVER} FOR UPDATE`,
  );
  await run(
    tx,
    sql`UPDATE hold_ga_items SET taken_until = NULL, sold = FALSE WHERE hold_id = ${holdId} AND taken_until = ${FOREVER}`,
  );
  await returnToStripes(
    tx,
    h.inv_id,
    items.map((i) => ({ sectionNo: i.section_no, stripe: i.stripe, quantity: i.quantity })),
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

/** A hold with its places and prices; undefined when unknown. */
export async function loadHold(q: Q, holdId: string, now: Date): Promise<HoldView | undefined> {
  const [h] = await rows<{
    id: string;
    event_id: string;
    buyer_id: string;
    state: HoldState;
    quantity: number;
    currency_code: string;
    total_minor: number;
    create_time: Date | string;
    expire_time: Date | string;
    order_id: string | null;
  }>(q, sql`SELECT * FROM holds WHERE id = ${holdId}`);
  if (h === undefined) return undefined;
  const seatRows = await rows<{
    section_id: string;
    seat_no: number;
    row_label: string;
    seat_label: string;
    price_minor: number;
  }>(
    q,
    sql`SELECT sec.section_id, hs.seat_no, s.row_label, s.seat_label, hs.price_minor
        FROM hold_seats hs
        JOIN seats s ON s.inv_id = hs.inv_id AND s.seat_no = hs.seat_no
        JOIN inventory_sections sec ON sec.inv_id = hs.inv_id AND sec.section_no = hs.section_no
        WHERE hs.hold_id = ${holdId} ORDER BY hs.seat_no`,
  );
  const gaRows = await rows<{ section_id: string; quantity: number; unit_price_minor: number }>(
    q,
    sql`SELECT sec.section_id, SUM(g.quantity) AS quantity, MAX(g.unit_price_minor) AS unit_price_minor
        FROM hold_ga_items g JOIN inventory_sections sec ON sec.inv_id = g.inv_id AND sec.section_no = g.section_no
        WHERE g.hold_id = ${holdId} GROUP BY g.section_no, sec.section_id ORDER BY g.section_no`,
  );
  return {
    id: h.id,
    eventId: h.event_id,
    buyerId: h.buyer_id,
    state: effectiveState({ id: h.id, state: h.state, expireTime: utc(h.expire_time) }, now),
    seats: seatRows.map((s) => ({
      sectionId: s.section_id,
      seatNo: s.seat_no,
      rowLabel: s.row_label,
      seatLabel: s.seat_label,
      priceMinor: Number(s.price_minor),
    })),
    generalAdmission: gaRows.map((g) => ({
      sectionId: g.section_id,
      quantity: Number(g.quantity),
      unitPriceMinor: Number(g.unit_price_minor),
    })),
    quantity: h.quantity,
    currencyCode: h.currency_code,
    totalMinor: Number(h.total_minor),
    createTime: utc(h.create_time),
    expireTime: utc(h.expire_time),
    orderId: h.order_id ?? undefined,
  };
}
