import { Counter, type Registry } from "prom-client";
import { type CacheResult, cacheResults } from "./options.js";

/** Cache metrics, registered once per registry and labelled by cache name. */
export interface CacheMetrics {
  requests: Counter<"cache" | "result">;
  loads: Counter<"cache">;
  refreshes: Counter<"cache">;
  invalidations: Counter<"cache">;
  invalidationFailures: Counter<"cache">;
  staleIfError: Counter<"cache">;
}

const byRegistry = new WeakMap<Registry, CacheMetrics>();

/** The cache metrics of `registry`, created on first use (prom-client refuses a name twice per registry). */
export function cacheMetrics(registry: Registry): CacheMetrics {
  let m = byRegistry.get(registry);
  if (m === undefined) {
    const registers = [registry];
    m = {
      requests: new Counter({
        name: "cache_requests_total",
        help: "Cache reads by what answered them: hit_local, hit_redis, miss (loaded), negative_hit (known not to exist), stale (hit in the refresh-ahead window), error (Redis unavailable, loaded).",
        labelNames: ["cache", "result"],
        registers,
      }),
      loads: new Counter({
        name: "cache_loads_total",
        help: "Calls of the source-of-truth loader (misses and refreshes).",
        labelNames: ["cache"],
        registers,
      }),
      refreshes: new Counter({
        name: "cache_refreshes_total",
        help: "Background reloads of hot keys before they expire.",
        labelNames: ["cache"],
        registers,
      }),
      invalidations: new Counter({
        name: "cache_invalidations_total",
        help: "invalidate() calls.",
        labelNames: ["cache"],
        registers,
      }),
      invalidationFailures: new Counter({
        name: "cache_invalidation_failures_total",
        help: "Invalidations that could not reach Redis at once and were retried in the background.",
        labelNames: ["cache"],
        registers,
      }),
      staleIfError: new Counter({
        name: "cache_stale_if_error_total",
        help: "Reads past a value's TTL answered with the old value because the source failed (stale-if-error).",
        labelNames: ["cache"],
        registers,
      }),
    };
    byRegistry.set(registry, m);
  }
  return m;
}

/**
 * The counters of one cache instance: the shared Prometheus series of its name (label children
 * resolved once, so the hot path does no label lookup) plus plain numbers for `stats()`.
 */
export class CacheCounters {
  readonly requests = Object.fromEntries(cacheResults.map((r) => [r, 0])) as Record<CacheResult, number>;
  loads = 0;
  refreshes = 0;
  invalidations = 0;
  readonly #m;

  constructor(registry: Registry, cache: string) {
    const m = cacheMetrics(registry);
    this.#m = {
      requests: Object.fromEntries(cacheResults.map((r) => [r, m.requests.labels(cache, r)])) as Record<
        CacheResult,
        { inc(): void }
      >,
      loads: m.loads.labels(cache),
      refreshes: m.refreshes.labels(cache),
      invalidations: m.invalidations.labels(cache),
      invalidationFailures: m.invalidationFailures.labels(cache),
      staleIfError: m.staleIfError.labels(cache),
    };
  }

  request(result: CacheResult): void {
    this.#m.requests[result].inc();
    this.requests[result]++;
  }

  load(refresh: boolean): void {
    this.#m.loads.inc();
    this.loads++;
    if (!refresh) return;
    this.#m.refreshes.inc();
    this.refreshes++;
  }

  invalidation(): void {
    this.#m.invalidations.inc();
    this.invalidations++;
  }

  invalidationFailure(): void {
    this.#m.invalidationFailures.inc();
  }

  staleIfError(): void {
    this.#m.staleIfError.inc();
  }
}
