/**
 * Live seat maps: for each event this process has watchers (or recent seat-map readers) for, one
 * {@link SeatMap} loaded once from the rows and then moved forward by change notices
 * (availability-feed.ts). A refresh loop reads back the seats of the holds the notices name, the
 * GA counts, and applies lazy expiry; each refresh with a change is one new version, which the
 * streams' fan-outs (use-cases/watch-availability.ts) pick up at their next tick. Every watcher of
 * an event shares the one map and the messages built from it (mappers.ts), so 2,000 watchers cost
 * one read per refresh, not 2,000.
 *
 * A map nobody uses for `idleMs` is dropped. Every `resyncMs`, and whenever notices may have been
 * lost (the Redis subscription was down), a map reads all its seats again: the log of changes
 * then carries only what really differed.
 */

import type { Clock } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import type { Logger } from "../../platform/log/index.js";
import type { Notice, NoticeListener } from "./availability-feed.js";
import { allSeatFacts, gaCounts, holdSeatFacts } from "./db/availability.js";
import { type Inventory, loadInventory } from "./db/inventory.js";
import type { LiveMaps } from "./deps.js";
import { SeatMap } from "./domain/seat-map.js";

/** Static seat labels of an event, by seat number. */
export interface SeatLabels {
  readonly rowNo: Uint16Array;
  readonly rowLabel: readonly string[];
  readonly seatLabel: readonly string[];
}

/** One event's live map, shared by every stream of the event in this process. */
export class LiveEvent {
  refs = 0;
  lastUsed = 0;
  /** ms since the epoch of the read the current version reflects. */
  asOf = 0;
  /** Messages built for the current version, shared by the streams (mappers.ts fills it). */
  readonly built = new Map<string, unknown>();
  readonly pendingHolds = new Set<string>();
  pendingInventory = false;
  pendingResync = false;
  busy = false;
  lastResync = 0;

  constructor(
    readonly eventId: string,
    public inventory: Inventory,
    readonly map: SeatMap,
    readonly labels: SeatLabels,
  ) {}

  /** A new version: what was built for the previous one is dropped (streams see the version at their next tick). */
  versionChanged(): void {
    this.built.clear();
  }
}

export interface LiveAvailabilityOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  listen(listener: NoticeListener): () => void;
  /** Refresh loop period (default 100 ms). */
  refreshMs?: number;
  /** A map unused this long is dropped (default 60 s). */
  idleMs?: number;
  /** Full re-read of a map's seats this often (default 60 s): heals a lost notice. */
  resyncMs?: number;
}

export class LiveAvailability implements LiveMaps {
  readonly #o: Required<LiveAvailabilityOptions>;
  readonly #events = new Map<string, LiveEvent>();
  readonly #loading = new Map<string, Promise<LiveEvent>>();
  /** Notices for maps being loaded: applied once the load is in. */
  readonly #pendingLoads = new Map<string, { pendingHolds: Set<string>; inventory: boolean }>();
  readonly #unlisten: () => void;
  readonly #timer: NodeJS.Timeout;

  constructor(opts: LiveAvailabilityOptions) {
    this.#o = { refreshMs: 100, idleMs: 60_000, resyncMs: 60_000, ...opts };
    this.#unlisten = opts.listen((n) => this.#notice(n));
    this.#timer = setInterval(() => this.#tick(), this.#o.refreshMs);
    this.#timer.unref();
  }

  /** Live maps held now (tests and metrics). */
  get size(): number {
    return this.#events.size;
  }

  async acquire(inventory: Inventory): Promise<LiveEvent> {
    const eventId = inventory.sales.eventId;
    let live = this.#events.get(eventId);
    if (live === undefined) {
      let loading = this.#loading.get(eventId);
      if (loading === undefined) {
        loading = this.#load(inventory).finally(() => this.#loading.delete(eventId));
        this.#loading.set(eventId, loading);
      }
      live = await loading;
    }
    live.refs++;
    live.lastUsed = this.#o.clock.now();
    return live;
  }

