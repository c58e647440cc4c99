import { randomBytes } from "node:crypto";
import type { InfraNames } from "../../../platform/config/names.js";
import type { Logger } from "../../../platform/log/index.js";
import type { RedisConnections } from "../../../platform/redis/index.js";

/** Why a {@link OrderSubscription.wait} returned. */
export type WakeReason = "changed" | "timeout" | "aborted";

/**
 * One WatchOrder stream's interest in an order, taken before its first read: a change committed
 * between that read and the next wait is remembered, so it wakes the wait at once.
 */
export class OrderSubscription {
  #dirty = false;
  #wake: (() => void) | undefined;
  readonly #close: () => void;

  constructor(close: () => void) {
    this.#close = close;
  }

  /** @internal the order changed (here or, by a notice, in another replica). */
  notify(): void {
    this.#dirty = true;
    this.#wake?.();
  }

  /** Resolves at the next change (at once if one came since the last wait), after `ms`, or on abort. */
  wait(ms: number, signal: AbortSignal): Promise<WakeReason> {
    if (signal.aborted) return Promise.resolve("aborted");
    if (this.#dirty) {
      this.#dirty = false;
      return Promise.resolve("changed");
    }
    return new Promise((resolve) => {
      const done = (why: WakeReason) => {
        clearTimeout(timer);
        signal.removeEventListener("abort", onAbort);
        this.#wake = undefined;
        if (why === "changed") this.#dirty = false;
        resolve(why);
      };
      const onAbort = () => done("aborted");
      const timer = setTimeout(() => done("timeout"), ms);
      signal.addEventListener("abort", onAbort, { once: true });
      this.#wake = () => done("changed");
    });
  }

  close(): void {
    this.#wake = undefined;
    this.#close();
  }
}

export interface OrderWatchOptions {
  /** Cross-instance notices; without it only changes committed in this process wake watchers. */
  redis?: RedisConnections;
  names?: InfraNames;
  logger?: Logger;
  /** Order ids are gathered this long before one PUBLISH (default 25 ms). */
  flushMs?: number;
}

/**
 * Order changes for WatchOrder. A commit in this process wakes its watchers at once; the ids are
 * also PUBLISHed on a Redis channel (gathered per `flushMs`, never awaited by the write), so a
 * watcher on another replica wakes within tens of milliseconds when a consumer or a sweeper there
 * settled the order. Redis pub/sub keeps nothing: after the subscription was interrupted every
 * watcher here is woken to re-read, and WatchOrder keeps a slow re-read for notices lost otherwise.
 */
export class OrderWatch {
  readonly #subs = new Map<string, Set<OrderSubscription>>();
  readonly #o: OrderWatchOptions & { flushMs: number };
  readonly #channel: string | undefined;
  readonly #origin = randomBytes(9).toString("base64url");
  #pending = new Set<string>();
  #flushTimer: NodeJS.Timeout | undefined;
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

  constructor(opts: OrderWatchOptions = {}) {
    this.#o = { flushMs: 25, ...opts };
    this.#channel = opts.redis && opts.names ? opts.names.channel("ticket:orders") : undefined;
  }

  /** Subscribes to the other replicas' notices (and again after every reconnect). */
  async start(): Promise<void> {
    const sub = this.#o.redis?.subscriber;
    if (sub === undefined) return;
    sub.on("message", this.#onMessage);
    sub.on("ready", this.#onReady);
    for (const ev of ["close", "end", "reconnecting"]) sub.on(ev, this.#onDown);
    if (sub.status === "ready") await this.#subscribe();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#flushTimer);
    await this.#flush();
    const sub = this.#o.redis?.subscriber;
    if (sub === undefined || this.#channel === undefined) return;
    sub.off("message", this.#onMessage);
    sub.off("ready", this.#onReady);
    for (const ev of ["close", "end", "reconnecting"]) sub.off(ev, this.#onDown);
    if (sub.status === "ready") await sub.unsubscribe(this.#channel).catch(() => undefined);
  }

  /** After a commit that changed `orderId`: wakes its watchers here and tells the other replicas. */
  changed(orderId: string): void {
    this.#wake(orderId);
    if (this.#channel === undefined || this.#stopped) return;
    this.#pending.add(orderId);
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      void this.#flush();
    }, this.#o.flushMs);
    this.#flushTimer.unref();
  }

  /** Interest in `orderId` until `close()`; take it before reading the order. */
  subscribe(orderId: string): OrderSubscription {
    let set = this.#subs.get(orderId);
    if (set === undefined) {
      set = new Set();
      this.#subs.set(orderId, set);
    }
    const s = new OrderSubscription(() => {
      const now = this.#subs.get(orderId);
      now?.delete(s);
      if (now?.size === 0) this.#subs.delete(orderId);
    });
    set.add(s);
    return s;
  }

  /** Watchers subscribed now (for tests and metrics). */
  get waiting(): number {
    let n = 0;
    for (const s of this.#subs.values()) n += s.size;
    return n;
  }

  #wake(orderId: string): void {
    const set = this.#subs.get(orderId);
    if (set !== undefined) for (const s of set) s.notify();
  }

  async #flush(): Promise<void> {
    if (this.#pending.size === 0 || this.#channel === undefined || this.#o.redis === undefined) return;
    const ids = [...this.#pending];
    this.#pending = new Set();
    try {
      await this.#o.redis.commands.publish(this.#channel, JSON.stringify({ o: this.#origin, ids }));
      if (this.#publishFailing) this.#o.logger?.info("order change notices: Redis back");
      this.#publishFailing = false;
    } catch (err) {
      // watchers elsewhere see these changes at their slow re-read; this process's already woke
      if (!this.#publishFailing) this.#o.logger?.warn({ err }, "order change notices could not reach Redis");
      this.#publishFailing = true;
    }
  }

  #receive(message: string): void {
    let parsed: { o?: unknown; ids?: unknown };
    try {
      parsed = JSON.parse(message) as typeof parsed;
    } catch {
      return;
    }
    if (parsed.o === this.#origin || !Array.isArray(parsed.ids)) return; // ours woke at commit
    for (const id of parsed.ids) if (typeof id === "string") this.#wake(id);
  }

  async #subscribe(): Promise<void> {
    if (this.#channel === undefined || this.#o.redis === undefined) return;
    try {
      await this.#o.redis.subscriber.subscribe(this.#channel);
      const wasDown = !this.#subscribed;
      this.#subscribed = true;
      // notices published while we were not subscribed are gone: every watcher re-reads
      if (wasDown) for (const set of this.#subs.values()) for (const s of set) s.notify();
    } catch (err) {
      this.#o.logger?.warn({ err }, "order change notices: subscribe failed; retrying on the next reconnect");
    }
  }
}
