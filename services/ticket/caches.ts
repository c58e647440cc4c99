/**
 * The ticket service's two read-through caches on the process's Redis (platform/cache):
 * - `ticket-inventory`: an event's inventory (sales state, window, limits, sections, prices,
 *   summary) — read by every HoldSeats, dropped after every change of the inventory;
 * - `ticket-availability`: an event's counts per section — GetAvailability's hot read, dropped by
 *   the availability feed after places change (at most every BOXOFFICE_TICKET_AVAILABILITY_INVALIDATE_MS
 *   per writer, the last change of a burst always).
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Availability, AvailabilitySchema } from "../../gen/boxoffice/ticket/v1/availability_pb.js";
import type { ServiceContext } from "../../platform/app/index.js";
import { type Cache, createCache } from "../../platform/cache/index.js";
import type { Db } from "../../platform/db/index.js";
import type { TicketSettings } from "./config.js";
import { sectionCounts } from "./db/availability.js";
import { type Inventory, loadInventory } from "./db/inventory.js";
import type { CountsCache, InventoryCache } from "./deps.js";
import { toCounts } from "./mappers.js";

type Started<T> = T & { start(): Promise<void>; stop(): Promise<void> };

const DATE = "\u0000date:";

/** JSON with Dates kept as Dates (the inventory's sales window and summary times). */
const inventoryCodec = {
  encode: (inv: Inventory) =>
    JSON.stringify(inv, function (this: Record<string, unknown>, key, value) {
      const raw = this[key];
      return raw instanceof Date ? `${DATE}${raw.getTime()}` : value;
    }),
  decode: (b: Buffer) =>
    JSON.parse(b.toString(), (_key, value) =>
      typeof value === "string" && value.startsWith(DATE) ? new Date(Number(value.slice(DATE.length))) : value,
    ) as Inventory,
};

function common(ctx: ServiceContext<TicketSettings>, name: string) {
  const { commands: redis, subscriber } = ctx.redis();
  return {
    name,
    redis,
    subscriber,
    names: ctx.names,
    clock: ctx.clock,
    logger: ctx.logger.child({ part: "cache" }),
    registry: ctx.metrics.registry,
  };
}

export function createInventoryCache(ctx: ServiceContext<TicketSettings>, db: Db): Started<InventoryCache> {
  const cache: Cache<Inventory> = createCache<Inventory>({
    ...common(ctx, "ticket-inventory"),
    codec: inventoryCodec,
    load: (eventId) => loadInventory(db.orm, eventId),
    ttlMs: 300_000,
    // an event about to be materialised is asked for again soon; its creation invalidates anyway
    negativeTtlMs: 5_000,
    version: "v1",
  });
  return cache;
}

export function createCountsCache(
  ctx: ServiceContext<TicketSettings>,
  db: Db,
  inventories: InventoryCache,
): Started<CountsCache> {
  const cache: Cache<Availability> = createCache<Availability>({
    ...common(ctx, "ticket-availability"),
    codec: {
      encode: (a) => Buffer.from(toBinary(AvailabilitySchema, a)),
      decode: (b) => fromBinary(AvailabilitySchema, b),
    },
    load: async (eventId) => {
      const inv = await inventories.get(eventId);
      if (inv === undefined) return undefined;
      const now = ctx.clock.date();
      return toCounts(inv, await sectionCounts(db.orm, inv.invId, now), now);
    },
    ttlMs: ctx.settings.availabilityCacheTtlSeconds * 1000,
    negativeTtlMs: 5_000,
    version: "v1",
  });
  return cache;
}
