import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { ServiceContext } from "../../platform/app/index.js";
import { createCache } from "../../platform/cache/index.js";
import type { ConfigOf } from "../../platform/config/index.js";
import type { Db } from "../../platform/db/index.js";
import type { eventSpec } from "./config.js";
import { findEventWithTiers } from "./db/repository.js";
import type { EventCache } from "./deps.js";
import { toEvent } from "./mappers.js";

const uuidShape = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** GetEvent's read-through cache on the process's Redis, loading from the event's rows. */
export function createEventCache(
  ctx: ServiceContext<ConfigOf<typeof eventSpec>>,
  db: Db,
): EventCache & { start(): Promise<void>; stop(): Promise<void> } {
  const { commands: redis, subscriber } = ctx.redis();
  return createCache<Event>({
    name: "event",
    redis,
    subscriber,
    names: ctx.names,
    clock: ctx.clock,
    logger: ctx.logger.child({ part: "cache" }),
    registry: ctx.metrics.registry,
    codec: { encode: (e) => Buffer.from(toBinary(EventSchema, e)), decode: (b) => fromBinary(EventSchema, b) },
    load: async (id) => {
      const found = await findEventWithTiers(db.orm, id);
      return found === undefined ? undefined : toEvent(found.row, found.tiers, ctx.clock.now());
    },
    ttlMs: ctx.settings.cacheTtlSeconds * 1000,
    negativeTtlMs: ctx.settings.cacheNegativeTtlSeconds * 1000,
    localTtlMs: ctx.settings.cacheLocalTtlMs,
    version: "v1",
    // only well-formed ids get a "does not exist" marker (validation already refuses others; this
    // keeps a caller that bypasses it from filling Redis), see docs/event.md
    acceptsId: (id) => uuidShape.test(id),
  });
}
