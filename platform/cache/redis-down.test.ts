import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Registry } from "prom-client";
import { type EmbeddedServer, startRedis } from "../../harness/index.js";
import {
  FakeSource,
  type Instance,
  type Item,
  instance,
  jsonCodec,
  metric,
  silentLogger,
  waitFor,
} from "../../test/support/cache-kit.js";
import { testPrefix } from "../../test/support/infra.js";
import { sleep, systemClock } from "../clock/index.js";
import { infraNames } from "../config/names.js";
import { createRedis } from "../redis/index.js";
import { createCache } from "./cache.js";
import type { Cache } from "./options.js";

/** Times one call; the cache must never make a reader wait on a dead or hung Redis. */
async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

describe("cache: Redis down, hung and back (own Redis instance)", function () {
  this.timeout(60_000);
  let redis: EmbeddedServer;
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-cache-redis-"));
  const prefix = testPrefix();
  const src = new FakeSource();
  let a: Instance;
  let b: Instance;
  let late: { cache: Cache<Item>; close(): Promise<void> } | undefined; // created while Redis was down

  before(async () => {
    redis = await startRedis({ dataDir: dir, log: () => undefined });
    for (let i = 0; i < 50; i++) src.put(`e${i}`, `event ${i}`);
    a = await instance(redis.url, prefix, src.load);
    b = await instance(redis.url, prefix, src.load);
  });
  after(async () => {
    if (redis?.pid !== undefined) process.kill(redis.pid, "SIGCONT");
    await late?.close();
    await a?.close();
    await b?.close();
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const hitRedis = () => metric(a.registry, "cache_requests_total", { cache: "event", result: "hit_redis" });

  it("stopped: get() answers from load() at once, single flight still holds, invalidate() does not hang", async () => {
    await a.cache.get("e1");
    await b.cache.get("e1");
    assert.equal(b.cache.stats().requests.hit_redis, 1, "warm: B hit what A filled");

    await redis.stop();
    await waitFor("subscription down", () => !a.cache.stats().subscribed && !b.cache.stats().subscribed);
    for (let i = 0; i < 30; i++) {
      const { value, ms } = await timed(() => a.cache.get(`e${i}`));
      assert.equal(value?.name, `event ${i}`);
      assert.ok(ms < 200, `get() took ${ms.toFixed(1)} ms with Redis down`);
    }
    assert.equal(a.cache.stats().requests.hit_local, 0, "the local tier is bypassed without a subscription");
    assert.ok(a.cache.stats().requests.error >= 30, "counted as error: answered from the source");

    const loadsBefore = src.loads;
    const burst = await timed(() => Promise.all(Array.from({ length: 300 }, () => a.cache.get("e7"))));
    assert.equal(src.loads, loadsBefore + 1, "300 concurrent reads of one key: one load");
    assert.ok(burst.value.every((v) => v?.name === "event 7"));
    assert.ok(burst.ms < 1_000);

    assert.equal(await a.cache.get("nope"), undefined);

    src.put("e1", "event 1 (renamed)", 2);
    const inv = await timed(() => a.cache.invalidate("e1"));
    assert.ok(inv.ms < 100, `invalidate() took ${inv.ms.toFixed(1)} ms`);
    assert.equal(a.cache.stats().pendingInvalidations, 1, "retried in the background");
    assert.equal((await a.cache.get("e1"))?.name, "event 1 (renamed)");

    // a process starting now: start() must not wait for Redis (readiness never depends on it)
    const names = infraNames(prefix);
    const redisC = createRedis(redis.url, names);
    const sub = redisC.duplicate();
    for (const c of [redisC, sub]) c.on("error", () => undefined);
    const cache = createCache<Item>({
      name: "event",
      redis: redisC,
      subscriber: sub,
      names,
      clock: systemClock,
      logger: silentLogger,
      registry: new Registry(),
      codec: jsonCodec,
      load: src.load,
      ttlMs: 60_000,
      negativeTtlMs: 10_000,
    });
    late = {
      cache,
      close: async () => {
        await cache.stop();
        redisC.disconnect();
        sub.disconnect();
      },
    };
    const started = await timed(() => cache.start());
    assert.ok(started.ms < 100, `start() took ${started.ms.toFixed(1)} ms`);
    assert.equal((await cache.get("e9"))?.name, "event 9");
  });

  it("restarted: caching resumes by itself (hit_redis again), the pending invalidation is delivered", async () => {
    const before = await hitRedis();
    await redis.restart();
    await waitFor("A resubscribed", () => a.cache.stats().subscribed, 10_000);
    await waitFor("the late starter subscribed by itself", () => late!.cache.stats().subscribed, 10_000);
    await waitFor("invalidation retried", () => a.cache.stats().pendingInvalidations === 0, 10_000);
    await waitFor(
      "hit_redis again",
      async () => {
        await a.cache.get("e2");
        return (await hitRedis()) > before;
      },
      10_000,
      100,
    );
    const loads = src.loads;
    assert.equal((await b.cache.get("e2"))?.name, "event 2");
    assert.equal(src.loads, loads, "B is served from Redis, no load");
    await waitFor(
      "local hits again",
      async () => {
        await a.cache.get("e3");
        return a.cache.stats().requests.hit_local > 0;
      },
      5_000,
      20,
    );
  });

  it("hung (SIGSTOP): each get() is bounded by the command timeout, then Redis is skipped for a moment", async () => {
    await a.cache.get("e4");
    await sleep(1_100); // let A's local entry expire: the next read must go to Redis
    process.kill(redis.pid!, "SIGSTOP");
    try {
      const times: number[] = [];
      for (let i = 0; i < 20; i++) {
        const { value, ms } = await timed(() => a.cache.get(`e${(i % 10) + 4}`));
        assert.equal(value?.name, `event ${(i % 10) + 4}`);
        times.push(ms);
      }
      assert.ok(Math.max(...times) < 1_000, `slowest get() ${Math.max(...times).toFixed(0)} ms`);
      assert.ok(
        times.filter((t) => t > 200).length <= 2,
        `only the first read waits for the timeout: ${times.map((t) => t.toFixed(0)).join(",")}`,
      );
      const inv = await timed(() => a.cache.invalidate("e5"));
      assert.ok(inv.ms < 1_000, `invalidate() took ${inv.ms.toFixed(0)} ms`);
    } finally {
      process.kill(redis.pid!, "SIGCONT");
    }
    await waitFor("invalidation retried after SIGCONT", () => a.cache.stats().pendingInvalidations === 0, 10_000);
    const before = await hitRedis();
    await waitFor(
      "hit_redis after SIGCONT",
      async () => {
        await b.cache.get("e6");
        await a.cache.get("e6");
        return (await hitRedis()) > before;
      },
      10_000,
      200,
    );
  });
});
