import { envTypes, envVar } from "../../platform/config/index.js";

/** The event service's own variables (ServiceModule.config: validated at start, listed by `boxoffice config`). */
export const eventSpec = {
  cacheTtlSeconds: envVar(
    "BOXOFFICE_EVENT_CACHE_TTL_SECONDS",
    envTypes.positiveInt(300),
    "Redis TTL of a cached event (±10% jitter); writes invalidate at once",
  ),
  cacheNegativeTtlSeconds: envVar(
    "BOXOFFICE_EVENT_CACHE_NEGATIVE_TTL_SECONDS",
    envTypes.positiveInt(30),
    "how long an unknown event id is remembered as unknown",
  ),
  cacheLocalTtlMs: envVar(
    "BOXOFFICE_EVENT_CACHE_LOCAL_TTL_MS",
    envTypes.positiveInt(1000),
    "in-process tier: the staleness bound of another instance's writes",
  ),
};
