import { fileURLToPath } from "node:url";
import type { ServiceModule } from "../../platform/app/index.js";
import { IdempotencyStore } from "../../platform/db/idempotency.js";
import { PageTokens } from "../../platform/rpc/page-token.js";
import { loadEvent } from "./repository.js";
import { eventServices } from "./rpc.js";
import type { EventCache } from "./use-cases/context.js";

/** event: venues, events, seat maps, prices; the hot cached GetEvent. */
export const eventModule: ServiceModule = {
  name: "event",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  async create(ctx) {
    const db = ctx.database();
    const outbox = await ctx.outbox();
    const idempotency = new IdempotencyStore(db, ctx.clock, ctx.config.idempotencyRetentionHours * 3600_000);
    const cache: EventCache = {
      get: (id) => loadEvent(db.orm, id, ctx.clock.now()),
      invalidate: async () => undefined,
    };
    const pruner = setInterval(() => {
      idempotency.prune().catch((err: unknown) => ctx.logger.warn({ err }, "idempotency pruning failed"));
    }, 3600_000);
    pruner.unref();
    return {
      services: eventServices({ db, clock: ctx.clock, newId: ctx.newId, idempotency, outbox, pageTokens: new PageTokens(ctx.config.pageTokenSecret), cache }),
      async close() {
        clearInterval(pruner);
      },
    };
  },
};
