import assert from "node:assert/strict";
import { benchCache } from "../../bench/support/cache-bench.js";
import { infraUrls } from "../../test/support/infra.js";

describe("cache: get() rates (quick benchmark)", function () {
  this.timeout(60_000);
  it("answers local hits far faster than Redis hits, and Redis hits faster than misses", async () => {
    const r = await benchCache(infraUrls().redisUrl, Number(process.env.CACHE_BENCH_SCALE ?? 0.25));
    process.stderr.write(`      cache rates/s: ${JSON.stringify(r)}\n`);
    assert.ok(r.localHitPerSec > 10 * r.redisHitPerSec, "the local tier is worth having");
    assert.ok(r.redisHitConcurrentPerSec > r.missConcurrentPerSec);
  });
});
