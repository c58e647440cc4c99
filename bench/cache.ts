/**
 * `make bench-cache`: the event cache's get() rates on a harness-started Redis — local-tier hits,
 * Redis hits and misses — with the two relations the design relies on printed as met / not met.
 * A benchmark, not a test: rates depend on the machine and its load.
 */
import { startInfra } from "../harness/index.js";
import { benchCache } from "./support/cache-bench.js";

const infra = await startInfra({ dataDir: `.data/bench-cache-${process.pid}`, only: ["redis"], log: () => {} });
try {
  const r = await benchCache(infra.redisUrl, Number(process.env.CACHE_BENCH_SCALE ?? 1));
  const line = (name: string, v: number) => `  ${name.padEnd(28)} ${Math.round(v).toLocaleString("en")}/s`;
  process.stdout.write(
    `cache get() rates\n${Object.entries(r)
      .map(([k, v]) => line(k, v as number))
      .join("\n")}\n`,
  );
  const check = (ok: boolean, what: string) => process.stdout.write(`  ${ok ? "met    " : "not met"}  ${what}\n`);
  check(r.localHitPerSec > 10 * r.redisHitPerSec, "local hits > 10× Redis hits (the local tier is worth having)");
  check(r.redisHitConcurrentPerSec > r.missConcurrentPerSec, "concurrent Redis hits faster than misses");
} finally {
  await infra.stop();
}
