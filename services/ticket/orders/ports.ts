/**
 * What the order half needs from the inventory half of the ticket service (implemented over
 * services/ticket/db by ./inventory-port.ts; the wiring may hand in its own). Everything here runs
 * on the caller's transaction or the pool (`Q`), so an order's change and its places' change commit
 * together.
 */
import type { Tx } from "../../../platform/db/index.js";
import type { Q } from "../db/sql.js";
import type { HeldPlaces } from "./domain/places.js";

/** What an email says about the event (OrderConfirmed, OrderCancelled, OrderRescheduled). */
export interface EventSummaryView {
  readonly name: string;
  readonly startTime?: Date;
  readonly endTime?: Date;
  readonly timeZone: string;
  readonly venueName: string;
  readonly venueCity: string;
}

export interface SectionView {
  readonly sectionNo: number;
  readonly sectionId: string;
  readonly name: string;
  readonly capacity: number;
  readonly currencyCode: string;
  readonly priceMinor: number;
}

/** An event's inventory as the order half reads it. */
export interface InventoryView {
  readonly invId: number;
  readonly eventId: string;
  readonly organizerId: string;
  readonly status: "ON_SALE" | "CANCELLED";
  readonly sections: readonly SectionView[];
  readonly summary: EventSummaryView;
}

/** A hold with its places (the inventory's HoldView fits). */
export interface HoldPlacesView extends HeldPlaces {
  readonly id: string;
  readonly eventId: string;
  readonly buyerId: string;
  /** Effective state: an ACTIVE hold past expire_time reads EXPIRED. */
  readonly state: "ACTIVE" | "RELEASED" | "EXPIRED" | "CONVERTED";
  readonly quantity: number;
  readonly currencyCode: string;
  readonly totalMinor: number;
  readonly expireTime: Date;
  readonly orderId: string | undefined;
}

export interface SectionCountsView {
  readonly sectionNo: number;
  readonly total: number;
  readonly available: number;
  readonly held: number;
  readonly sold: number;
}

export interface InventoryPort {
  /** The event's inventory; undefined when none was materialised. */
  loadInventory(q: Q, eventId: string): Promise<InventoryView | undefined>;
  /** Only the event's summary (what emails show): a single read on the purchase path. */
  loadSummary(q: Q, eventId: string): Promise<EventSummaryView | undefined>;
  loadHold(q: Q, holdId: string, now: Date): Promise<HoldPlacesView | undefined>;
  /**
   * The event's sales status, read with a shared lock on its inventory row: stopping sales writes
   * that row, so it waits for this transaction, and a checkout that saw ON_SALE has committed its
   * order before any cancellation starts looking for orders. Undefined when there is no inventory.
   */
  lockSalesStatus(tx: Tx, eventId: string): Promise<"ON_SALE" | "CANCELLED" | undefined>;
  /** Stops sales for good (idempotent; works before the inventory exists). */
  stopSales(tx: Tx, eventId: string, at: Date): Promise<boolean>;
  /**
   * Checkout's step: the ACTIVE, unexpired hold becomes CONVERTED for `orderId` (its places now
   * never expire). Throws HOLD_NOT_ACTIVE otherwise; undefined for an unknown hold.
   */
  convertHold(tx: Tx, holdId: string, orderId: string, now: Date): Promise<{ readonly changed: boolean } | undefined>;
  /** The order is paid: its places read SOLD. Idempotent. */
  markHoldSold(tx: Tx, holdId: string): Promise<void>;
  /** The order failed or was cancelled: its places go back on sale, once. */
  returnOrderPlaces(tx: Tx, holdId: string): Promise<boolean>;
  /** Per section: total, available, held, sold (one consistent read). */
  sectionCounts(q: Q, invId: number, now: Date): Promise<readonly SectionCountsView[]>;
  /**
   * After a commit that changed what is for sale (availability caches, WatchAvailability): the
   * holds whose places changed, so live seat maps read those places back.
   */
  notifyAvailabilityChanged(eventId: string, holdIds: readonly string[]): void;
}
