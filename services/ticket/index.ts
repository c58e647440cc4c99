import { fileURLToPath } from "node:url";
import { serviceModule } from "../../platform/app/index.js";
import { ticketContracts } from "./access.js";
import { AvailabilityFeed } from "./availability-feed.js";
import { createCountsCache, createInventoryCache } from "./caches.js";
import { eventLayouts } from "./clients/event-layouts.js";
import { ticketSpec } from "./config.js";
import { sectionCounts } from "./db/availability.js";
import { loadHold } from "./db/holds.js";
import { loadInventory } from "./db/inventory.js";
import { convertHold, markHoldSold, returnOrderPlaces } from "./db/lifecycle.js";
import type { InventoryPort, TicketDeps } from "./deps.js";
import { consumeEventCancelled } from "./events/event-cancelled-consumer.js";
import { consumeEventPublished } from "./events/event-published-consumer.js";
import { consumeEventUpdated } from "./events/event-updated-consumer.js";
import { LiveAvailability } from "./live-availability.js";
import { createOrders, ordersPublishes, ordersSpec, repositoryInventoryPort } from "./orders/index.js";
import { ticketServices } from "./rpc.js";
import { sweepHolds } from "./use-cases/sweep-holds.js";

/** ticket: inventory per event, holds, live availability; orders and tickets (the order half). */
export const ticketModule = serviceModule({
  name: "ticket",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  contracts: ticketContracts,
  config: { ...ticketSpec, ...ordersSpec },
  publishes: ordersPublishes,
  async create(ctx) {
    const db = ctx.database();
    const inventories = createInventoryCache(ctx, db);
    const counts = createCountsCache(ctx, db, inventories);
    const feed = new AvailabilityFeed({
      redis: ctx.redis(),
      names: ctx.names,
      logger: ctx.logger.child({ part: "availability-feed" }),
      invalidateCounts: (eventId) => counts.invalidate(eventId),
      invalidateEveryMs: ctx.settings.availabilityInvalidateMs,
    });
    const live = new LiveAvailability({
      db,
      clock: ctx.clock,
      logger: ctx.logger.child({ part: "live-availability" }),
      listen: (l) => feed.listen(l),
    });
    await Promise.all([inventories.start(), counts.start(), feed.start()]);
    const deps: TicketDeps = {
      db,
      clock: ctx.clock,
      newId: ctx.newId,
      commands: ctx.commands(),
      settings: ctx.settings,
      inventories,
      counts,
      notifier: feed,
      live,
      layouts: eventLayouts(ctx),
      drain: ctx.drainSignal,
    };
    await consumeEventPublished(ctx, deps);
    await consumeEventUpdated(ctx, deps);
    await consumeEventCancelled(ctx, deps);
    ctx.every({
      name: "hold-sweeper",
      everyMs: ctx.settings.sweepIntervalMs,
      exclusive: true,
      run: async (signal) => {
        await sweepHolds(deps, signal);
      },
    });

    /** What the order half uses of this one (deps.ts documents each member). */
    const inventoryPort: InventoryPort = {
      loadInventory,
      cachedInventory: (eventId) => inventories.get(eventId),
      loadHold,
      convertHold,
      markHoldSold,
      returnOrderPlaces,
      sectionCounts,
      notifyAvailabilityChanged: (eventId, holdIds) => feed.changed(eventId, holdIds),
    };
    // The order half (services/ticket/orders): its own port over the same repository (the event
    // summary is the inventory row's) and this half's availability notices.
    const orders = await createOrders(
      ctx,
      repositoryInventoryPort({
        notifyAvailabilityChanged: (eventId, holdIds) => feed.changed(eventId, holdIds),
      }),
    );

    return {
      services: ticketServices(deps, orders),
      httpRoutes: orders.httpRoutes,
      /** For tests: the pool, the use-cases' deps, the port the order half gets. */
      internals: { db, deps, inventoryPort, live, orders: orders.internals },
      close: async () => {
        await orders?.close?.();
        live.stop();
        await feed.stop();
        await Promise.all([counts.stop(), inventories.stop()]);
      },
    };
  },
});
