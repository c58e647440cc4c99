import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { ReplyError } from "ioredis";
import type { Logger } from "../log/index.js";
import { decodeEntry, type Entry, encodeEntry, type LocalEntry, LocalTier } from "./entry.js";
import { CacheCounters } from "./metrics.js";
import {
  type Cache,
  type CacheOptions,
  type CacheResult,
  type CacheStats,
  type ResolvedOptions,
  resolveOptions,
} from "./options.js";
import { InvalidationRetries } from "./retries.js";
import { type CacheScripts, cacheScripts } from "./scripts.js";
import { decodeInvalidation, encodeInvalidation, InvalidationSubscription } from "./subscription.js";

type Answer<T> = { value: T | undefined; result: CacheResult };
type Settle<T> = { resolve: (a: Answer<T>) => void; reject: (e: unknown) => void };

/** One read in progress for a key: the Redis read, and the load and fill if it missed. */
interface Flight<T> {
  /** Subscription epoch at the start: the local tier is written only if it is still the same. */
  readonly epoch: number;
  /** Set by an invalidation of the key: this flight may answer its waiters, but caches nothing here. */
  tainted: boolean;
  readonly answer: Promise<Answer<T>>;
}

/** After a Redis error, reads skip Redis this long: a hung server then costs one timeout, not one per request. */
const REDIS_BACKOFF_MS = 500;

/** A two-tier read-through cache; see {@link createCache}. */
export class RedisCache<T> implements Cache<T> {
  readonly #o: ResolvedOptions<T>;
  readonly #log: Logger;
  readonly #scripts: CacheScripts;
  readonly #local: LocalTier<T>;
  readonly #flights = new Map<string, Flight<T>>();
  readonly #background = new Set<Promise<void>>();
  readonly #sub: InvalidationSubscription;
  readonly #retries: InvalidationRetries;
  readonly #counters: CacheCounters;
  readonly #origin = randomBytes(9).toString("base64url");
  readonly #channel: string;
  readonly #prefix: string;
  #tokenSeq = 0;
  #redisSkipUntil = 0;
  #redisOk = true;

