import assert from "node:assert/strict";
import { FakeSource, gate, metric, ready, sharedRedisSuite, waitFor } from "../../test/support/cache-kit.js";
import { testPrefix } from "../../test/support/infra.js";
import { ManualClock, sleep } from "../clock/index.js";

describe("cache: read path, single flight, negative caching, races, refresh-ahead (shared Redis)", () => {
  const prefix = testPrefix();
  const redis = sharedRedisSuite(prefix);
  const make = redis.make;
  const key = (id: string, version = "v1") => `${prefix}:cache:event:${version}:${id}`;

  it("500 concurrent get() on a cold key: load() runs once and all 500 answers are equal", async () => {
    const src = new FakeSource();
    src.put("e1", "Cold Play");
    const a = await make(src.load);
    const answers = await Promise.all(Array.from({ length: 500 }, () => a.cache.get("e1")));
    assert.equal(src.loads, 1);
    for (const x of answers) assert.deepEqual(x, { id: "e1", name: "Cold Play", version: 1 });
    assert.equal(
      await metric(a.registry, "cache_requests_total", { cache: "event", result: "miss" }),
      500,
      "all 500 waited for the one load",
    );
    assert.equal(await metric(a.registry, "cache_loads_total", { cache: "event" }), 1);
  });

  it("writes <prefix>:cache:<name>:<version>:<id> with a jittered TTL, and a new version never reads old keys", async () => {
    const src = new FakeSource();
    const ids = Array.from({ length: 200 }, (_, i) => `j${i}`);
    for (const id of ids) src.put(id, id);
    const a = await make(src.load, { ttlMs: 100_000, staleIfErrorMs: 0 });
    await Promise.all(ids.map((id) => a.cache.get(id)));
    const ttls = await Promise.all(ids.map((id) => redis.raw.pttl(key(id))));
    for (const t of ttls) assert.ok(t > 89_000 && t <= 110_000, `TTL ${t} within ±10 % of 100 s`);
    assert.ok(new Set(ttls.map((t) => Math.round(t / 1000))).size > 10, "TTLs spread out, not one expiry moment");
    assert.equal(await redis.raw.type(key("j0")), "hash");

    const v2 = await make(src.load, { version: "v2" });
    const before = src.loads;
    assert.equal((await v2.cache.get("j0"))?.name, "j0");
    assert.equal(src.loads, before + 1, "v2 missed although v1 holds the key");
    assert.equal(await redis.raw.exists(key("j0", "v2")), 1);
  });

  it("ids it does not accept never reach Redis: no marker, no fill token, straight to the source", async () => {
    const src = new FakeSource();
    const a = await make(src.load, { negativeTtlMs: 30_000, acceptsId: (id) => id.startsWith("ok-") });
    const junk = Array.from({ length: 200 }, (_, i) => `junk-${i}-${"x".repeat(100)}`);
    for (const id of junk) assert.equal(await a.cache.get(id), undefined);
    assert.equal(src.loads, 200, "each went to the source");
    assert.deepEqual(await redis.raw.keys(`${prefix}:cache:event:v1:junk-*`), []);
    assert.equal(await a.cache.get("ok-1"), undefined);
    assert.equal(await redis.raw.exists(key("ok-1")), 1, "an accepted unknown id gets its marker");
  });

  it("10,000 get() over 100 unknown ids cost at most 100 loads (negative caching + single flight)", async () => {
    const src = new FakeSource();
    const a = await make(src.load, { negativeTtlMs: 30_000 });
    const b = await make(src.load, { negativeTtlMs: 30_000 }); // a second process shares the markers
    const ids = Array.from({ length: 100 }, (_, i) => `nope-${i}`);
    for (let wave = 0; wave < 10; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => (i % 2 ? a : b).cache.get(ids[(i * 7 + wave) % 100]!)),
      );
      assert.ok(answers.every((x) => x === undefined));
    }
    assert.ok(src.loads <= 100, `${src.loads} loads`);
    const ttl = await redis.raw.pttl(key("nope-0"));
    // Lower bound leaves room for a slow machine: the first marker was written waves ago.
    assert.ok(ttl > 20_000 && ttl <= 33_000, `negative marker TTL ${ttl} ≈ negativeTtlMs`);
    const negative =
      (await metric(a.registry, "cache_requests_total", { cache: "event", result: "negative_hit" })) +
      (await metric(b.registry, "cache_requests_total", { cache: "event", result: "negative_hit" }));
    assert.ok(negative >= 9_000, `${negative} negative hits`);
  });

  it("a load racing an invalidation cannot put the old value back into Redis", async () => {
    const src = new FakeSource();
    src.put("r1", "old");
    const a = await make(src.load);
    await a.cache.stop(); // A hears no invalidations: only the fill token can stop its write
    const b = await make(src.load);
    const hold = gate();
    src.gate = hold.promise;
    const loaded = gate();
    src.onLoad = () => loaded.open();
    const racing = a.cache.get("r1"); // reads Redis (miss, token T1), then load() reads "old" and blocks
    await loaded.promise;
    src.put("r1", "new", 2); // the writer commits…
    await b.cache.invalidate("r1"); // …then invalidates, while A's load still holds "old"
    hold.open();
    src.gate = undefined;
    src.onLoad = undefined;
    assert.equal(
      (await racing)?.name,
      "old",
      "the racing reader started before the write: old is a fair answer for it",
    );
    assert.equal(await redis.raw.exists(key("r1")), 0, "Redis holds nothing: the old fill was refused");
    const c = await make(src.load);
    assert.equal((await c.cache.get("r1"))?.name, "new");
    assert.equal((await a.cache.get("r1"))?.name, "new", "nor did A keep the old value locally");
  });

  it("an old load finishing after a newer fill does not overwrite it", async () => {
    const src = new FakeSource();
    src.put("r2", "old");
    const a = await make(src.load);
    const b = await make(src.load);
    const hold = gate();
    const loaded = gate();
    src.gate = hold.promise;
    src.onLoad = () => loaded.open();
    const racing = a.cache.get("r2");
    await loaded.promise;
    src.gate = undefined;
    src.onLoad = undefined;
    src.put("r2", "new", 2);
    await a.cache.invalidate("r2");
    assert.equal((await b.cache.get("r2"))?.name, "new"); // B fills with a fresh token
    hold.open();
    await racing;
    const v = await redis.raw.hget(key("r2"), "v");
    assert.ok(v?.includes('"new"'), `Redis still holds the new value: ${v}`);
  });

  it("early refresh: a hit near expiry (Redis tier) triggers exactly one background reload and the key stays warm", async () => {
    const clock = new ManualClock(Date.now());
    const src = new FakeSource();
    src.put("h1", "v1");
    const a = await make(src.load, { clock, ttlMs: 60_000, staleIfErrorMs: 0 });
    await a.cache.get("h1");
    const ttlBefore = await redis.raw.pttl(key("h1"));
    clock.advance(55_000); // past 0.8 × (60 s + 10 % jitter); the 1 s local entry has expired
    src.put("h1", "v1-refreshed", 2); // (no invalidate: shows what the refresh read)
    const answers = await Promise.all(Array.from({ length: 50 }, () => a.cache.get("h1")));
    assert.ok(
      answers.every((x) => x?.name === "v1"),
      "hits are answered at once, from the cache",
    );
    await waitFor("refresh done", () => a.cache.stats().inFlight === 0);
    assert.equal(src.loads, 2, "one load, one refresh");
    assert.equal(a.cache.stats().refreshes, 1);
    assert.equal(await metric(a.registry, "cache_refreshes_total", { cache: "event" }), 1);
    assert.equal(await metric(a.registry, "cache_requests_total", { cache: "event", result: "stale" }), 50);
    for (let i = 0; i < 20; i++) assert.equal((await a.cache.get("h1"))?.name, "v1-refreshed");
    assert.equal(src.loads, 2, "no further loads once refreshed");
    // Redis now holds the refreshed entry with a fresh (jittered) TTL: a new instance reads it from
    // Redis without loading. (Comparing TTLs alone cannot tell: the jitter spans ±10 %.)
    const ttlAfter = await redis.raw.pttl(key("h1"));
    assert.ok(
      ttlAfter >= 0.9 * 60_000 - 1_000 && ttlAfter <= 1.1 * 60_000,
      `a full TTL again (${ttlAfter} ms, was ${ttlBefore} ms)`,
    );
    const b = await make(src.load, { clock, ttlMs: 60_000 });
    assert.equal((await b.cache.get("h1"))?.name, "v1-refreshed", "the refresh rewrote the Redis entry");
    assert.equal(src.loads, 2, "read from Redis, not loaded");
    clock.advance(2_000); // local expired again: a hit from Redis, before the new refresh point
    assert.equal((await a.cache.get("h1"))?.name, "v1-refreshed");
    assert.equal(src.loads, 2);
  });

  it("stale-if-error: past its TTL a value is loaded again, and answers only while the load fails", async () => {
    const clock = new ManualClock(Date.now());
    const src = new FakeSource();
    src.put("s1", "v1");
    const a = await make(src.load, { clock, ttlMs: 10_000, jitterRatio: 0, staleIfErrorMs: 60_000 });
    await a.cache.get("s1");
    const ttl = await redis.raw.pttl(key("s1"));
    assert.ok(ttl > 69_000 && ttl <= 70_000, `kept in Redis for TTL + staleIfErrorMs (${ttl} ms)`);
    clock.advance(11_000); // past the TTL (and the 1 s local entry)
    const down = new Error("connect ECONNREFUSED");
    let failures = 0;
    const failing = async () => {
      failures++;
      throw down;
    };
    const b = await make(failing, { clock, ttlMs: 10_000, jitterRatio: 0, staleIfErrorMs: 60_000 });
    assert.equal((await b.cache.get("s1"))?.name, "v1", "the old value answers while the source fails");
    assert.equal(failures, 1, "the source was tried first");
    assert.equal(await metric(b.registry, "cache_stale_if_error_total", { cache: "event" }), 1);
    // kept locally for the local TTL without refresh attempts: one load attempt per key per second
    for (let i = 0; i < 20; i++) assert.equal((await b.cache.get("s1"))?.name, "v1");
    assert.equal(failures, 1);
    // once the source answers, the new value replaces the old one
    src.put("s1", "v2", 2);
    assert.equal((await a.cache.get("s1"))?.name, "v2", "a working source is always asked past the TTL");
    assert.equal(src.loads, 2);
  });

  it("a refresh racing an invalidation cannot put the old value back either", async () => {
    const clock = new ManualClock(Date.now());
    const src = new FakeSource();
    src.put("h3", "old");
    const a = await make(src.load, { clock });
    await a.cache.stop(); // no messages: the token is the only guard
    const b = await make(src.load, { clock });
    await a.cache.get("h3");
    clock.advance(55_000);
    const hold = gate();
    const loaded = gate();
    src.gate = hold.promise;
    src.onLoad = () => loaded.open();
    assert.equal((await a.cache.get("h3"))?.name, "old"); // stale hit; its refresh reads "old" and blocks
    await loaded.promise;
    src.gate = undefined;
    src.onLoad = undefined;
    src.put("h3", "new", 2);
    await b.cache.invalidate("h3");
    hold.open();
    await waitFor("refresh done", () => a.cache.stats().inFlight === 0);
    assert.equal(a.cache.stats().refreshes, 1);
    assert.equal(await redis.raw.exists(key("h3")), 0, "the refresh's fill was refused");
    assert.equal((await a.cache.get("h3"))?.name, "new");
  });

  it("early refresh from the local tier: one reload however many local hits", async () => {
    const clock = new ManualClock(Date.now());
    const src = new FakeSource();
    src.put("h2", "v1");
    const a = await make(src.load, { clock, ttlMs: 1_000, localTtlMs: 5_000, jitterRatio: 0 });
    await a.cache.get("h2");
    assert.equal((await a.cache.get("h2"))?.name, "v1");
    assert.equal(a.cache.stats().requests.hit_local, 1);
    clock.advance(850); // past 0.8 × 1 s, the local entry (5 s) still alive
    for (let i = 0; i < 100; i++) await a.cache.get("h2");
    await waitFor("refresh done", () => a.cache.stats().inFlight === 0);
    assert.equal(src.loads, 2);
    assert.equal(a.cache.stats().refreshes, 1);
    await a.cache.get("h2");
    assert.equal(a.cache.stats().requests.hit_local, 2, "the refreshed entry serves local hits again");
  });

  it("a failing load is passed to every waiter and not cached", async () => {
    let calls = 0;
    const a = await make(async () => {
      calls++;
      await sleep(5);
      throw new Error("db down");
    });
    const results = await Promise.allSettled(Array.from({ length: 20 }, () => a.cache.get("f1")));
    assert.ok(results.every((r) => r.status === "rejected" && (r.reason as Error).message === "db down"));
    assert.equal(calls, 1);
    await assert.rejects(a.cache.get("f1"), /db down/);
    assert.equal(calls, 2);
    assert.equal(await redis.raw.hget(key("f1"), "v"), null);
  });

  it("unreadable or foreign data at a key is reloaded and overwritten, without giving up on Redis", async () => {
    const src = new FakeSource();
    src.put("g1", "good");
    src.put("g2", "other");
    const a = await make(src.load, { localTtlMs: 0 }); // every read goes to Redis
    await redis.raw.hset(key("g1"), "t", "someone", "v", "garbage");
    assert.equal((await a.cache.get("g1"))?.name, "good");
    assert.equal(src.loads, 1);
    assert.equal((await a.cache.get("g1"))?.name, "good");
    assert.equal(src.loads, 1, "the garbage was replaced by a good entry");
    await redis.raw.set(key("g2"), "a string where a hash belongs");
    assert.equal((await a.cache.get("g2"))?.name, "other"); // WRONGTYPE: answered from the source
    assert.equal(a.cache.stats().requests.error, 1);
    await redis.raw.del(key("g2"));
    await a.cache.get("g2");
    assert.equal(a.cache.stats().requests.miss, 2, "the next read used Redis again (no backoff for a reply error)");
  });

  it("publishes invalidations on names.channel('cache:event:invalidate') (the channel carries the prefix by hand)", async () => {
    const src = new FakeSource();
    const a = await make(src.load);
    const listener = redis.raw.duplicate();
    await ready(listener);
    const got: string[] = [];
    listener.on("message", (ch: string, m: string) => got.push(`${ch} ${m}`));
    await listener.subscribe(`${prefix}:cache:event:invalidate`);
    await a.cache.invalidate("x1");
    await waitFor("message", () => got.length > 0);
    assert.match(got[0]!, new RegExp(`^${prefix}:cache:event:invalidate \\["v1","x1",`));
    listener.disconnect();
  });
});
