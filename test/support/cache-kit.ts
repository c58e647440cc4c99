/** Helpers for the cache's tests (platform/cache/*.test.ts) and benchmark: clients, a counting in-memory source, metrics reads. */

import { Redis as RawRedis } from "ioredis";
import { pino } from "pino";
import { Registry } from "prom-client";
import { createCache } from "../../platform/cache/cache.js";
import type { Cache, CacheCodec, CacheOptions } from "../../platform/cache/options.js";
import { sleep, systemClock } from "../../platform/clock/index.js";
import { type InfraNames, infraNames } from "../../platform/config/names.js";
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { createRedis, type Redis } from "../../platform/redis/index.js";

/** The entity of the tests: what GetEvent would cache. */
export interface Item {
  id: string;
  name: string;
  version: number;
}

export const jsonCodec: CacheCodec<Item> = {
  encode: (v) => JSON.stringify(v),
  decode: (b) => JSON.parse(b.toString()) as Item,
};

export const silentLogger = pino({ level: process.env.CACHE_TEST_LOG ?? "silent" });

/** Resolves once `c` is ready (at once if it is). */
export function ready(c: Redis): Promise<void> {
  return c.status === "ready" ? Promise.resolve() : new Promise((resolve) => c.once("ready", () => resolve()));
}

/** A command connection and a subscriber, like one process has; errors are expected in fault tests. */
export async function clients(
  url: string,
  names: InfraNames,
): Promise<{ redis: Redis; subscriber: Redis; close(): void }> {
  const redis = createRedis(url, names);
  const subscriber = redis.duplicate();
  for (const c of [redis, subscriber]) c.on("error", () => undefined);
  await Promise.all([ready(redis), ready(subscriber)]);
  return {
    redis,
    subscriber,
    close: () => {
      for (const c of [redis, subscriber]) c.disconnect();
    },
  };
}

/**
 * The "database" of the unit tests: a Map, counting every load. `gate`, when set, is awaited by
 * each load AFTER it has read the map, so a test can hold a load that has already seen old data.
 */
export class FakeSource {
  readonly rows = new Map<string, Item>();
  loads = 0;
  gate: Promise<void> | undefined;
  onLoad: ((id: string) => void) | undefined;

  put(id: string, name: string, version = 1): Item {
    const item = { id, name, version };
    this.rows.set(id, item);
    return item;
  }

  load = async (id: string): Promise<Item | undefined> => {
    this.loads++;
    const row = this.rows.get(id);
    const seen = row === undefined ? undefined : { ...row };
    this.onLoad?.(id);
    if (this.gate !== undefined) await this.gate;
    else await new Promise((r) => setImmediate(r)); // a real query never answers synchronously
    return seen;
  };
}

/** One cache "process": its own two connections, registry and defaults fit for tests. */
export interface Instance {
  cache: Cache<Item>;
  redis: Redis;
  subscriber: Redis;
  registry: Registry;
  close(): Promise<void>;
}

export async function instance(
  url: string,
  prefix: string,
  load: (id: string) => Promise<Item | undefined>,
  extra: Partial<CacheOptions<Item>> = {},
): Promise<Instance> {
  const names = infraNames(prefix);
  const c = await clients(url, names);
  const registry = new Registry();
  const cache = createCache<Item>({
    name: "event",
    redis: c.redis,
    subscriber: c.subscriber,
    names,
    clock: systemClock,
    logger: silentLogger,
    registry,
    codec: jsonCodec,
    load,
    ttlMs: 60_000,
    negativeTtlMs: 10_000,
    ...extra,
  });
  await cache.start();
  return {
    cache,
    redis: c.redis,
    subscriber: c.subscriber,
    registry,
    close: async () => {
      await cache.stop();
      c.close();
    },
  };
}

/** The value of one counter series, 0 when absent. */
export async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const data = await m.get();
  const hit = data.values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val));
  return hit?.value ?? 0;
}

/** Polls `cond` every `everyMs` until it holds; throws with `what` after `timeoutMs`. */
export async function waitFor(
  what: string,
  cond: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  everyMs = 10,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(everyMs);
  }
}

/** A promise and its resolver, for gates. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/**
 * Mocha hooks for a suite on the shared Redis: a raw client without key prefix (it sees the real
 * key names), and `make()` for cache instances, which are closed — and the prefix's keys removed —
 * after the suite. The URL is read in before(): the global fixture sets it after files load.
 */
export function sharedRedisSuite(prefix: string): {
  readonly raw: Redis;
  make(...args: Parameters<typeof instance> extends [unknown, unknown, ...infer R] ? R : never): Promise<Instance>;
} {
  let url = "";
  let raw: Redis | undefined;
  const open: Instance[] = [];
  before(async () => {
    url = loadRuntimeConfig(process.env).redisUrl;
    raw = new RawRedis(url);
    await ready(raw);
  });
  after(async () => {
    for (const i of open) await i.close();
    const keys = await raw!.keys(`${prefix}:*`);
    if (keys.length > 0) await raw!.del(...keys);
    raw!.disconnect();
  });
  return {
    get raw() {
      return raw!;
    },
    async make(...args) {
      const i = await instance(url, prefix, ...args);
      open.push(i);
      return i;
    },
  };
}
