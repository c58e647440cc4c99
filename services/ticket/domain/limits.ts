/**
 * The limits a hold must respect before any place is claimed: the sales window (and a cancelled
 * event), the per-order limit and the per-buyer cap per event. Pure: the caller passes the event's
 * sales state, the buyer's places in orders and the clock's now.
 */
import { BuyerLimitError, OrderLimitError, SalesClosedError } from "./errors.js";

export interface SalesState {
  readonly eventId: string;
  /** ON_SALE once materialised from EventPublished; CANCELLED after EventCancelled (terminal). */
  readonly status: "ON_SALE" | "CANCELLED";
  readonly salesStart: Date;
  readonly salesEnd: Date;
  readonly maxPerOrder: number;
  /** Most places one buyer may have for the event across the active hold and PENDING/CONFIRMED orders. */
  readonly maxPerBuyer: number;
}

/** Why the event is not on sale at `now`, or undefined when it is. The window is [start, end). */
export function salesClosedReason(s: SalesState, now: Date): SalesClosedError["why"] | undefined {
  if (s.status === "CANCELLED") return "CANCELLED";
  if (now.getTime() < s.salesStart.getTime()) return "NOT_OPEN_YET";
  if (now.getTime() >= s.salesEnd.getTime()) return "CLOSED";
  return undefined;
}

export function assertOnSale(s: SalesState, now: Date): void {
  const why = salesClosedReason(s, now);
  if (why !== undefined) throw new SalesClosedError(s.eventId, why);
}

/** `quantity` places in one hold: at least 1 and at most the per-order limit. */
export function assertOrderLimit(s: SalesState, quantity: number): void {
  if (quantity > s.maxPerOrder) throw new OrderLimitError(s.maxPerOrder, quantity);
}

/**
 * A new hold of `quantity` for a buyer who has `inOrders` places in PENDING/CONFIRMED orders. The
 * buyer's previous active hold is released by the new one, so it does not count.
 */
export function assertBuyerCap(s: SalesState, inOrders: number, quantity: number): void {
  if (inOrders + quantity > s.maxPerBuyer) throw new BuyerLimitError(s.maxPerBuyer, inOrders);
}

/** The cap when the event sets none: the per-order limit (one order's worth per buyer). */
export function defaultBuyerCap(maxPerOrder: number, configured?: number): number {
  return configured !== undefined && configured > 0 ? configured : maxPerOrder;
}
