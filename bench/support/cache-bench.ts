import { randomBytes } from "node:crypto";
import type { Cache } from "../../platform/cache/options.js";
import { type Item, instance } from "../../test/support/cache-kit.js";

/** get() rates of one cache instance, per tier. */
export interface CacheBenchResult {
  /** One warm key answered from the in-process tier, one call at a time. */
  localHitPerSec: number;
  /** Warm keys from Redis (local tier off): one at a time, and 64 in flight over 1024 keys. */
  redisHitPerSec: number;
  redisHitConcurrentPerSec: number;
  /** 64 in flight on ONE warm key: they share Redis reads (single flight), so this beats the above. */
  hotKeyConcurrentPerSec: number;
  /** Distinct cold keys: Redis read + an instant in-memory load + the Redis fill. */
  missPerSec: number;
  missConcurrentPerSec: number;
}

async function rate(n: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < n) await op(next++);
    }),
  );
  return Math.round(n / ((performance.now() - start) / 1000));
}

/**
 * Micro-benchmark on a real Redis at `redisUrl` (keys under a throw-away prefix; they expire in a
 * minute). The source answers from memory, so the figures are the cache's own cost.
 */
export async function benchCache(redisUrl: string, scale = 1): Promise<CacheBenchResult> {
  const prefix = `bench${randomBytes(4).toString("hex")}`;
  const load = async (id: string): Promise<Item> => ({ id, name: `event ${id}`, version: 1 });
  const withLocal = await instance(redisUrl, prefix, load);
  const redisOnly = await instance(redisUrl, prefix, load, { localTtlMs: 0 });
  const n = (x: number) => Math.max(1, Math.round(x * scale));
  try {
    const warm = async (c: Cache<Item>) => {
      await c.get("hot");
      await c.get("hot");
    };
    await warm(withLocal.cache);
    await warm(redisOnly.cache);
    await rate(n(3_000), 1, (i) => redisOnly.cache.get(i % 2 ? "hot" : `x${i}`)); // JIT and connection warm-up
    const localHitPerSec = await rate(n(200_000), 1, () => withLocal.cache.get("hot"));
    const redisHitPerSec = await rate(n(5_000), 1, () => redisOnly.cache.get("hot"));
    await Promise.all(Array.from({ length: 1024 }, (_, i) => redisOnly.cache.get(`w${i}`)));
    const redisHitConcurrentPerSec = await rate(n(20_000), 64, (i) => redisOnly.cache.get(`w${i % 1024}`));
    const hotKeyConcurrentPerSec = await rate(n(20_000), 64, () => redisOnly.cache.get("hot"));
    const missPerSec = await rate(n(3_000), 1, (i) => redisOnly.cache.get(`s${i}`));
    const missConcurrentPerSec = await rate(n(10_000), 64, (i) => redisOnly.cache.get(`c${i}`));
    return {
      localHitPerSec,
      redisHitPerSec,
      redisHitConcurrentPerSec,
      hotKeyConcurrentPerSec,
      missPerSec,
      missConcurrentPerSec,
    };
  } finally {
    const keys = await withLocal.redis.keys("cache:*"); // answers with the prefix, which del() would add again
    const stripped = keys.map((k) => k.slice(prefix.length + 1));
    for (let i = 0; i < stripped.length; i += 1000) await withLocal.redis.del(...stripped.slice(i, i + 1000));
    await withLocal.close();
    await redisOnly.close();
  }
}
