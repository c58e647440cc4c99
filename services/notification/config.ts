import { z } from "zod";
import { type ConfigOf, envTypes, envVar, loadConfig } from "../../platform/config/index.js";

/** The notification service's own variables (the runtime's are in platform/config/runtime.ts). */
export const notificationSpec = {
  smtpUrl: envVar(
    "BOXOFFICE_SMTP_URL",
    envTypes.string("smtp://127.0.0.1:25").pipe(z.url({ protocol: /^smtps?$/ })),
    "SMTP server or relay: smtp://host:port (STARTTLS when offered) or smtps://user:pass@host:465 (secret when it has credentials); make dev and the tests point it at the local sink",
  ),
  from: envVar(
    "BOXOFFICE_NOTIFICATION_FROM",
    envTypes.string("Boxoffice <no-reply@boxoffice.localhost>"),
    "From header of every email; its domain is the right-hand side of each Message-ID",
  ),
  locale: envVar(
    "BOXOFFICE_NOTIFICATION_LOCALE",
    envTypes.string("en-GB"),
    "locale of dates and amounts in emails (times are always in the event's own time zone)",
  ),
  brand: envVar("BOXOFFICE_NOTIFICATION_BRAND", envTypes.string("Boxoffice"), "product name in subjects and footers"),
  retryBaseMs: envVar(
    "BOXOFFICE_NOTIFICATION_RETRY_BASE_MS",
    envTypes.positiveInt(30_000),
    "delay after the first temporary failure; doubles per attempt, jittered",
  ),
  retryMaxMs: envVar(
    "BOXOFFICE_NOTIFICATION_RETRY_MAX_MS",
    envTypes.positiveInt(3_600_000),
    "longest delay between two attempts",
  ),
  maxAttempts: envVar(
    "BOXOFFICE_NOTIFICATION_MAX_ATTEMPTS",
    envTypes.positiveInt(15),
    "attempts before a temporarily failing notification is marked FAILED (15 ≈ 9 hours with the defaults)",
  ),
  leaseMs: envVar(
    "BOXOFFICE_NOTIFICATION_LEASE_MS",
    envTypes.positiveInt(120_000),
    "how long a claimed notification stays exclusive without a sign of life from its sender (renewed every third of it while the attempt runs)",
  ),
  concurrency: envVar(
    "BOXOFFICE_NOTIFICATION_CONCURRENCY",
    envTypes.positiveInt(4),
    "attempts in flight per process (and SMTP connections in the pool)",
  ),
  pollMs: envVar(
    "BOXOFFICE_NOTIFICATION_POLL_MS",
    envTypes.positiveInt(1000),
    "how often an idle sender looks for due notifications",
  ),
  smtpTimeoutMs: envVar(
    "BOXOFFICE_SMTP_TIMEOUT_MS",
    envTypes.positiveInt(30_000),
    "connect, greeting and idle-socket timeout towards the SMTP server",
  ),
  linkBaseUrl: envVar(
    "BOXOFFICE_NOTIFICATION_LINK_BASE_URL",
    envTypes.string("http://localhost:8080").pipe(z.url({ protocol: /^https?$/ })),
    "where account links point: <base>/verify-email?token=… and <base>/reset-password?token=… (the web storefront's pages)",
  ),
  refundWaitMs: envVar(
    "BOXOFFICE_NOTIFICATION_REFUND_WAIT_MS",
    envTypes.positiveInt(600_000),
    "how long a PaymentRefunded waits for the order's cancellation or failure to be heard (to tell an event cancellation, which sends no refund email) before its email goes out anyway",
  ),
  consumerAckWaitMs: envVar(
    "BOXOFFICE_NOTIFICATION_ACK_WAIT_MS",
    envTypes.positiveInt(30_000),
    "how long an event delivered to a notification process that died stays with it before NATS redelivers it",
  ),
  recipientCacheMs: envVar(
    "BOXOFFICE_NOTIFICATION_RECIPIENT_CACHE_MS",
    envTypes.positiveInt(60_000),
    "how long a recipient read from auth's GetUser is reused",
  ),
};

export type NotificationConfig = ConfigOf<typeof notificationSpec>;

export function loadNotificationConfig(env: Readonly<Record<string, string | undefined>>): NotificationConfig {
  return loadConfig(notificationSpec, env);
}
