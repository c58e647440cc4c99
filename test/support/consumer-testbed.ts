/**
 * Test bed for the EventConsumer suites (platform/bus/consumer*.test.ts): a prefix's streams on a
 * real NATS and a `<prefix>_consumer` database with the platform tables (from the fixture
 * migrations) and an `effects` table.
 */
import assert from "node:assert/strict";
import { type JetStreamClient, type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { Registry } from "prom-client";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { type ConsumedEvent, type ConsumerOptions, EventConsumer } from "../../platform/bus/consumer.js";
import { type EventType, encodeEnvelope, envelope, eventType, subjectOf } from "../../platform/bus/events.js";
import { connectNats, ensureServiceStream } from "../../platform/bus/nats.js";
import { sleep, systemClock } from "../../platform/clock/index.js";
import { type InfraNames, infraNames } from "../../platform/config/names.js";
import { createDb, type Db, type Tx } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { platformMigrations } from "./infra.js";

export type Echo = typeof EchoRequestSchema;

export async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

export class ConsumerTestbed {
  readonly names: InfraNames;
  nc!: NatsConnection;
  jsm!: JetStreamManager;
  js!: JetStreamClient;
  db!: Db;
  readonly #running: Array<EventConsumer<Echo>> = [];

  constructor(readonly prefix: string) {
    this.names = infraNames(prefix);
  }

  async setup(urls: { natsUrl: string; mariadbUrl: string }): Promise<void> {
    this.nc = await connectNats(urls.natsUrl, `consumer-test-${this.prefix}`);
    this.jsm = await jetstreamManager(this.nc);
    this.js = jetstream(this.nc);
    const database = `${this.prefix}_consumer`;
    await migrate({ url: urls.mariadbUrl, database, migrationsFolder: platformMigrations });
    this.db = createDb({ url: urls.mariadbUrl, database, poolSize: 8 });
    await this.db.pool.query(
      "CREATE TABLE effects (id INT AUTO_INCREMENT PRIMARY KEY, consumer VARCHAR(128) NOT NULL, event_id VARCHAR(36) NOT NULL)",
    );
  }

  /** Stops the consumers, deletes the prefix's streams (and so their durables), closes; the caller drops the database. */
  async teardown(): Promise<void> {
    await Promise.all(this.#running.map((c) => c.stop()));
    for await (const s of this.jsm.streams.list())
      if (s.config.name.startsWith(`${this.prefix.toUpperCase()}_`)) await this.jsm.streams.delete(s.config.name);
    await this.nc.close();
    await this.db.close();
  }

  /** A producing service of its own per test: its own stream and subject. */
  async producer(svc: string): Promise<EventType<Echo>> {
    await ensureServiceStream(this.jsm, this.names, svc, {
      replicas: 1,
      maxAgeMs: 3600_000,
      duplicateWindowMs: 120_000,
    });
    return eventType(EchoRequestSchema, svc);
  }

  publish(
    type: EventType<Echo>,
    e: {
      id: string;
      message?: string;
      aggregate?: string;
      version?: number;
      sequence?: number;
      msgId?: string;
      trace?: string;
    },
  ) {
    const env = envelope(
      type,
      { message: e.message ?? "" },
      {
        eventId: e.id,
        occurMs: Date.now(),
        aggregate: { type: "thing", id: e.aggregate ?? e.id, version: e.version ?? 1 },
        sequence: e.sequence,
      },
    );
    const h = headers();
    if (e.trace) h.set("X-Test-Trace", e.trace);
    return this.js.publish(subjectOf(this.names, type), encodeEnvelope(env), { msgID: e.msgId ?? e.id, headers: h });
  }

  /** Starts a consumer whose effect is one `effects` row per applied event, written with tx after `before`. */
  async consume(
    name: string,
    type: EventType<Echo>,
    o: Partial<ConsumerOptions<Echo>> & { before?: (e: ConsumedEvent<Echo>) => Promise<void> } = {},
  ) {
    const registry = o.metrics?.registry ?? new Registry();
    const c = new EventConsumer<Echo>({
      name,
      type,
      names: this.names,
      nc: this.nc,
      db: this.db,
      clock: systemClock,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      metrics: { registry },
      backoffMs: [200, 600],
      kind: "latest-state",
      ...o,
      handle: async (tx: Tx, e) => {
        await o.before?.(e);
        await tx.execute(sql`INSERT INTO effects (consumer, event_id) VALUES (${name}, ${e.envelope.eventId})`);
      },
    });
    await c.start();
    this.#running.push(c);
    return { consumer: c, registry };
  }

  running(name: string): EventConsumer<Echo> | undefined {
    return this.#running.find((c) => c.name === name && c.isRunning);
  }

  async effects(name: string, eventId?: string): Promise<number> {
    const [rows] = await this.db.pool.query(
      "SELECT COUNT(*) AS n FROM effects WHERE consumer = ? AND (? IS NULL OR event_id = ?)",
      [name, eventId ?? null, eventId ?? null],
    );
    return Number((rows as Array<{ n: number }>)[0]?.n);
  }

  /** The durable has nothing left: every message delivered and acked or termed. */
  async settled(type: EventType<Echo>, c: EventConsumer<Echo>): Promise<void> {
    await until(`${c.durable} to settle`, async () => {
      const ci = await this.jsm.consumers.info(this.names.stream(type.producer), c.durable);
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    });
  }
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
  const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
  const v = (m?.values as Array<{ labels: Record<string, string | number>; value: number }> | undefined)?.find((x) =>
    Object.entries(labels).every(([k, val]) => x.labels[k] === val),
  );
  return v?.value ?? 0;
}
