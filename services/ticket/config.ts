import type { ConfigOf } from "../../platform/config/index.js";
import { envTypes, envVar } from "../../platform/config/index.js";

/**
 * The ticket service's own variables (ServiceModule.config: validated at start, listed by
 * `boxoffice config`). The inventory half's settings come first; the order half adds its own here.
 */
export const ticketSpec = {
  holdTtlSeconds: envVar(
    "BOXOFFICE_TICKET_HOLD_TTL_SECONDS",
    envTypes.positiveInt(600),
    "how long a hold keeps its places (expire_time = creation + this)",
  ),
  gaStripes: envVar(
    "BOXOFFICE_TICKET_GA_STRIPES",
    envTypes.positiveInt(16),
    "counter rows a general-admission section's capacity is split over (spreads concurrent buyers)",
  ),
  sweepIntervalMs: envVar(
    "BOXOFFICE_TICKET_SWEEP_INTERVAL_MS",
    envTypes.positiveInt(1000),
    "pause between runs of the hold sweeper (marks expired holds EXPIRED, puts GA places back, announces)",
  ),
  watchIntervalMs: envVar(
    "BOXOFFICE_TICKET_WATCH_INTERVAL_MS",
    envTypes.positiveInt(1000),
    "WatchAvailability: at most one update per stream per this many ms (changes in between are coalesced)",
  ),
  watchHeartbeatSeconds: envVar(
    "BOXOFFICE_TICKET_WATCH_HEARTBEAT_SECONDS",
    envTypes.positiveInt(15),
    "WatchAvailability: a heartbeat after this long without a message",
  ),
  availabilityInvalidateMs: envVar(
    "BOXOFFICE_TICKET_AVAILABILITY_INVALIDATE_MS",
    envTypes.positiveInt(500),
    "GetAvailability's cached counts of an event are invalidated at most this often per writer (the last change always is)",
  ),
  availabilityCacheTtlSeconds: envVar(
    "BOXOFFICE_TICKET_AVAILABILITY_CACHE_TTL_SECONDS",
    envTypes.positiveInt(60),
    "Redis TTL of an event's cached counts (changes invalidate them before that)",
  ),
};

/** The ticket service's settings (`ctx.settings`). */
export type TicketSettings = ConfigOf<typeof ticketSpec>;
