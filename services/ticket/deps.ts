import type { ServiceImpl } from "@connectrpc/connect";
import type { EventLayout } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { Availability } from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import type { TicketService } from "../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { Clock } from "../../platform/clock/index.js";
import type { CommandDeps } from "../../platform/commands/index.js";
import type { Db, Tx } from "../../platform/db/index.js";
import type { IdGenerator } from "../../platform/ids/index.js";
import type { TicketSettings } from "./config.js";
import type { SectionCounts } from "./db/availability.js";
import type { HoldView } from "./db/holds.js";
import type { Inventory } from "./db/inventory.js";
import type { TransitionResult } from "./db/lifecycle.js";
import type { Q } from "./db/sql.js";
import type { LiveEvent } from "./live-availability.js";

export type { TicketSettings } from "./config.js";
export type { HoldView } from "./db/holds.js";
export type { EventSummary, Inventory, SectionInfo } from "./db/inventory.js";
export type { Q } from "./db/sql.js";

/**
 * What the order half of the ticket service (services/ticket/orders, `createOrders(ctx, inv)`)
 * uses of the inventory half: the facts of an event and of a hold, the hold transitions an order
 * drives, and the announcement of changed places. Functions taking a `Tx` run in the caller's
 * transaction (the pipeline's); a `Q` is a transaction or the pool.
 */
export interface InventoryPort {
  /**
   * An event's inventory (sales state and window, limits, sections with current prices, organizer,
   * and `summary`: name, start/end, time zone, venue — stored at materialisation and kept current
   * by EventUpdated; empty/undefined while the event service sends none). Undefined when the event
   * was never materialised (unknown, not published, or cancelled before it was).
   */
  loadInventory(q: Q, eventId: string): Promise<Inventory | undefined>;
  /** The same through this process's cache (≤ about a second stale; status is checked in writes). */
  cachedInventory(eventId: string): Promise<Inventory | undefined>;
  /** A hold with its places and prices; `state` is the effective one at `now` (lazy expiry). */
  loadHold(q: Q, holdId: string, now: Date): Promise<HoldView | undefined>;
  /**
   * Checkout's step: ACTIVE → CONVERTED (places kept for order `orderId`, never expiring; the
   * buyer's places in orders grow, which the per-buyer cap counts). Throws HoldNotActiveError
   * (FAILED_PRECONDITION `HOLD_NOT_ACTIVE`) unless ACTIVE now; undefined for an unknown hold.
   * Locks the buyer row first (the hold path's lock order).
   */
  convertHold(tx: Tx, holdId: string, orderId: string, now: Date): Promise<TransitionResult | undefined>;
  /** The order of a CONVERTED hold is paid: its places read SOLD. Idempotent. */
  markHoldSold(tx: Tx, holdId: string): Promise<void>;
  /** The order failed or was cancelled: its places go back on sale and leave the buyer's count, once. */
  returnOrderPlaces(tx: Tx, holdId: string): Promise<boolean>;
  /** Per section: total, available, held, sold (one statement; ~150 ms for 100,000 seats). */
  sectionCounts(q: Q, invId: number, now: Date): Promise<SectionCounts[]>;
  /**
   * Call after a commit that changed places (convert, sold, returned): watchers and the cached
   * counts catch up. Name the holds whose places changed; an empty list makes every live seat
   * map of the event read all its seats again (costly on big venues). Never throws, never waits.
   */
  notifyAvailabilityChanged(eventId: string, holdIds: readonly string[]): void;
}

/** What `createOrders(ctx, inv)` (services/ticket/orders/index.ts) returns; wired in index.ts. */
export interface OrdersPart {
  /** The order RPCs of TicketService; the inventory half's four are served whatever this holds. */
  handlers: Partial<ServiceImpl<typeof TicketService>>;
  internal: ServiceImpl<typeof TicketInternalService>;
  close?(): Promise<void>;
}

/** Reads inventories through a cache (platform/cache), dropped after every change of one. */
export interface InventoryCache {
  get(eventId: string): Promise<Inventory | undefined>;
  invalidate(eventId: string): Promise<void>;
}

/** An event's counts per section (no prices, no sales state) through the platform cache. */
export interface CountsCache {
  get(eventId: string): Promise<Availability | undefined>;
  invalidate(eventId: string): Promise<void>;
}

/** Tells watchers and caches, after a commit, that places changed. Never waits, never throws. */
export interface AvailabilityNotifier {
  /** Some holds' places changed (placed, released, expired, converted, sold, returned). */
  changed(eventId: string, holdIds: readonly (string | undefined)[]): void;
  /** The event's inventory changed: materialised, sales stopped, prices or summary. */
  inventoryChanged(eventId: string): void;
}

/** Live seat maps of the events this process serves watchers (and seat maps) for. */
export interface LiveMaps {
  /** The live map of an event, loaded on first use; hand it back with {@link release}. */
  acquire(inventory: Inventory): Promise<LiveEvent>;
  release(live: LiveEvent): void;
}

/** The event service's published layouts (EventInternalService.GetEventLayout, with the resilience policy). */
export interface EventLayouts {
  fetch(eventId: string, layoutVersion: bigint): Promise<EventLayout>;
}

/** What the ticket service's use-cases get, built once in index.ts from the process context. */
export interface TicketDeps extends CommandDeps {
  /** For reads; writes go through `commands`. */
  readonly db: Db;
  readonly clock: Clock;
  readonly newId: IdGenerator;
  readonly settings: TicketSettings;
  readonly inventories: InventoryCache;
  readonly counts: CountsCache;
  readonly notifier: AvailabilityNotifier;
  readonly live: LiveMaps;
  readonly layouts: EventLayouts;
  /** Aborted when the process drains: Watch streams end cleanly on it. */
  readonly drain: AbortSignal;
}
