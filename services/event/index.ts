import { fileURLToPath } from "node:url";
import { serviceModule } from "../../platform/app/index.js";
import { PageTokens } from "../../platform/paging/index.js";
import { eventContracts } from "./access.js";
import { eventSpec } from "./config.js";
import type { EventDeps } from "./deps.js";
import { createEventCache } from "./event-cache.js";
import { eventPublishes } from "./events/published.js";
import { eventServices } from "./rpc.js";

/** event: venues, events, seat maps, prices; the hot cached GetEvent. */
export const eventModule = serviceModule({
  name: "event",
  contracts: eventContracts,
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  config: eventSpec,
  publishes: eventPublishes,
  async create(ctx) {
    const db = ctx.database();
    const cache = createEventCache(ctx, db);
    await cache.start();
    const deps: EventDeps = {
      db,
      clock: ctx.clock,
      newId: ctx.newId,
      commands: ctx.commands(),
      pageTokens: new PageTokens(ctx.config.pageTokenSecret),
      cache,
    };
    return {
      services: eventServices(deps),
      /** For tests: the pool (database reads are counted at it), the cache, the use-cases' deps. */
      internals: { db, cache, deps },
      close: () => cache.stop(),
    };
  },
});
