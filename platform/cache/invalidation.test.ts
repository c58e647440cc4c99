import assert from "node:assert/strict";
import { FakeSource, type instance, metric, sharedRedisSuite, waitFor } from "../../test/support/cache-kit.js";
import { testPrefix } from "../../test/support/infra.js";
import { sleep } from "../clock/index.js";

describe("cache: invalidation across instances, local tier and its subscription (shared Redis)", function () {
  this.timeout(30_000);
  const prefix = testPrefix();
  const redis = sharedRedisSuite(prefix);
  const make = (src: FakeSource, extra: Parameters<typeof instance>[3] = {}) => redis.make(src.load, extra);

  it("after A's writer invalidates, B answers the new value within localTtlMs and never the old one after that", async () => {
    const src = new FakeSource(); // one "database" behind both processes
    src.put("ev", "old");
    const a = await make(src);
    const b = await make(src);
    for (let i = 0; i < 5; i++) await Promise.all([a.cache.get("ev"), b.cache.get("ev")]);
    assert.ok(b.cache.stats().requests.hit_local > 0, "B is warm in its local tier");

    src.put("ev", "new", 2); // A's writer commits…
    await a.cache.invalidate("ev"); // …and invalidates before answering
    const resolvedAt = performance.now();
    assert.equal((await a.cache.get("ev"))?.name, "new", "the writer's instance reads its own write at once");
    let firstNew: number | undefined;
    const oldAfterNew: number[] = [];
    let reads = 0;
    while (performance.now() - resolvedAt < 1_500) {
      const v = await b.cache.get("ev");
      const t = performance.now() - resolvedAt;
      reads++;
      if (v?.name === "new") firstNew ??= t;
      else if (firstNew !== undefined) oldAfterNew.push(t);
      if (reads % 50 === 0) await sleep(1); // let other work run, as a server would
    }
    assert.ok(
      firstNew !== undefined && firstNew <= 1_000,
      `B saw the new value after ${firstNew?.toFixed(1)} ms (bound: localTtlMs = 1000)`,
    );
    assert.deepEqual(oldAfterNew, [], "no old value once the new one was seen");
    process.stderr.write(
      `      B saw the new value ${firstNew.toFixed(1)} ms after invalidate() resolved; ${reads} reads in 1.5 s\n`,
    );
    assert.ok(b.cache.stats().requests.hit_local > reads / 2, "B served mostly from its local tier again");
  });

  it("under a stream of writes, each reader on B sees versions in order and never lags more than localTtlMs", async () => {
    const src = new FakeSource();
    src.put("live", "v", 0);
    const a = await make(src);
    const b = await make(src);
    const committed: Array<{ version: number; at: number }> = [{ version: 0, at: 0 }]; // versions whose invalidate resolved
    let done = false;
    const writer = (async () => {
      for (let v = 1; v <= 150; v++) {
        src.put("live", "v", v);
        await a.cache.invalidate("live");
        committed.push({ version: v, at: performance.now() });
        await sleep(v % 10 === 0 ? 20 : 2);
      }
      done = true;
    })();
    const violations: string[] = [];
    const reader = async (r: number) => {
      let last = -1;
      let n = 0;
      while (!done) {
        const started = performance.now();
        const v = (await b.cache.get("live"))!.version;
        if (v < last) violations.push(`reader ${r}: ${v} after ${last}`);
        // every version whose invalidate resolved more than the bound before this read began must be visible
        const due = committed.filter((c) => c.at < started - 1_000).at(-1)?.version ?? 0;
        if (v < due) violations.push(`reader ${r}: ${v} but ${due} was due`);
        last = v;
        if (++n % 20 === 0) await sleep(0);
      }
    };
    await Promise.all([writer, reader(1), reader(2), reader(3)]);
    assert.deepEqual(violations, []);
    assert.equal((await b.cache.get("live"))?.version, 150);
    assert.ok(src.loads < 150 * 3, `${src.loads} loads for 150 writes and three busy readers on B`);
  });

  it("while the subscription is down the local tier is bypassed, and it is used again once resubscribed", async () => {
    const src = new FakeSource();
    src.put("sd", "old");
    const a = await make(src);
    const b = await make(src);
    await b.cache.get("sd");
    await b.cache.get("sd");
    assert.equal(b.cache.stats().requests.hit_local, 1);
    assert.equal(b.cache.stats().localEntries, 1);

    b.subscriber.disconnect(); // no reconnect: the subscription stays down
    await waitFor("B unsubscribed", () => !b.cache.stats().subscribed);
    assert.equal(b.cache.stats().localEntries, 0, "the local tier is emptied: it may miss invalidations from now on");
    src.put("sd", "new", 2);
    await a.cache.invalidate("sd"); // B cannot hear this message
    const localBefore = b.cache.stats().requests.hit_local;
    for (let i = 0; i < 20; i++) assert.equal((await b.cache.get("sd"))?.name, "new", "read from Redis every time");
    assert.equal(b.cache.stats().requests.hit_local, localBefore, "no local hits while down");
    assert.equal(b.cache.stats().localEntries, 0, "nothing was stored locally either");
    assert.ok((await metric(b.registry, "cache_requests_total", { cache: "event", result: "hit_redis" })) >= 19);

    b.subscriber.connect().catch(() => undefined);
    await waitFor("B subscribed again", () => b.cache.stats().subscribed);
    await b.cache.get("sd");
    await b.cache.get("sd");
    assert.equal(b.cache.stats().requests.hit_local, localBefore + 1, "local tier in use again");
  });

  it("a connection dropped by the server (CLIENT KILL) bypasses the local tier until ioredis has resubscribed", async () => {
    const src = new FakeSource();
    src.put("ck", "x");
    const b = await make(src);
    const id = await b.subscriber.client("ID");
    const changes: boolean[] = [];
    const poll = setInterval(() => changes.push(b.cache.stats().subscribed), 1);
    await redis.raw.client("KILL", "ID", String(id));
    await waitFor("down", () => changes.includes(false), 3_000, 1);
    await waitFor("resubscribed", () => b.cache.stats().subscribed, 5_000);
    clearInterval(poll);
    // and the resubscription really delivers
    await b.cache.get("ck");
    await b.cache.get("ck");
    const a = await make(src);
    src.put("ck", "y", 2);
    await a.cache.invalidate("ck");
    await waitFor("B dropped its entry", () => b.cache.stats().localEntries === 0, 2_000, 1);
    assert.equal((await b.cache.get("ck"))?.name, "y");
  });

  it("a writer on another schema version makes this version's Redis key go too", async () => {
    const src = new FakeSource();
    src.put("ver", "old");
    const v1 = await make(src);
    const v2 = await make(src, { version: "v2" });
    await v1.cache.get("ver");
    assert.equal(await redis.raw.exists(`${prefix}:cache:event:v1:ver`), 1);
    src.put("ver", "new", 2);
    await v2.cache.invalidate("ver");
    await waitFor(
      "v1 key deleted by its own instance",
      async () => (await redis.raw.exists(`${prefix}:cache:event:v1:ver`)) === 0,
      2_000,
    );
    assert.equal((await v1.cache.get("ver"))?.name, "new");
    assert.equal(await metric(v2.registry, "cache_invalidations_total", { cache: "event" }), 1);
  });
});
