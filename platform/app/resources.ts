import type { DescMessage } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { type ConsumerOptions, EventConsumer } from "../bus/consumer.js";
import { connectNats, ensureServiceStream, jetstreamManager, type StreamSettings } from "../bus/nats.js";
import { Outbox } from "../bus/outbox.js";
import { OutboxRelay } from "../bus/relay.js";
import type { Clock } from "../clock/index.js";
import type { InfraNames } from "../config/names.js";
import type { RuntimeConfig } from "../config/runtime.js";
import { IdempotencyStore } from "../db/idempotency.js";
import { createDb, type Db } from "../db/index.js";
import type { IdGenerator } from "../ids/index.js";
import type { Metrics } from "../metrics/index.js";
import type { ReadinessCheck } from "../server/index.js";

/** What a service says about one of its consumers; the process supplies the rest. */
export type ConsumerSpec<D extends DescMessage> = Pick<
  ConsumerOptions<D>,
  "name" | "type" | "kind" | "handle" | "maxDeliver" | "backoffMs" | "maxAckPending" | "ackWaitMs" | "concurrency"
>;

/** Something to stop when the process stops, in reverse order of creation within its kind. */
export interface Stoppable {
  stop(): Promise<void>;
}

/**
 * The shared infrastructure handles of one process, opened on first use: one database pool per
 * service, one NATS connection, one outbox and relay per producing service, the consumers. Closed
 * in dependency order: consumers, relays (which flush), NATS, pools.
 */
export class ProcessResources {
  readonly #dbs = new Map<string, Db>();
  readonly #outboxes = new Map<string, Promise<Outbox>>();
  readonly #relays: OutboxRelay[] = [];
  readonly #consumers: Stoppable[] = [];
  readonly #idempotency = new Map<string, IdempotencyStore>();
  readonly #timers: NodeJS.Timeout[] = [];
  #nats: Promise<NatsConnection> | undefined;

  constructor(
    private readonly deps: {
      config: RuntimeConfig;
      names: InfraNames;
      clock: Clock;
      newId: IdGenerator;
      metrics: Metrics;
      logger: Logger;
      instance: string;
    },
  ) {}

  get streamSettings(): StreamSettings {
    const c = this.deps.config;
    return {
      replicas: c.natsReplicas,
      maxAgeMs: c.streamMaxAgeHours * 3600_000,
      duplicateWindowMs: c.duplicateWindowSeconds * 1000,
    };
  }

  database(service: string, logger: Logger): Db {
    let db = this.#dbs.get(service);
    if (db === undefined) {
      const c = this.deps.config;
      db = createDb({ url: c.mariadbUrl, database: this.deps.names.database(service), poolSize: c.dbPoolSize, logger });
      this.#dbs.set(service, db);
    }
    return db;
  }

  /** The service's idempotency store, pruned of expired records every hour. */
  idempotency(service: string, logger: Logger): IdempotencyStore {
    let store = this.#idempotency.get(service);
    if (store === undefined) {
      const s = new IdempotencyStore(
        this.database(service, logger),
        this.deps.clock,
        this.deps.config.idempotencyRetentionHours * 3600_000,
      );
      const prune = async () => {
        while ((await s.prune()) > 0); // batches until nothing expired is left
      };
      const timer = setInterval(
        () => prune().catch((err: unknown) => logger.warn({ err }, "idempotency pruning failed")),
        3600_000,
      );
      timer.unref();
      this.#timers.push(timer);
      this.#idempotency.set(service, s);
      store = s;
    }
    return store;
  }

  nats(): Promise<NatsConnection> {
    this.#nats ??= connectNats(this.deps.config.natsUrl, `boxoffice-${this.deps.instance}`);
    return this.#nats;
  }

  /** The service's outbox; the first call ensures the service's stream and starts its relay. */
  outbox(service: string, logger: Logger): Promise<Outbox> {
    let p = this.#outboxes.get(service);
    if (p === undefined) {
      p = (async () => {
        const nc = await this.nats();
        await ensureServiceStream(await jetstreamManager(nc), this.deps.names, service, this.streamSettings);
        const db = this.database(service, logger);
        const relay = new OutboxRelay({
          service,
          db,
          nc,
          names: this.deps.names,
          clock: this.deps.clock,
          logger: logger.child({ part: "outbox-relay" }),
          registry: this.deps.metrics.registry,
          instance: this.deps.instance,
        });
        relay.start();
        this.#relays.push(relay);
        return new Outbox({
          service,
          db,
          names: this.deps.names,
          clock: this.deps.clock,
          newId: this.deps.newId,
          nc,
          wakeLocal: () => relay.wake(),
        });
      })();
      this.#outboxes.set(service, p);
    }
    return p;
  }

  /**
   * Starts a durable consumer of one event type on the service's own database (inbox there),
   * stopped before relays and pools when the process stops.
   */
  async consume<D extends DescMessage>(
    service: string,
    logger: Logger,
    spec: ConsumerSpec<D>,
  ): Promise<EventConsumer<D>> {
    const consumer = new EventConsumer<D>({
      ...spec,
      names: this.deps.names,
      nc: await this.nats(),
      db: this.database(service, logger),
      clock: this.deps.clock,
      logger: logger.child({ consumer: spec.name }),
      metrics: this.deps.metrics,
      deadLetterStream: this.streamSettings,
    });
    await consumer.start();
    this.#consumers.push(consumer);
    return consumer;
  }

  /** Registers a consumer so it is stopped (in-flight work finished) before the relays and pools close. */
  track(consumer: Stoppable): void {
    this.#consumers.push(consumer);
  }

  /** Readiness of every database opened so far: a trivial query within a second. */
  readiness(): ReadinessCheck[] {
    return [...this.#dbs.values()].map((db) => async () => {
      try {
        await Promise.race([
          db.pool.query("SELECT 1"),
          new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), 1000).unref()),
        ]);
        return true as const;
      } catch (e) {
        return `database ${db.name}: ${e instanceof Error ? e.message : String(e)}`;
      }
    });
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearInterval(t);
    await Promise.allSettled(this.#consumers.reverse().map((c) => c.stop()));
    await Promise.allSettled(this.#relays.map((r) => r.stop()));
    if (this.#nats !== undefined) {
      const nc = await this.#nats.catch(() => undefined);
      // Drain flushes what is buffered; a broker that is down must not hold the exit hostage.
      const drained = nc?.drain().catch(() => undefined);
      const late = await Promise.race([
        drained?.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), 2_000).unref()),
      ]);
      if (late) await nc?.close().catch(() => undefined);
    }
    await Promise.allSettled([...this.#dbs.values()].map((db) => db.close()));
  }
}
