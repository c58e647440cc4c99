/**
 * The order half of the ticket service: Checkout and orders, tickets and check-in, the sales
 * summary, the Payment* and event consumers, the reconciliation sweeper, the refund and event jobs,
 * and the published ticket keys. The ticket module builds it with the inventory half's port:
 *
 * ```ts
 * const orders = await createOrders(ctx, inventoryPort);
 * services: [defineService(TicketService, ticketAccess.access, { ...inventoryHandlers, ...orders.handlers }),
 *            defineService(TicketInternalService, ticketInternalAccess.access, orders.internal)],
 * httpRoutes: orders.httpRoutes, close: orders.close,
 * // and in the module: config: { ...inventorySpec, ...ordersSpec }, publishes: [...inventoryEvents, ...ordersPublishes]
 * ```
 */
import type { ServiceImpl } from "@connectrpc/connect";
import { PaymentInternalService } from "../../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import type { TicketInternalService } from "../../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import type { TicketService } from "../../../gen/boxoffice/ticket/v1/ticket_service_pb.js";
import type { ServiceContext } from "../../../platform/app/index.js";
import type { PeriodicJob } from "../../../platform/jobs/index.js";
import { PageTokens } from "../../../platform/paging/index.js";
import { type HttpRoute, respond } from "../../../platform/server/http.js";
import { paymentsOver } from "./clients/payments.js";
import type { OrdersSettings } from "./config.js";
import type { OrdersDeps } from "./deps.js";
import { startOrderConsumers } from "./events/consumers.js";
import { pendingOrderGauges } from "./metrics.js";
import type { InventoryPort } from "./ports.js";
import { ordersHandlers, ordersInternal } from "./rpc.js";
import { loadTicketKeys, ticketKeysPath } from "./ticket-keys.js";
import { runEventJobs } from "./use-cases/event-jobs.js";
import { reconcileOrders } from "./use-cases/reconcile.js";
import { sendRefunds } from "./use-cases/refunds.js";
import { OrderWatch } from "./watch.js";

export { type OrdersSettings, ordersSpec } from "./config.js";
export { ordersPublishes } from "./events/published.js";
export { repositoryInventoryPort } from "./inventory-port.js";
export type { InventoryPort } from "./ports.js";
export { ticketKeysPath } from "./ticket-keys.js";

export interface OrdersPart {
  /** The TicketService RPCs of the order half. */
  readonly handlers: Partial<ServiceImpl<typeof TicketService>>;
  readonly internal: ServiceImpl<typeof TicketInternalService>;
  /** The published ticket keys document. */
  readonly httpRoutes: Record<string, HttpRoute>;
  /** For tests of a running process: the deps and the jobs (runNow). */
  readonly internals: {
    readonly deps: OrdersDeps;
    readonly jobs: { reconcile: PeriodicJob; refunds: PeriodicJob; eventJobs: PeriodicJob };
  };
  close?(): Promise<void>;
}

export async function createOrders<S extends OrdersSettings>(
  ctx: ServiceContext<S>,
  inv: InventoryPort,
): Promise<OrdersPart> {
  const s = ctx.settings;
  const keys = await loadTicketKeys(s.ticketSigningKeys, {
    production: ctx.config.env === "production",
    logger: ctx.logger,
  });
  const jobs: Partial<OrdersPart["internals"]["jobs"]> = {};
  const kickOf = (job: keyof typeof jobs) => () => {
    void jobs[job]?.runNow();
  };
  const watch = new OrderWatch({
    redis: ctx.redis(),
    names: ctx.names,
    logger: ctx.logger.child({ part: "order-watch" }),
  });
  await watch.start();
  const deps: OrdersDeps = {
    db: ctx.database(),
    commands: ctx.commands(),
    clock: ctx.clock,
    newId: ctx.newId,
    logger: ctx.logger.child({ part: "orders" }),
    pageTokens: new PageTokens(ctx.config.pageTokenSecret),
    settings: s,
    inventory: inv,
    payments: paymentsOver(ctx.client(PaymentInternalService, "payment")),
    keys,
    watch,
    kick: { refunds: kickOf("refunds"), eventJobs: kickOf("eventJobs") },
  };
  jobs.reconcile = ctx.every({
    name: "orders-reconciliation",
    everyMs: s.reconcileEveryMs,
    exclusive: true,
    run: async (signal) => {
      // rounds until nothing due is left (a backlog after an outage drains at once)
      while (!signal.aborted && (await reconcileOrders(deps, { signal })).checked >= 100);
    },
  });
  jobs.refunds = ctx.every({
    name: "orders-refunds",
    everyMs: s.refundEveryMs,
    exclusive: true,
    run: async (signal) => {
      while (!signal.aborted && (await sendRefunds(deps, { signal })) >= 50);
    },
  });
  jobs.eventJobs = ctx.every({
    name: "orders-event-jobs",
    everyMs: s.eventJobEveryMs,
    exclusive: true,
    // new jobs are kicked at once; a period after a start picks up what a crash interrupted
    firstRunMs: s.eventJobEveryMs,
    run: async (signal) => {
      await runEventJobs(deps, { signal });
    },
  });
  pendingOrderGauges(ctx.metrics.registry, deps.db, ctx.clock);
  await startOrderConsumers(ctx, deps);
  const published = JSON.stringify(keys.jwks);
  return {
    handlers: ordersHandlers(deps, ctx.drainSignal),
    internal: ordersInternal(deps),
    httpRoutes: {
      [ticketKeysPath]: (_req, res) =>
        respond(res, 200, { "content-type": "application/json", "cache-control": "public, max-age=300" }, published),
    },
    internals: { deps, jobs: jobs as OrdersPart["internals"]["jobs"] },
    close: () => watch.stop(),
  };
}
