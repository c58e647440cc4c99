/**
 * Holds: placing one (all or nothing, in one transaction) and reading one back. The lifecycle
 * transitions are in lifecycle.ts.
 *
 * Lock order, the same in every transaction that takes more than one of these: buyer row → hold
 * rows → seats (ascending) → GA items → GA stripes (ascending). Standalone ReleaseHold and the
 * sweeper never touch the buyer row; only placing and converting do, and they take it first.
 */
import { sql } from "drizzle-orm";
import type { Tx } from "../../../platform/db/index.js";
import { InvalidArgumentError } from "../../../platform/rpc/errors.js";
import { HoldNotActiveError, SeatsUnavailableError } from "../domain/errors.js";
import { effectiveState, type HoldState } from "../domain/hold.js";
import type { NormalisedItems } from "../domain/items.js";
import { assertBuyerCap, assertOnSale } from "../domain/limits.js";
import { mergeTakes, type StripeTake, tryOrder } from "../domain/stripes.js";
import { type ClaimTarget, claimBestAvailable, claimSeats, countFreeSeats } from "./claims.js";
import { takeGa } from "./ga.js";
import { type Inventory, resolveSeats, type SectionInfo } from "./inventory.js";
import { transitionHold } from "./lifecycle.js";
import { type Q, rows, run, utc } from "./sql.js";

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
 *
 * Statement order: everything that does not touch a contended row comes first (buyer row, previous
 * hold, the hold row itself), then seats, then GA stripes — the hottest rows, locked last so they
 * are held for the fewest statements before the commit.
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
  if (buyer.last_hold_id !== null && buyer.last_hold_id !== input.holdId) {
    // a converted hold belongs to an order now: nothing to release (convertHold clears the pointer too)
    const r = await transitionHold(tx, buyer.last_hold_id, "release", now).catch((e: unknown) => {
      if (e instanceof HoldNotActiveError) return undefined;
      throw e;
    });
    if (r !== undefined) replaced = { holdId: buyer.last_hold_id, state: r.state };
  }
  await run(
    tx,
    sql`UPDATE buyers SET last_hold_id = ${input.holdId} WHERE inv_id = ${inv.invId} AND buyer_id = ${input.buyerId}`,
  );

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

  // every price is known before any claim: the hold row goes in first
  const seatCount = items.seats.length + items.bestAvailable.reduce((n, b) => n + b.quantity, 0);
  const totalMinor =
    items.seats.reduce((n, x) => n + section(x.sectionNo).priceMinor, 0) +
    [...items.bestAvailable, ...items.generalAdmission].reduce(
      (n, x) => n + section(x.sectionNo).priceMinor * x.quantity,
      0,
    );
  const first = [...items.seats, ...items.bestAvailable, ...items.generalAdmission][0]!;
  const currencyCode = section(first.sectionNo).currencyCode;
  await run(
    tx,
    sql`INSERT INTO holds (id, inv_id, event_id, buyer_id, state, quantity, currency_code, total_minor, create_time, expire_time)
        VALUES (${input.holdId}, ${inv.invId}, ${inv.sales.eventId}, ${input.buyerId}, 'ACTIVE', ${items.quantity},
                ${currencyCode}, ${totalMinor}, ${now}, ${input.expireTime})`,
  );

  const target: ClaimTarget = { invId: inv.invId, holdId: input.holdId, until: input.expireTime, now };
  const heldSeats: HeldSeat[] = [];
  const reserved = [...new Set([...items.seats, ...items.bestAvailable].map((i) => i.sectionNo))].sort((a, b) => a - b);
  for (const no of reserved) {
    const s = section(no);
    const specific = items.seats.flatMap((x, i) => (x.sectionNo === no ? [{ ...x, seatNo: seatNos[i]! }] : []));
    if (specific.length > 0) {
      const sorted = specific.map((x) => x.seatNo).sort((a, b) => a - b);
      if (!(await claimSeats(tx, target, sorted)))
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
  }
  const heldGa: Array<{ section: SectionInfo; takes: StripeTake[] }> = [];
  for (const ga of items.generalAdmission) {
    const s = section(ga.sectionNo);
    const r = await takeGa(tx, target, s, ga.quantity, tryOrder(s.stripes, input.stripeHint, s.stripes));
    if (!r.ok) throw new SeatsUnavailableError(s.sectionId, r.available);
    heldGa.push({ section: s, takes: mergeTakes(r.takes) });
  }

  if (heldSeats.length !== seatCount)
    throw new Error(`hold ${input.holdId}: ${heldSeats.length} of ${seatCount} seats`);
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
