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
import { InvalidArgumentError } from "../../../platform/errors/index.js";
import { HoldNotActiveError, SeatsUnavailableError } from "../domain/errors.js";
import { effectiveState, type HoldState } from "../domain/hold.js";
import type { NormalisedItems } from "../domain/items.js";
import { assertBuyerCap, assertOnSale } from "../domain/limits.js";
import { mergeTakes, type StripeTake } from "../domain/stripes.js";
import { type ClaimTarget, claimBestAvailable, claimSeats, type SeatClaim } from "./claims.js";
import { takeGa } from "./ga.js";
import type { Inventory, SectionInfo } from "./inventory.js";
import { transitionHold } from "./lifecycle.js";
import { called, type Q, rows, run, utc } from "./sql.js";

/** A refusal counts free seats up to this many (exact below; "at least" at it). */
export const REFUSAL_COUNT_CAP = 250;

export interface HeldSeat {
  readonly sectionId: string;
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
 * Statement order: everything that does not touch a contended row comes first (buyer row and hold
 * row in one call, then the previous hold's release), then seats, then GA stripes — the hottest
 * rows, locked last so they are held for the fewest statements before the commit.
 */
export async function placeHold(tx: Tx, input: PlaceHoldInput): Promise<PlacedHold> {
  const { inventory: inv, items, now } = input;
  const sectionOf = new Map(inv.sections.map((s) => [s.sectionNo, s]));
  const section = (no: number) => sectionOf.get(no)!;

  // Every price is known before any claim. One call (procedure `hold_begin`, migration 0006) locks
  // the buyer row (serialising this buyer's holds, and only theirs), records the new hold as the
  // buyer's latest, inserts the hold row, and tells the hold before it and the event's status.
  const seatCount = items.seats.length + items.bestAvailable.reduce((n, b) => n + b.quantity, 0);
  const totalMinor =
    items.seats.reduce((n, x) => n + section(x.sectionNo).priceMinor, 0) +
    [...items.bestAvailable, ...items.generalAdmission].reduce(
      (n, x) => n + section(x.sectionNo).priceMinor * x.quantity,
      0,
    );
  const first = [...items.seats, ...items.bestAvailable, ...items.generalAdmission][0]!;
  const currencyCode = section(first.sectionNo).currencyCode;
  const [buyer] = await called<{ prev_hold_id: string | null; in_orders: number; status: "ON_SALE" | "CANCELLED" }>(
    tx,
    sql`CALL hold_begin(${inv.invId}, ${input.buyerId}, ${input.holdId}, ${inv.sales.eventId}, ${items.quantity},
                       ${currencyCode}, ${totalMinor}, ${now}, ${input.expireTime})`,
  );
  if (buyer === undefined) throw new Error("hold_begin returned nothing");
  assertOnSale({ ...inv.sales, status: buyer.status }, now);
  assertBuyerCap(inv.sales, buyer.in_orders, items.quantity);

  let replaced: PlacedHold["replaced"];
  const previous = buyer.prev_hold_id;
  if (previous !== null && previous !== input.holdId) {
    // a converted hold belongs to an order now: nothing to release
    const r = await transitionHold(tx, previous, "release", now).catch((e: unknown) => {
      if (e instanceof HoldNotActiveError) return undefined;
      throw e;
    });
    if (r !== undefined) replaced = { holdId: previous, state: r.state };
  }

  const target: ClaimTarget = { invId: inv.invId, holdId: input.holdId, until: input.expireTime, now };
  const heldSeats: HeldSeat[] = [];
  const bestSeats: Array<{ seatNo: number; sectionNo: number; priceMinor: number }> = [];
  const reserved = [...new Set([...items.seats, ...items.bestAvailable].map((i) => i.sectionNo))].sort((a, b) => a - b);
  for (const no of reserved) {
    const s = section(no);
    const specific = items.seats.filter((x) => x.sectionNo === no);
    if (specific.length > 0) {
      const claim = await claimSeats(tx, target, s, specific, REFUSAL_COUNT_CAP);
      if (!claim.ok) refuseSeats(s, specific, claim);
      for (const x of specific)
        heldSeats.push({
          sectionId: s.sectionId,
          rowLabel: x.rowLabel,
          seatLabel: x.seatLabel,
          priceMinor: s.priceMinor,
        });
    }
    const best = items.bestAvailable.find((x) => x.sectionNo === no);
    if (best) {
      const r = await claimBestAvailable(tx, target, s, best.quantity);
      if (!r.ok) throw new SeatsUnavailableError(s.sectionId, r.available);
      for (const x of r.seats) {
        heldSeats.push({
          sectionId: s.sectionId,
          rowLabel: x.rowLabel,
          seatLabel: x.seatLabel,
          priceMinor: s.priceMinor,
        });
        bestSeats.push({ seatNo: x.seatNo, sectionNo: no, priceMinor: s.priceMinor });
      }
    }
  }
  const heldGa: Array<{ section: SectionInfo; takes: StripeTake[] }> = [];
  for (const ga of items.generalAdmission) {
    const s = section(ga.sectionNo);
    const r = await takeGa(tx, target, s, ga.quantity, input.stripeHint);
    if (!r.ok) throw new SeatsUnavailableError(s.sectionId, r.available);
    heldGa.push({ section: s, takes: mergeTakes(r.takes) });
  }

  if (heldSeats.length !== seatCount)
    throw new Error(`hold ${input.holdId}: ${heldSeats.length} of ${seatCount} seats`);
  if (bestSeats.length > 0) {
    await run(
      tx,
      sql`INSERT INTO hold_seats (hold_id, seat_no, inv_id, section_no, price_minor) VALUES ${sql.join(
        bestSeats.map((x) => sql`(${input.holdId}, ${x.seatNo}, ${inv.invId}, ${x.sectionNo}, ${x.priceMinor})`),
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

/**
 * A specific-seat claim failed: an unknown label is the caller's mistake (INVALID_ARGUMENT, found
 * only now, on the refusal path), otherwise some seat is taken (SEATS_UNAVAILABLE with the count).
 */
function refuseSeats(s: SectionInfo, asked: NormalisedItems["seats"], claim: SeatClaim & { ok: false }): never {
  const unknown = asked.flatMap((x, i) =>
    claim.found[i]
      ? []
      : [
          {
            field: `items[${x.index}].seat`,
            description: "no such row and seat in this section",
            reason: "UNKNOWN_SEAT",
          },
        ],
  );
  if (unknown.length > 0 || claim.available === undefined) throw new InvalidArgumentError(unknown);
  throw new SeatsUnavailableError(s.sectionId, claim.available);
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

/** Who holds a hold (its buyer), or undefined when there is no such hold. */
export async function holdOwner(q: Q, holdId: string): Promise<string | undefined> {
  const [h] = await rows<{ buyer_id: string }>(q, sql`SELECT buyer_id FROM holds WHERE id = ${holdId}`);
  return h?.buyer_id;
}
