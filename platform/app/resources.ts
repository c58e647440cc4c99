import { createHash } from "node:crypto";
import type { DescMessage } from "@bufbuild/protobuf";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { EventConsumer } from "../bus/consumer.js";
import type { EventType } from "../bus/events.js";
import { connectNats, ensureServiceStream, jetstreamManager, type StreamSettings } from "../bus/nats.js";
import { Outbox } from "../bus/outbox.js";
import { OutboxRelay } from "../bus/relay.js";
import type { Clock } from "../clock/index.js";
import { IdempotencyStore } from "../commands/idempotency.js";
import { CommandPipeline } from "../commands/index.js";
import type { InfraNames } from "../config/names.js";
import type { RuntimeConfig } from "../config/runtime.js";
import { createDb, type Db } from "../db/index.js";
import type { IdGenerator } from "../ids/index.js";
import { type PeriodicJob, type PeriodicJobSpec, startPeriodicJob } from "../jobs/index.js";
import type { Metrics } from "../metrics/index.js";
import { servicePrincipal } from "../principal/index.js";
import { createRedis, type RedisConnections } from "../redis/index.js";
import type { ReadinessCheck } from "../server/index.js";
import type { Tracing } from "../tracing/index.js";
import type { ConsumerSpec } from "./context.js";

/**
 * The shared infrastructure handles of one process, opened on first use: one database pool and one
 * command pipeline per service, one NATS connection, one Redis connection set, one outbox and relay
 * per publishing service, the consumers and periodic jobs. Stopped in dependency order: work first
 * (jobs, consumers: in-flight handlers finish), then — after the services closed — relays (which
 * flush), NATS, Redis, pools.
 */
export class ProcessResources {
  readonly #dbs = new Map<string, Db>();
  readonly #outboxes = new Map<string, { outbox: Outbox; publishes: readonly EventType[] }>();
  readonly #pipelines = new Map<string, CommandPipeline>();
  readonly #relays: OutboxRelay[] = [];
  readonly #consumers: EventConsumer<DescMessage>[] = [];
  readonly #jobs: PeriodicJob[] = [];
  #nats: Promise<NatsConnection> | undefined;
  #redis: RedisConnections | undefined;
  #warnedDevKey = false;

  constructor(
    private readonly deps: {
      config: RuntimeConfig;
      names: InfraNames;
      clock: Clock;
      newId: IdGenerator;
      metrics: Metrics;
      logger: Logger;
      instance: string;
      tracing?: Tracing;
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

  /** The process's Redis connections; errors are expected while Redis is away (callers degrade). */
  redis(): RedisConnections {
    if (this.#redis === undefined) {
      const commands = createRedis(this.deps.config.redisUrl, this.deps.names);
      const subscriber = commands.duplicate();
      for (const r of [commands, subscriber]) r.on("error", () => undefined); // reconnects by itself
      this.#redis = { commands, subscriber };
    }
    return this.#redis;
  }

  #natsConnection(): Promise<NatsConnection> {
    this.#nats ??= connectNats(this.deps.config.natsUrl, `boxoffice-${this.deps.instance}`);
    return this.#nats;
  }

  /** Ensures the service's stream and starts its outbox relay (a publishing service, at start). */
  async startPublishing(service: string, logger: Logger, publishes: readonly EventType[]): Promise<void> {
    if (this.#outboxes.has(service)) return;
    const nc = await this.#natsConnection();
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
    const { names, clock, newId } = this.deps;
    const outbox = new Outbox({
      service,
      db,
      names,
      clock,
      newId,
      nc,
      wakeLocal: () => relay.wake(),
      tracing: this.deps.tracing,
    });
    this.#outboxes.set(service, { outbox, publishes });
  }

  /** The service's command pipeline; its idempotency records are pruned hourly by one replica. */
  commands(service: string, logger: Logger): CommandPipeline {
    let pipeline = this.#pipelines.get(service);
    if (pipeline === undefined) {
      const db = this.database(service, logger);
      const { clock, config } = this.deps;
      const idempotency = new IdempotencyStore(db, clock, config.idempotencyRetentionHours * 3600_000);
      this.every(service, logger, {
        name: "idempotency-pruning",
        everyMs: 3600_000,
        exclusive: true,
        run: async (signal) => {
          while (!signal.aborted && (await idempotency.prune()) > 0); // batches until nothing expired is left
        },
      });
      const publishing = this.#outboxes.get(service);
      pipeline = new CommandPipeline({
        service,
        db,
        clock,
        idempotency,
        requestHashKey: this.#requestHashKey(logger),
        outbox: publishing?.outbox,
        publishes: publishing?.publishes,
      });
      this.#pipelines.set(service, pipeline);
    }
    return pipeline;
  }

  /**
   * The key of idempotency records' request hashes. Without BOXOFFICE_IDEMPOTENCY_SECRET (never in
   * production mode) a fixed development key: a key generated per process would make every repeat
   * that reaches another process, or this one after a restart, look like a different request.
   */
  #requestHashKey(logger: Logger): Buffer {
    const secret = this.deps.config.idempotencySecret;
    if (secret === undefined && !this.#warnedDevKey) {
      this.#warnedDevKey = true;
      // Production mode requires it wherever an RPC takes a request id (a client's request may
      // carry a password); a consumer's own commands carry none.
      logger.warn("BOXOFFICE_IDEMPOTENCY_SECRET is not set: idempotency request hashes use a fixed development key");
    }
    return createHash("sha256")
      .update(secret ?? "boxoffice development idempotency key")
      .digest();
  }

  /**
   * Starts a durable consumer of one event type on the service's own database (inbox there), its
   * handler given a pipeline scope on the inbox transaction with the service as principal.
   */
  async consume<D extends DescMessage>(service: string, logger: Logger, spec: ConsumerSpec<D>): Promise<void> {
    const pipeline = this.commands(service, logger);
    const principal = servicePrincipal(service);
    const consumer = new EventConsumer<D>({
      ...spec,
      handle: (tx, event) => spec.handle(event, pipeline.scope(tx, principal)),
      names: this.deps.names,
      nc: await this.#natsConnection(),
      db: this.database(service, logger),
      clock: this.deps.clock,
      logger: logger.child({ consumer: spec.name }),
      metrics: this.deps.metrics,
      deadLetterStream: this.streamSettings,
      tracing: this.deps.tracing,
    });
    await consumer.start();
    this.#consumers.push(consumer as unknown as EventConsumer<DescMessage>);
  }

  /** Starts a periodic job of the service (its lock, when exclusive, on the service's database). */
  every(service: string, logger: Logger, spec: PeriodicJobSpec): PeriodicJob {
    const job = startPeriodicJob(spec, { db: spec.exclusive ? this.database(service, logger) : undefined, logger });
    this.#jobs.push(job);
    return job;
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

  /** Stops the work that uses the services' deps: periodic jobs, then consumers (in-flight handlers finish). */
  async stopWork(): Promise<void> {
    await Promise.allSettled(this.#jobs.splice(0).map((j) => j.stop()));
    await Promise.allSettled(
      this.#consumers
        .splice(0)
        .reverse()
        .map((c) => c.stop()),
    );
  }

  async close(): Promise<void> {
    await this.stopWork();
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
    if (this.#redis !== undefined) for (const r of [this.#redis.commands, this.#redis.subscriber]) r.disconnect();
    await Promise.allSettled([...this.#dbs.values()].map((db) => db.close()));
  }
}