  release(live: LiveEvent): void {
    live.refs = Math.max(0, live.refs - 1);
    live.lastUsed = this.#o.clock.now();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unlisten();
    for (const live of this.#events.values()) live.versionChanged();
    this.#events.clear();
  }

  async #load(inventory: Inventory): Promise<LiveEvent> {
    const eventId = inventory.sales.eventId;
    // Registered before the read: notices arriving meanwhile queue on it and are read back after.
    const placeholder = { pendingHolds: new Set<string>(), inventory: false };
    this.#pendingLoads.set(eventId, placeholder);
    try {
      const map = new SeatMap(inventory.sections);
      const now = this.#o.clock.now();
      const seats = await allSeatFacts(this.#o.db.orm, inventory.invId);
      const rowNo = new Uint16Array(map.seatCount);
      const rowLabel: string[] = new Array(map.seatCount).fill("");
      const seatLabel: string[] = new Array(map.seatCount).fill("");
      for (const s of seats) {
        if (s.seatNo >= map.seatCount) continue;
        rowNo[s.seatNo] = s.rowNo;
        rowLabel[s.seatNo] = s.rowLabel;
        seatLabel[s.seatNo] = s.seatLabel;
      }
      map.applySeats(seats, now);
      for (const g of await gaCounts(this.#o.db.orm, inventory.invId, new Date(now)))
        map.setGa(g.sectionNo, g.available, g.sold);
      map.commit();
      const live = new LiveEvent(eventId, inventory, map, { rowNo, rowLabel, seatLabel });
      live.asOf = now;
      live.lastResync = now;
      for (const h of placeholder.pendingHolds) live.pendingHolds.add(h);
      live.pendingInventory = placeholder.inventory;
      this.#events.set(eventId, live);
      return live;
    } finally {
      this.#pendingLoads.delete(eventId);
    }
  }

  #notice(notices: readonly Notice[] | "resync"): void {
    if (notices === "resync") {
      for (const live of this.#events.values()) live.pendingResync = true;
      return;
    }
    for (const n of notices) {
      const target = this.#events.get(n.eventId) ?? this.#pendingLoads.get(n.eventId);
      if (target === undefined) continue;
      for (const h of n.holdIds) target.pendingHolds.add(h);
      if (n.inventory) {
        if (target instanceof LiveEvent) target.pendingInventory = true;
        else target.inventory = true;
      }
    }
  }

  #tick(): void {
    const now = this.#o.clock.now();
    for (const live of this.#events.values()) {
      if (live.refs === 0 && now - live.lastUsed > this.#o.idleMs) {
        this.#events.delete(live.eventId);
        continue;
      }
      if (live.busy) continue;
      if (now - live.lastResync >= this.#o.resyncMs) live.pendingResync = true;
      live.busy = true;
      this.#refresh(live, now)
        .catch((err: unknown) =>
          this.#o.logger.warn({ err, eventId: live.eventId }, "live availability refresh failed"),
        )
        .finally(() => {
          live.busy = false;
        });
    }
  }

  async #refresh(live: LiveEvent, now: number): Promise<void> {
    const holds = [...live.pendingHolds];
    const inventory = live.pendingInventory;
    const resync = live.pendingResync;
    live.pendingHolds.clear();
    live.pendingInventory = false;
    live.pendingResync = false;
    const { db } = this.#o;
    try {
      if (inventory) {
        const fresh = await loadInventory(db.orm, live.eventId);
        if (fresh !== undefined) live.inventory = fresh;
        live.map.touchAll(); // prices and the sales state show in every section
      }
      if (resync) {
        live.map.applySeats(await allSeatFacts(db.orm, live.inventory.invId), now);
        live.lastResync = now;
      } else if (holds.length > 0) {
        for (let i = 0; i < holds.length; i += 500)
          live.map.applySeats(await holdSeatFacts(db.orm, holds.slice(i, i + 500)), now);
      }
      if (resync || inventory || holds.length > 0) {
        if (live.inventory.sections.some((s) => s.kind === "GA"))
          for (const g of await gaCounts(db.orm, live.inventory.invId, new Date(now)))
            live.map.setGa(g.sectionNo, g.available, g.sold);
      }
    } catch (err) {
      // read again at the next tick rather than lose the notices
      for (const h of holds) live.pendingHolds.add(h);
      live.pendingInventory ||= inventory;
      live.pendingResync ||= resync;
      throw err;
    }
    live.map.expire(this.#o.clock.now());
    if (live.map.commit()) {
      live.asOf = now;
      live.versionChanged();
    }
  }
}
