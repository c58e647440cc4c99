import type { Redis } from "../redis/index.js";

/*
 * Race-free invalidation without counters: each cache key is a hash {t: fill token, v: value}.
 *
 * - READ returns v and t; on a key without a token it first creates one (a random string the
 *   caller proposes) with a short TTL. The token names "this incarnation of the key".
 * - FILL writes v only if the key still holds the token the reader got.
 * - INVALIDATE deletes the whole key (token included) and publishes, atomically.
 *
 * A load that began before an invalidation holds a token that no longer exists once the key was
 * deleted: whatever it read from the database, its FILL finds no token or a newer one and writes
 * nothing. Tokens are random, so a key that vanished for any reason (invalidation, expiry, Redis
 * restart, eviction) can never match an old one again (no ABA as with a counter reset to 0).
 * Compared with a separate generation counter key: one key per id, and nothing to keep alive.
 */

const READ = `
local r = redis.call('HMGET', KEYS[1], 'v', 't')
if not r[2] then
  redis.call('HSET', KEYS[1], 't', ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {false, ARGV[1]}
end
return r`;

const FILL = `
if redis.call('HGET', KEYS[1], 't') == ARGV[1] then
  redis.call('HSET', KEYS[1], 'v', ARGV[2])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0`;

const INVALIDATE = `
redis.call('DEL', KEYS[1])
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], ARGV[2]) end
return 1`;

interface ScriptClient {
  boxofficeCacheReadBuffer(key: string, token: string, pendingTtlMs: number): Promise<[Buffer | null, Buffer]>;
  boxofficeCacheFill(key: string, token: string, value: Buffer, ttlMs: number): Promise<number>;
  boxofficeCacheInvalidate(key: string, channel: string, message: string): Promise<number>;
}

/** The three atomic operations of the cache, on a client with a keyPrefix (KEYS get it, channels do not). */
export interface CacheScripts {
  /** The value (or null) and the key's fill token, creating a token if the key has none. */
  read(key: string, proposedToken: string, pendingTtlMs: number): Promise<{ value: Buffer | null; token: string }>;
  /** Stores `value` if the key still holds `token`; false when an invalidation came between. */
  fill(key: string, token: string, value: Buffer, ttlMs: number): Promise<boolean>;
  /** Deletes the key and, unless `channel` is empty, publishes `message` on it. */
  invalidate(key: string, channel: string, message: string): Promise<void>;
}

/**
 * Defines the scripts on `redis` (idempotent: same names, same code for every cache). ioredis sends
 * EVALSHA and falls back to EVAL on NOSCRIPT, so a restarted (empty) Redis needs nothing from us.
 */
export function cacheScripts(redis: Redis): CacheScripts {
  const c = redis as unknown as ScriptClient & Partial<Record<string, unknown>>;
  if (typeof c.boxofficeCacheRead !== "function") {
    redis.defineCommand("boxofficeCacheRead", { numberOfKeys: 1, lua: READ });
    redis.defineCommand("boxofficeCacheFill", { numberOfKeys: 1, lua: FILL });
    redis.defineCommand("boxofficeCacheInvalidate", { numberOfKeys: 1, lua: INVALIDATE });
  }
  return {
    read: async (key, proposedToken, pendingTtlMs) => {
      const [value, token] = await c.boxofficeCacheReadBuffer(key, proposedToken, pendingTtlMs);
      return { value, token: token.toString() };
    },
    fill: async (key, token, value, ttlMs) => (await c.boxofficeCacheFill(key, token, value, ttlMs)) === 1,
    invalidate: async (key, channel, message) => void (await c.boxofficeCacheInvalidate(key, channel, message)),
  };
}
