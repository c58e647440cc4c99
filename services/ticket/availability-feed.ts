/**
 * Change notices about availability, across the instances of the ticket service, through Redis
 * pub/sub: after a write commits, the writer says which holds' places changed (or that an event's
 * inventory did: sales stopped, prices, materialised). Notices are gathered per process and sent
 * in one PUBLISH per flush, never awaited by the write: a hold pays a Map insert, not a round trip.
 *
 * A notice names holds, not states: whoever listens (a live seat map) reads those holds' seats
 * back from the database, so notices may arrive late, twice or out of order and the reader still
 * ends up at the rows. Redis pub/sub keeps nothing, so a listener is told to resynchronise when
 * the subscription was interrupted. The writer also invalidates the event's cached counts
 * (GetAvailability), at most once per `invalidateEveryMs` per event — the last change of a burst
 * is always followed by one.
 */
import { randomBytes } from "node:crypto";
import type { InfraNames } from "../../platform/config/names.js";
import type { Logger } from "../../platform/log/index.js";
import type { RedisConnections } from "../../platform/redis/index.js";
import type { AvailabilityNotifier } from "./deps.js";

/** What listeners get: an event's holds whose places changed, or `inventory` for the event itself. */
export interface Notice {
  readonly eventId: string;
  readonly holdIds: readonly string[];
  readonly inventory: boolean;
}

/** `resync`: notices may have been lost (the subscription was down); read everything again. */
export type NoticeListener = (notices: readonly Notice[] | "resync") => void;

interface Pending {
  holds: Set<string>;
  inventory: boolean;
}

export interface AvailabilityFeedOptions {
  redis: RedisConnections;
  names: InfraNames;
  logger: Logger;
  /** Invalidates the event's cached counts (the platform cache tells the other instances). */
  invalidateCounts(eventId: string): Promise<void>;
  /** Notices are gathered this long before one PUBLISH (default 50 ms). */
  flushMs?: number;
  /** Cached counts of one event are invalidated at most this often by this writer (default 500 ms). */
  invalidateEveryMs: number;
}

export class AvailabilityFeed implements AvailabilityNotifier {
  readonly #o: Required<AvailabilityFeedOptions>;
  readonly #channel: string;
  readonly #origin = randomBytes(9).toString("base64url");
  readonly #listeners = new Set<NoticeListener>();
  #pending = new Map<string, Pending>();
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #lastInvalidation = new Map<string, number>();
  readonly #invalidationTimers = new Map<string, NodeJS.Timeout>();
  #subscribed = false;
  #stopped = false;
  #publishFailing = false;
  readonly #onMessage = (channel: string, message: string) => {
    if (channel === this.#channel) this.#receive(message);
  };
  readonly #onReady = () => void this.#subscribe();
  readonly #onDown = () => {
    this.#subscribed = false;
  };

  constructor(opts: AvailabilityFeedOptions) {
    this.#o = { flushMs: 50, ...opts };
    this.#channel = opts.names.channel("ticket:availability");
  }

  /** Subscribes (and resubscribes after every reconnect, telling listeners to resynchronise). */
  async start(): Promise<void> {
    const sub = this.#o.redis.subscriber;
    sub.on("message", this.#onMessage);
    sub.on("ready", this.#onReady);
    for (const ev of ["close", "end", "reconnecting"]) sub.on(ev, this.#onDown);
    if (sub.status === "ready") await this.#subscribe();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    for (const t of this.#invalidationTimers.values()) clearTimeout(t);
    await this.#flush();
    const sub = this.#o.redis.subscriber;
    sub.off("message", this.#onMessage);
    sub.off("ready", this.#onReady);
    for (const ev of ["close", "end", "reconnecting"]) sub.off(ev, this.#onDown);
    if (sub.status === "ready") await sub.unsubscribe(this.#channel).catch(() => undefined);
  }

  listen(listener: NoticeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  changed(eventId: string, holdIds: readonly (string | undefined)[]): void {
    const p = this.#entry(eventId);
    for (const h of holdIds) if (h !== undefined && h !== "") p.holds.add(h);
    this.#schedule();
  }

  inventoryChanged(eventId: string): void {
    this.#entry(eventId).inventory = true;
    this.#schedule();
  }

  #entry(eventId: string): Pending {
    let p = this.#pending.get(eventId);
    if (p === undefined) {
      p = { holds: new Set(), inventory: false };
      this.#pending.set(eventId, p);
    }
    return p;
  }

  #schedule(): void {
    if (this.#flushTimer !== undefined || this.#stopped) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      void this.#flush();
    }, this.#o.flushMs);
    this.#flushTimer.unref();
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0) return;
    const batch = this.#pending;
    this.#pending = new Map();
    const notices: Notice[] = [...batch].map(([eventId, p]) => ({
      eventId,
      holdIds: [...p.holds],
      inventory: p.inventory,
    }));
    this.#deliver(notices);
    for (const n of notices) this.#invalidate(n.eventId);
    const message = JSON.stringify({ o: this.#origin, n: notices.map((n) => [n.eventId, n.holdIds, n.inventory]) });
    try {
      await this.#o.redis.commands.publish(this.#channel, message);
      if (this.#publishFailing) this.#o.logger.info("availability notices: Redis back");
      this.#publishFailing = false;
    } catch (err) {
      // Other instances learn of these changes at their next resynchronisation; this one already knows.
      if (!this.#publishFailing) this.#o.logger.warn({ err }, "availability notices could not reach Redis");
      this.#publishFailing = true;
    }
  }

  /** At most one invalidation per event per interval; a change inside the interval gets one at its end. */
  #invalidate(eventId: string): void {
    if (this.#invalidationTimers.has(eventId)) return;
    const wait = (this.#lastInvalidation.get(eventId) ?? 0) + this.#o.invalidateEveryMs - Date.now();
    const run = () => {
      this.#invalidationTimers.delete(eventId);
      this.#lastInvalidation.set(eventId, Date.now());
      void this.#o.invalidateCounts(eventId); // never throws: the cache retries by itself
    };
    if (wait <= 0) {
      run();
      return;
    }
    const t = setTimeout(run, wait);
    t.unref();
    this.#invalidationTimers.set(eventId, t);
    if (this.#lastInvalidation.size > 10_000) this.#lastInvalidation.clear(); // bounded; only a rate limit
  }

  #receive(message: string): void {
    let parsed: { o?: unknown; n?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.o === this.#origin || !Array.isArray(parsed.n)) return; // our own were delivered at flush
    const notices: Notice[] = [];
    for (const n of parsed.n as unknown[]) {
      if (!Array.isArray(n) || typeof n[0] !== "string" || !Array.isArray(n[1])) continue;
      notices.push({
        eventId: n[0],
        holdIds: (n[1] as unknown[]).filter((h): h is string => typeof h === "string"),
        inventory: n[2] === true,
      });
    }
    if (notices.length > 0) this.#deliver(notices);
  }

  #deliver(notices: readonly Notice[] | "resync"): void {
    for (const l of this.#listeners) {
      try {
        l(notices);
      } catch (err) {
        this.#o.logger.warn({ err }, "availability notice listener failed");
      }
    }
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#o.redis.subscriber.subscribe(this.#channel);
      const wasDown = !this.#subscribed;
      this.#subscribed = true;
      // anything published while we were not subscribed is gone: listeners read everything again
      if (wasDown) this.#deliver("resync");
    } catch (err) {
      this.#o.logger.warn({ err }, "availability notices: subscribe failed; retrying on the next reconnect");
    }
  }
}
