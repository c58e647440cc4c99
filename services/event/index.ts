import { fileURLToPath } from "node:url";
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { type Event, EventSchema } from "../../gen/boxoffice/event/v1/event_pb.js";
import type { ServiceModule } from "../../platform/app/index.js";
import { createCache } from "../../platform/cache/index.js";
import { createRedis } from "../../platform/redis/index.js";
import { PageTokens } from "../../platform/rpc/page-token.js";
import { eventContracts } from "./access.js";
import { loadEventConfig } from "./config.js";
import { loadEvent } from "./repository.js";
import { eventServices } from "./rpc.js";
import type { EventCache } from "./use-cases/context.js";

/** event: venues, events, seat maps, prices; the hot cached GetEvent. */
export const eventModule: ServiceModule = {
  name: "event",
  contracts: eventContracts,
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  async create(ctx) {
    const db = ctx.database();
    const outbox = await ctx.outbox();
    const idempotency = ctx.idempotency();
    const cfg = loadEventConfig(ctx.env);
    // Two connections: commands (no offline queue, short timeouts) and the invalidation subscription.
    const redis = createRedis(ctx.config.redisUrl, ctx.names);
    const subscriber = redis.duplicate();
    for (const r of [redis, subscriber]) r.on("error", () => undefined); // reconnects by itself; the cache counts errors
    const cache: EventCache & { start(): Promise<void>; stop(): Promise<void> } = createCache<Event>({
      name: "event",

      redis,
      subscriber,
      names: ctx.names,
      clock: ctx.clock,
      logger: ctx.logger.child({ part: "cache" }),
      registry: ctx.metrics.registry,
      codec: { encode: (e) => Buffer.from(toBinary(EventSchema, e)), decode: (b) => fromBinary(EventSchema, b) },
      load: (id) => loadEvent(db.orm, id, ctx.clock.now()),
      ttlMs: cfg.cacheTtlSeconds * 1000,
      negativeTtlMs: cfg.cacheNegativeTtlSeconds * 1000,
      localTtlMs: cfg.cacheLocalTtlMs,
      version: "v1",
    });
    await cache.start();
    return {
      services: eventServices({
        db,
        clock: ctx.clock,
        newId: ctx.newId,
        idempotency,
        outbox,
        pageTokens: new PageTokens(ctx.config.pageTokenSecret),
        cache,
      }),
      /** For tests: the pool (database reads are counted at it) and the cache. */
      internals: { db, cache },
      async close() {
        await cache.stop();
        redis.disconnect();
        subscriber.disconnect();
      },
    };
  },
};
