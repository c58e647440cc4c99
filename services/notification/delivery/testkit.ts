/**
 * Test bed for the sender suites: a `<prefix>_notification` database migrated with the service's
 * own migrations, and senders wired to an SMTP server given by URL (the suites start the harness's
 * sink; service code may not import the harness).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { Registry } from "prom-client";
import { systemClock } from "../../../platform/clock/index.js";
import { createDb, type Db, dropDatabases, withTransaction } from "../../../platform/db/index.js";
import { migrate } from "../../../platform/db/migrate.js";
import { createIdGenerator } from "../../../platform/ids/index.js";
import { loadNotificationConfig } from "../config.js";
import type { NotificationContent } from "../domain/kinds.js";
import { createNotificationDelivery, type NewNotification, type NotificationDelivery } from "./index.js";
import type { RecipientResolver } from "./sender.js";

const migrations = fileURLToPath(new URL("../db/migrations", import.meta.url));

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sum of a counter's (or gauge's) values whose labels include `labels`. */
export async function metric(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = registry.getSingleMetric(name);
  if (m === undefined) return 0;
  const { values } = await m.get();
  return values
    .filter((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want))
    .reduce((sum, v) => sum + v.value, 0);
}

export class NotificationTestbed {
  readonly database: string;
  db!: Db;
  readonly ids = createIdGenerator();
  readonly #open: Array<{ close(): Promise<void> }> = [];

  constructor(
    readonly mariadbUrl: string,
    readonly prefix: string,
  ) {
    this.database = `${prefix}_notification`;
  }

  async setup(): Promise<void> {
    await migrate({ url: this.mariadbUrl, database: this.database, migrationsFolder: migrations });
    this.db = createDb({ url: this.mariadbUrl, database: this.database, poolSize: 6 });
  }

  /**
   * A queue + sender on its own pool and registry, with test-speed delays: retries from `retryBaseMs`
   * (default 40 ms), polling every 20 ms. Not started.
   */
  delivery(o: {
    smtpUrl: string;
    instance?: string;
    env?: Record<string, string>;
    resolveRecipient?: RecipientResolver;
  }): NotificationDelivery & { registry: Registry; db: Db } {
    const cfg = loadNotificationConfig({
      BOXOFFICE_SMTP_URL: o.smtpUrl,
      BOXOFFICE_NOTIFICATION_RETRY_BASE_MS: "40",
      BOXOFFICE_NOTIFICATION_RETRY_MAX_MS: "1000",
      BOXOFFICE_NOTIFICATION_POLL_MS: "20",
      BOXOFFICE_NOTIFICATION_LEASE_MS: "10000",
      BOXOFFICE_SMTP_TIMEOUT_MS: "3000",
      ...o.env,
    });
    const db = createDb({ url: this.mariadbUrl, database: this.database, poolSize: cfg.concurrency + 2 });
    const registry = new Registry();
    const d = createNotificationDelivery({
      cfg,
      db,
      clock: systemClock,
      ids: this.ids,
      logger: pino({ level: process.env.BOXOFFICE_TEST_LOG_LEVEL ?? "silent" }),
      registry,
      instance: o.instance ?? "sender-1",
      resolveRecipient: o.resolveRecipient,
    });
    const handle = {
      ...d,
      registry,
      db,
      close: async () => {
        await d.close();
        await db.close();
      },
    };
    this.#open.push(handle);
    return handle;
  }

  /** Enqueues in a transaction of its own (as a consumer would, with its inbox write). */
  async enqueue(
    d: NotificationDelivery,
    content: NotificationContent,
    o: Partial<NewNotification> = {},
  ): Promise<string> {
    const n: NewNotification = {
      userId: o.userId ?? this.ids(),
      content,
      sourceEventId: o.sourceEventId ?? this.ids(),
      recipient: { address: "ana@example.com", name: "Ana" },
      ...o,
    };
    const { id } = await withTransaction(this.db, (tx) => d.queue.enqueue(tx, n));
    return id;
  }

  async states(): Promise<Record<string, number>> {
    const [rows] = await this.db.pool.query("SELECT state, COUNT(*) AS n FROM notifications GROUP BY state");
    return Object.fromEntries((rows as Array<{ state: string; n: number }>).map((r) => [r.state, Number(r.n)]));
  }

  /** Closes every delivery (sender stopped first) and empties the tables for the next test. */
  async reset(): Promise<void> {
    await Promise.all(this.#open.splice(0).map((h) => h.close()));
    await this.db.pool.query("DELETE FROM deliveries");
    await this.db.pool.query("DELETE FROM notifications");
  }

  async teardown(): Promise<void> {
    await this.reset();
    await this.db.close();
    await dropDatabases(this.mariadbUrl, this.prefix);
  }
}
