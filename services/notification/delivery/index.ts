/**
 * The delivery side of the notification service, assembled from its configuration: the queue the
 * consumers write to, the email channel, and the sender. The service module (with the consumers
 * and the RPC layer) builds this once per process.
 */
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Clock } from "../../../platform/clock/index.js";
import type { Db } from "../../../platform/db/index.js";
import type { IdGenerator } from "../../../platform/ids/index.js";
import type { Tracing } from "../../../platform/tracing/index.js";
import type { NotificationConfig } from "../config.js";
import { domainOf } from "../domain/message-id.js";
import { createEmailChannel } from "./email.js";
import { NotificationQueue } from "./queue.js";
import { NotificationSender, type RecipientResolver } from "./sender.js";

export type { ChannelName, DeliveryChannel, DeliveryResult, OutgoingNotification } from "./channel.js";
export { composeEmail, createEmailChannel } from "./email.js";
export { type NewNotification, NotificationQueue } from "./queue.js";
export { NotificationSender, type RecipientResolver, type SenderOptions } from "./sender.js";

export interface DeliveryDeps {
  cfg: NotificationConfig;
  db: Db;
  clock: Clock;
  ids: IdGenerator;
  logger: Logger;
  registry: Registry;
  instance: string;
  resolveRecipient?: RecipientResolver;
  /** queued notifications keep the consumer's trace; each attempt continues it */
  tracing?: Tracing;
}

export interface NotificationDelivery {
  queue: NotificationQueue;
  sender: NotificationSender;
  /** Stops the sender (attempts in flight finish) and closes the SMTP pool. */
  close(): Promise<void>;
}

export function createNotificationDelivery(d: DeliveryDeps): NotificationDelivery {
  const render = { locale: d.cfg.locale, brand: d.cfg.brand };
  const email = createEmailChannel({
    smtpUrl: d.cfg.smtpUrl,
    from: d.cfg.from,
    messageIdDomain: domainOf(d.cfg.from),
    render,
    maxConnections: d.cfg.concurrency,
    connectionTimeoutMs: d.cfg.smtpTimeoutMs,
    greetingTimeoutMs: d.cfg.smtpTimeoutMs,
    socketTimeoutMs: d.cfg.smtpTimeoutMs,
  });
  const sender = new NotificationSender({
    db: d.db,
    channels: { EMAIL: email },
    clock: d.clock,
    ids: d.ids,
    logger: d.logger,
    registry: d.registry,
    instance: d.instance,
    retry: { baseMs: d.cfg.retryBaseMs, maxMs: d.cfg.retryMaxMs, maxAttempts: d.cfg.maxAttempts },
    leaseMs: d.cfg.leaseMs,
    concurrency: d.cfg.concurrency,
    pollMs: d.cfg.pollMs,
    resolveRecipient: d.resolveRecipient,
    tracing: d.tracing,
  });
  return {
    queue: new NotificationQueue({
      ids: d.ids,
      clock: d.clock,
      render,
      trace: d.tracing && (() => d.tracing!.fields()),
    }),
    sender,
    async close() {
      await sender.stop();
      await email.close();
    },
  };
}
