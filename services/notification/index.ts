import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import { fileURLToPath } from "node:url";
import { AuthInternalService } from "../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { TicketInternalService } from "../../gen/boxoffice/ticket/v1/ticket_internal_service_pb.js";
import { serviceModule } from "../../platform/app/index.js";
import { PageTokens } from "../../platform/paging/index.js";
import { notificationContracts } from "./access.js";
import { ticketDirectory } from "./clients/tickets.js";
import { userDirectory } from "./clients/users.js";
import { notificationSpec } from "./config.js";
import { createNotificationDelivery } from "./delivery/index.js";
import { queueMetrics } from "./delivery/metrics.js";
import type { NotificationDeps } from "./deps.js";
import { domainOf } from "./domain/message-id.js";
import { startConsumers } from "./events/index.js";
import { notificationServices } from "./rpc.js";

/**
 * notification: one email for each fact a person cares about (account links, order confirmed with
 * its tickets, failed, cancelled, refunded, rescheduled), queued by the consumers in their inbox
 * transaction and delivered by the sender running in this process (any number of processes: the
 * claim is SKIP LOCKED with a lease). See docs/notification.md.
 */
export const notificationModule = serviceModule({
  name: "notification",
  migrations: fileURLToPath(new URL("./db/migrations", import.meta.url)),
  contracts: notificationContracts,
  config: notificationSpec,
  async create(ctx) {
    const cfg = ctx.settings;
    const db = ctx.database();
    const users = userDirectory(ctx.client(AuthInternalService, "auth"), {
      clock: ctx.clock,
      ttlMs: cfg.recipientCacheMs,
    });
    const delivery = createNotificationDelivery({
      cfg,
      db,
      clock: ctx.clock,
      ids: ctx.newId,
      logger: ctx.logger.child({ part: "sender" }),
      registry: ctx.metrics.registry,
      // the pod's name in a cluster: the deliveries table says which sender made each attempt
      instance: `${hostname()}-${process.pid}-${randomBytes(2).toString("hex")}`.slice(-64),
      resolveRecipient: (userId) => users.recipient(userId),
      tracing: ctx.tracing,
    });
    const deps: NotificationDeps = {
      db,
      clock: ctx.clock,
      pageTokens: new PageTokens(ctx.config.pageTokenSecret),
      queue: delivery.queue,
      tickets: ticketDirectory(ctx.client(TicketInternalService, "ticket")),
      metrics: queueMetrics(ctx.metrics.registry),
      settings: {
        linkBaseUrl: cfg.linkBaseUrl,
        refundWaitMs: cfg.refundWaitMs,
        messageIdDomain: domainOf(cfg.from),
        consumerAckWaitMs: cfg.consumerAckWaitMs,
      },
      wakeSender: () => delivery.sender.wake(),
    };
    delivery.sender.start();
    try {
      await startConsumers(ctx, deps);
    } catch (e) {
      await delivery.close();
      throw e;
    }
    return {
      services: notificationServices(deps),
      /** For tests: the use-cases' deps, the sender and queue, the pool. */
      internals: { deps, delivery, db, users },
      // consumers are stopped by the process before this; attempts in flight finish and are recorded
      close: () => delivery.close(),
    };
  },
});
