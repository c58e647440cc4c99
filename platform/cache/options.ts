import type { Registry } from "prom-client";
import type { Clock } from "../clock/index.js";
import type { InfraNames } from "../config/names.js";
import type { Logger } from "../log/index.js";
import type { Redis } from "../redis/index.js";

/** Turns a value into bytes for Redis and back. Bump {@link CacheOptions.version} when it changes. */
export interface CacheCodec<T> {
  encode(value: T): Buffer | string;
  decode(bytes: Buffer): T;
}

/** Options of {@link createCache}. */
export interface CacheOptions<T> {
  /** Key namespace and `cache` metrics label, e.g. `"event"`: letters, digits, `_`, `-`, `.`. */
  name: string;
  /** Command connection: no offline queue, short command timeout (see `createRedis`). */
  redis: Redis;
  /** A separate connection for the invalidation subscription (e.g. `redis.duplicate()`). */
  subscriber: Redis;
  names: InfraNames;
  /** Drives the local tier's expiry and the refresh-ahead point (Redis TTLs run on Redis' own clock). */
  clock: Clock;
  logger: Logger;
  /** Metrics are registered here, once per registry. */
  registry: Registry;
  codec: CacheCodec<T>;
  /** The source of truth; `undefined` means "does not exist" and is cached for `negativeTtlMs`. */
  load(id: string): Promise<T | undefined>;
  /** Redis TTL of a value, jittered by ±`jitterRatio`. */
  ttlMs: number;
  /** Redis TTL of a "does not exist" marker, jittered likewise. */
  negativeTtlMs: number;
  /** Default 0.1: hot keys filled together do not all expire together. */
  jitterRatio?: number;
  /** In-process tier TTL, default 1000: the staleness bound of a read on another instance. */
  localTtlMs?: number;
  /** Default 10_000; the oldest entry is evicted first. */
  localMaxEntries?: number;
  /** Default 64 MiB: the local tier's bound in (encoded) bytes; the oldest entries are evicted first. */
  localMaxBytes?: number;
  /**
   * Which ids are cached at all, default: 1 to 128 characters. Others go straight to `load` and
   * touch neither Redis nor the local tier, so malformed ids cannot fill Redis with "does not
   * exist" markers. Give the id's real shape (a UUID) where there is one.
   */
  acceptsId?: (id: string) => boolean;
  /** Default 0.8: a hit after this share of a value's TTL triggers one background reload. */
  refreshAheadRatio?: number;
  /**
   * Default 600_000 (10 min): how long past its TTL a value stays in Redis to answer while `load`
   * fails (stale-if-error). A read past the TTL always tries `load` first; only when that fails is
   * the old value served (counted as `stale`). 0: a value vanishes at its TTL.
   */
  staleIfErrorMs?: number;
  /** Schema version in the key, default `"v1"`: bump it when the codec changes. */
  version?: string;
  /**
   * How long the fill token of a miss lives in Redis before the value arrives, default 30_000: a
   * load slower than this is still answered, just not cached.
   */
  pendingTtlMs?: number;
}

/** What a request was answered from (the `result` label of `cache_requests_total`). */
export type CacheResult = "hit_local" | "hit_redis" | "miss" | "negative_hit" | "stale" | "error";

export const cacheResults: readonly CacheResult[] = [
  "hit_local",
  "hit_redis",
  "miss",
  "negative_hit",
  "stale",
  "error",
];

/** Counters of one cache instance (the Prometheus metrics sum all instances of a name). */
export interface CacheStats {
  name: string;
  localEntries: number;
  inFlight: number;
  /** True while the invalidation subscription is confirmed; the local tier is used only then. */
  subscribed: boolean;
  /** Invalidations that could not reach Redis yet and are being retried. */
  pendingInvalidations: number;
  requests: Record<CacheResult, number>;
  loads: number;
  refreshes: number;
  invalidations: number;
}

/** A read-through cache of one kind of entity, keyed by id. */
export interface Cache<T> {
  /**
   * The value of `id`, or `undefined` if it does not exist. Never fails because of Redis (a load
   * error is passed on). Values may be shared between callers: treat them as immutable.
   */
  get(id: string): Promise<T | undefined>;
  /**
   * Writers call this after their commit and before they answer: deletes the Redis entry, drops
   * the local entry here, and publishes an invalidation so every other instance drops its own.
   * Never throws: when Redis cannot be reached it logs, retries in the background, and reads of
   * `id` on this instance skip Redis until the retry has succeeded.
   */
  invalidate(id: string): Promise<void>;
  /** Subscribes to invalidations; resolves even when Redis is down (it subscribes once it is back). */
  start(): Promise<void>;
  /** Unsubscribes, cancels retries and waits for background reloads. Does not close the clients. */
  stop(): Promise<void>;
  stats(): CacheStats;
}

export interface ResolvedOptions<T> extends Required<CacheOptions<T>> {}

const NAME = /^[A-Za-z0-9_.-]+$/;

/** Applies the defaults and rejects nonsense early (at wiring time, not on the first request). */
export function resolveOptions<T>(o: CacheOptions<T>): ResolvedOptions<T> {
  const r: ResolvedOptions<T> = {
    ...o,
    // `??`, not spread order: an explicit `undefined` means "the default" too
    jitterRatio: o.jitterRatio ?? 0.1,
    localTtlMs: o.localTtlMs ?? 1000,
    localMaxEntries: o.localMaxEntries ?? 10_000,
    localMaxBytes: o.localMaxBytes ?? 64 * 1024 * 1024,
    acceptsId: o.acceptsId ?? ((id) => id.length > 0 && id.length <= 128),
    refreshAheadRatio: o.refreshAheadRatio ?? 0.8,
    version: o.version ?? "v1",
    pendingTtlMs: o.pendingTtlMs ?? 30_000,
    staleIfErrorMs: o.staleIfErrorMs ?? 600_000,
  };
  if (!NAME.test(r.name)) throw new TypeError(`cache name ${JSON.stringify(r.name)}: use letters, digits, _ - .`);
  if (!NAME.test(r.version))
    throw new TypeError(`cache version ${JSON.stringify(r.version)}: use letters, digits, _ - .`);
  if (r.redis === r.subscriber)
    throw new TypeError("cache: subscriber must be a separate connection (redis.duplicate())");
  const positive = {
    ttlMs: r.ttlMs,
    negativeTtlMs: r.negativeTtlMs,
    localMaxEntries: r.localMaxEntries,
    localMaxBytes: r.localMaxBytes,
    pendingTtlMs: r.pendingTtlMs,
  };
  for (const [k, v] of Object.entries(positive))
    if (!Number.isFinite(v) || v <= 0) throw new TypeError(`cache ${k} must be > 0`);
  if (!Number.isFinite(r.staleIfErrorMs) || r.staleIfErrorMs < 0)
    throw new TypeError("cache staleIfErrorMs must be >= 0");
  if (!Number.isFinite(r.localTtlMs) || r.localTtlMs < 0)
    throw new TypeError("cache localTtlMs must be >= 0 (0 disables the local tier)");
  if (!(r.jitterRatio >= 0 && r.jitterRatio < 1)) throw new TypeError("cache jitterRatio must be in [0, 1)");
  if (!(r.refreshAheadRatio > 0 && r.refreshAheadRatio <= 1))
    throw new TypeError("cache refreshAheadRatio must be in (0, 1]");
  return r;
}
