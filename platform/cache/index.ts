/**
 * The read-through cache of hot entities (docs/event.md, "The cache"): an in-process tier in front of
 * Redis in front of the source of truth, with single-flight loads, negative caching, jittered
 * TTLs, refresh-ahead, and invalidation that cannot be undone by a racing load.
 */
export { createCache } from "./cache.js";
export { EncodedAnswers, type EncodedAnswersOptions } from "./encoded.js";
export { type CacheMetrics, cacheMetrics } from "./metrics.js";
export type { Cache, CacheCodec, CacheOptions, CacheResult, CacheStats } from "./options.js";