  constructor(opts: CacheOptions<T>) {
    const o = (this.#o = resolveOptions(opts));
    this.#log = o.logger.child({ cache: o.name });
    this.#scripts = cacheScripts(o.redis);
    this.#local = new LocalTier(o.localMaxEntries, o.localMaxBytes);
    this.#counters = new CacheCounters(o.registry, o.name);
    this.#prefix = `cache:${o.name}:${o.version}:`;
    // one channel for all versions: during a version rollout, old instances hear new writers too
    this.#channel = o.names.channel(`cache:${o.name}:invalidate`);
    this.#sub = new InvalidationSubscription(
      o.subscriber,
      this.#channel,
      (m) => this.#onMessage(m),
      () => this.#local.clear(),
      this.#log,
    );
    this.#retries = new InvalidationRetries(
      (id) => this.#deleteAndPublish(id),
      this.#log,
      o.ttlMs * (1 + o.jitterRatio) + o.staleIfErrorMs + o.pendingTtlMs,
    );
  }

  async get(id: string): Promise<T | undefined> {
    // an id the cache does not accept never reaches Redis (no key, no marker, no fill token) nor
    // the local tier: it goes straight to the source, so random ids cannot fill either tier
    if (!this.#o.acceptsId(id)) {
      this.#counters.request("miss");
      this.#counters.load(false);
      return this.#o.load(id);
    }
    if (this.#sub.healthy) {
      const now = this.#o.clock.now();
      const e = this.#local.get(id, now);
      if (e !== undefined) {
        const stale = e.present && now >= e.refreshAt;
        if (stale) this.#refreshFromLocal(id, e);
        this.#counters.request(stale ? "stale" : e.present ? "hit_local" : "negative_hit");
        return e.value;
      }
    }
    const { value, result } = await (this.#flights.get(id) ?? this.#startFlight(id)).answer;
    this.#counters.request(result);
    return value;
  }

  async invalidate(id: string): Promise<void> {
    this.#counters.invalidation();
    this.#drop(id);
    try {
      await this.#deleteAndPublish(id);
      this.#retries.cancel(id); // a newer success covers an older pending retry
    } catch (err) {
      this.#counters.invalidationFailure();
      this.#log.warn({ err, id }, "cache invalidation could not reach Redis; retrying in the background");
      this.#retries.schedule(id);
    }
  }

  async start(): Promise<void> {
    await this.#sub.start();
  }

  async stop(): Promise<void> {
    this.#retries.stop();
    await this.#sub.stop();
    await Promise.allSettled([...this.#background]);
    this.#local.clear();
  }

  stats(): CacheStats {
    const c = this.#counters;
    return {
      name: this.#o.name,
      localEntries: this.#local.size,
      inFlight: this.#flights.size,
      subscribed: this.#sub.healthy,
      pendingInvalidations: this.#retries.size,
      requests: { ...c.requests },
      loads: c.loads,
      refreshes: c.refreshes,
      invalidations: c.invalidations,
    };
  }

  #startFlight(id: string): Flight<T> {
    let settle!: Settle<T>;
    const answer = new Promise<Answer<T>>((resolve, reject) => (settle = { resolve, reject }));
    const flight: Flight<T> = { epoch: this.#sub.epoch, tainted: false, answer };
    this.#flights.set(id, flight);
    this.#track(this.#fly(id, flight, settle));
    return flight;
  }

  async #fly(id: string, flight: Flight<T>, settle: Settle<T>): Promise<void> {
    try {
      const read = await this.#read(id);
      if (read.entry?.present && this.#o.clock.now() >= this.#expiresAt(read.entry)) {
        // past its TTL, kept only to answer while the source fails: load, and serve the old
        // value only if that fails
        let value: T | undefined;
        try {
          value = await this.#reload(id, flight, read.token, false);
        } catch (err) {
          this.#counters.staleIfError();
          this.#log.warn({ err, id }, "cache: the source failed; serving the value past its TTL");
          // kept here a local TTL without refreshes: one load attempt per key per local TTL
          this.#remember(
            id,
            flight,
            { ...read.entry, refreshAt: Number.POSITIVE_INFINITY },
            read.token,
            read.bytes ?? 0,
          );
          settle.resolve({ value: read.entry.value, result: "stale" });
          return;
        }
        settle.resolve({ value, result: "miss" });
        return;
      }
      if (read.entry !== undefined) {
        const stale = read.entry.present && this.#o.clock.now() >= read.entry.refreshAt;
        this.#remember(id, flight, read.entry, read.token, read.bytes ?? 0);
        settle.resolve({
          value: read.entry.value,
          result: stale ? "stale" : read.entry.present ? "hit_redis" : "negative_hit",
        });
        // the flight stays registered while it refreshes, so this is the one reload of the key
        if (stale)
          await this.#reload(id, flight, read.token, true).catch((err) =>
            this.#log.warn({ err, id }, "cache refresh failed"),
          );
        return;
      }
      const value = await this.#reload(id, flight, read.token, false);
      settle.resolve({ value, result: read.token === undefined ? "error" : "miss" });
    } catch (err) {
      settle.reject(err);
    } finally {
      if (this.#flights.get(id) === flight) this.#flights.delete(id);
    }
  }

  /** A hit from the local tier past its refresh point: reload in the background unless a flight runs. */
  #refreshFromLocal(id: string, e: LocalEntry<T>): void {
    if (this.#flights.has(id)) return;
    const flight: Flight<T> = {
      epoch: this.#sub.epoch,
      tainted: false,
      answer: Promise.resolve({ value: e.value, result: "stale" }),
    };
    this.#flights.set(id, flight);
    const run = this.#reload(id, flight, e.token, true)
      .then(
        () => undefined,
        (err: unknown) => this.#log.warn({ err, id }, "cache refresh failed"),
      )
      .finally(() => {
        if (this.#flights.get(id) === flight) this.#flights.delete(id);
      });
    this.#track(run);
  }

  /** Redis' entry and fill token; no token when Redis was skipped or failed (then nothing is filled). */
  async #read(id: string): Promise<{ entry?: Entry<T>; token?: string; bytes?: number }> {
    if (this.#o.redis.status !== "ready" || performance.now() < this.#redisSkipUntil || this.#retries.has(id))
      return {};
    let got: { value: Buffer | null; token: string };
    try {
      got = await this.#scripts.read(this.#prefix + id, this.#newToken(), this.#o.pendingTtlMs);
    } catch (err) {
      this.#redisFailed(err);
      return {};
    }
    this.#redisBack();
    if (got.value === null) return { token: got.token };
    try {
      return { entry: decodeEntry(this.#o.codec, got.value), token: got.token, bytes: got.value.length };
    } catch (err) {
      // unreadable bytes (a codec change without a version bump?): load and overwrite them
      this.#log.warn({ err, id }, "cache entry could not be decoded; reloading");
      return { token: got.token };
    }
  }

  /**
   * When a value's TTL ends: its refresh point plus the rest of the TTL. The rest is taken from the
   * unjittered TTL, so this is within the jitter (±10 %) of the Redis TTL the value was stored with.
   */
  #expiresAt(e: Entry<T>): number {
    return e.refreshAt + this.#o.ttlMs * (1 - this.#o.refreshAheadRatio);
  }

  async #reload(id: string, flight: Flight<T>, token: string | undefined, refresh: boolean): Promise<T | undefined> {
    this.#counters.load(refresh);
    const value = await this.#o.load(id);
    const present = value !== undefined;
    const ttl = this.#jitter(present ? this.#o.ttlMs : this.#o.negativeTtlMs);
    const entry: Entry<T> = {
      present,
      value,
      refreshAt: present ? this.#o.clock.now() + ttl * this.#o.refreshAheadRatio : Infinity,
    };
    // Filled even when tainted: the token alone keeps Redis right (a message can also arrive late
    // and taint a flight that started after its deletion, whose fill is perfectly good).
    const encoded = encodeEntry(this.#o.codec, entry);
    if (token !== undefined) {
      try {
        // false: the key was invalidated (deleted) since our read, so what we loaded may be old
        // a value outlives its TTL in Redis by staleIfErrorMs (served only when a reload fails)
        const keep = present ? ttl + this.#o.staleIfErrorMs : ttl;
        if (!(await this.#scripts.fill(this.#prefix + id, token, encoded, keep))) flight.tainted = true;
      } catch (err) {
        this.#redisFailed(err);
      }
    }
    this.#remember(id, flight, entry, token, encoded.length);
    return value;
  }

  /** Keeps an entry in the local tier, unless an invalidation or a subscription change came between. */
  #remember(id: string, flight: Flight<T>, e: Entry<T>, token: string | undefined, bytes: number): void {
    if (flight.tainted || !this.#sub.healthy || flight.epoch !== this.#sub.epoch || this.#o.localTtlMs === 0) return;
    // the encoded size stands for the decoded value's (same order), plus the key
    const size = bytes + id.length * 2 + 64;
    this.#local.set(id, { ...e, token, expiresAt: this.#o.clock.now() + this.#o.localTtlMs, bytes: size });
  }

  /** Forgets `id` here: the local entry, and the flight (new reads start a fresh one). */
  #drop(id: string): void {
    this.#local.delete(id);
    const f = this.#flights.get(id);
    if (f !== undefined) {
      f.tainted = true;
      this.#flights.delete(id);
    }
  }

  #deleteAndPublish(id: string): Promise<void> {
    if (this.#o.redis.status !== "ready") return Promise.reject(new Error(`Redis is ${this.#o.redis.status}`));
    return this.#scripts.invalidate(
      this.#prefix + id,
      this.#channel,
      encodeInvalidation(this.#o.version, id, this.#origin),
    );
  }

  #onMessage(message: string): void {
    const m = decodeInvalidation(message);
    if (m === undefined || m.origin === this.#origin) return; // our own: already dropped in invalidate()
    const id = m.id;
    this.#drop(id);
    // a writer on another schema version deleted only its own key: delete ours too (best effort)
    if (m.version !== this.#o.version && this.#o.redis.status === "ready") {
      this.#scripts
        .invalidate(this.#prefix + id, "", "")
        .catch((err) => this.#log.warn({ err, id }, "cache cross-version delete failed"));
    }
  }

  #jitter(ms: number): number {
    return Math.max(1, Math.round(ms * (1 + (Math.random() * 2 - 1) * this.#o.jitterRatio)));
  }

  #newToken(): string {
    return `${this.#origin}.${(++this.#tokenSeq).toString(36)}`;
  }

  #redisFailed(err: unknown): void {
    // a reply error (e.g. WRONGTYPE on one key) says nothing about the connection: no backoff
    if (!(err instanceof (ReplyError as ErrorConstructor))) this.#redisSkipUntil = performance.now() + REDIS_BACKOFF_MS;
    if (this.#redisOk) this.#log.warn({ err }, "cache: Redis unavailable; reading from the source");
    this.#redisOk = false;
  }

  #redisBack(): void {
    if (!this.#redisOk) this.#log.info("cache: Redis back");
    this.#redisOk = true;
  }

  #track(p: Promise<void>): void {
    const q = p.catch(() => undefined).finally(() => this.#background.delete(q));
    this.#background.add(q);
  }
}

/** Creates a cache; call `start()` to use the local tier (until then every read goes to Redis). */
export function createCache<T>(opts: CacheOptions<T>): Cache<T> {
  return new RedisCache(opts);
}
