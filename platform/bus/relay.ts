import { type JetStreamClient, jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { and, asc, inArray, isNull, lt, not, sql } from "drizzle-orm";
import { drizzle, type MySql2Database } from "drizzle-orm/mysql2";
import type { PoolConnection } from "mysql2/promise";
import type { Logger } from "pino";
import type { Registry } from "prom-client";
import type { Clock } from "../clock/index.js";
import type { InfraNames } from "../config/names.js";
import type { Db } from "../db/index.js";
import { outboxEvents } from "../db/platform-schema.js";
import { wakeSubject } from "./outbox.js";
import { type RelayMetrics, relayMetrics } from "./relay-metrics.js";

export interface RelayOptions {
  service: string;
  db: Db;
  nc: NatsConnection;
  names: InfraNames;
  clock: Clock;
  logger: Logger;
  registry: Registry;
  /** Names this relay in logs and metrics. */
  instance: string;
  batchSize?: number;
  /** Sweep interval when nothing woke the relay, ms. */
  sweepMs?: number;
  publishTimeoutMs?: number;
  /** Sent rows are deleted after this long, ms (default 7 days). */
  retentionMs?: number;
  /** How long stop() keeps publishing what is pending, ms. */
  flushMs?: number;
}

type Row = {
  seq: number;
  eventId: string;
  subject: string;
  eventType: string;
  aggregateType: string;
  aggregateId: string;
  aggregateVersion: number;
  envelope: Buffer;
  attempts: number;
};

/**
 * Publishes a service's outbox rows to JetStream. One relay per service publishes at a time: it
 * holds the named lock `outbox:<database>` on a connection of its own (MariaDB releases it when
 * that connection dies, so a killed relay hands over at once); others stand by and retry at each
 * sweep. One publisher keeps the order per aggregate: rows go out in `seq` order, the events of one
 * aggregate one after another (different aggregates concurrently), and an aggregate's later rows
 * wait when one of its rows fails. Each publish carries `Nats-Msg-Id` = event id and waits for the
 * JetStream ack before the row is marked sent; a crash in between is covered by the stream's
 * duplicate window. Woken right after commits (core NATS subject), it also sweeps every `sweepMs`.
 *
 * The relay reads and marks its rows on the lock's own connection: a named lock lives exactly as
 * long as its session, so a statement that succeeds there proves the lock is still ours, with no
 * separate check per batch (each statement is a round trip, and the relay runs after every commit).
 */
export class OutboxRelay {
  readonly #o: Required<RelayOptions>;
  readonly #js: JetStreamClient;
  readonly #m: RelayMetrics;
  readonly #lockName: string;
  #lockConn: PoolConnection | undefined;
  /** Drizzle over the lock's connection: the batch's statements run in the session holding the lock. */
  #lockOrm: MySql2Database | undefined;
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeup: (() => void) | undefined;
  #woken = false;
  #sub: Subscription | undefined;
  #lastPrune = 0;
  #lastGauges = Number.NEGATIVE_INFINITY;

  constructor(opts: RelayOptions) {
    this.#o = {
      batchSize: 256,
      sweepMs: 1000,
      publishTimeoutMs: 5000,
      retentionMs: 7 * 24 * 3600_000,
      flushMs: 2000,
      ...opts,
    };
    this.#js = jetstream(opts.nc, { timeout: this.#o.publishTimeoutMs });
    this.#m = relayMetrics(opts.registry);
    this.#lockName = `outbox:${opts.db.name}`.slice(0, 64);
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#sub = this.#o.nc.subscribe(wakeSubject(this.#o.names, this.#o.service), { callback: () => this.wake() });
    this.#loop = this.#run();
  }

  /** Publish now instead of at the next sweep. */
  wake(): void {
    this.#woken = true;
    this.#wakeup?.();
  }

  /** Stops sweeping, publishes what is pending for up to `flushMs`, then gives up the lock. */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.wake();
    await this.#loop;
    this.#sub?.unsubscribe();
    const until = Date.now() + this.#o.flushMs;
    try {
      while (this.#lockConn !== undefined && Date.now() < until) {
        const { rows, failed } = await this.#publishBatch();
        if (rows === 0 || failed > 0) break;
      }
    } catch (e) {
      this.#o.logger.warn({ err: e }, "outbox flush on stop failed; the rows stay pending");
    }
    await this.#releaseLock();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      try {
        if (!(await this.#holdLock())) {
          await this.#sleep(this.#o.sweepMs);
          continue;
        }
        const { rows, failed } = await this.#publishBatch();
        await this.#housekeeping();
        // Only a batch where nothing went out (the broker is down) slows the loop; a failing row
        // waits on its own retry_time while other aggregates' rows keep flowing.
        failures = failed > 0 && failed === rows ? failures + 1 : 0;
        if (failures > 0) await this.#sleep(Math.min(100 * 2 ** failures, 2000));
        else if (rows < this.#o.batchSize) await this.#sleep(this.#o.sweepMs);
      } catch (e) {
        failures++;
        this.#o.logger.warn({ err: e }, "outbox relay iteration failed");
        await this.#releaseLock(true);
        await this.#sleep(Math.min(100 * 2 ** failures, 2000));
      }
    }
  }

  /**
   * True while this relay holds its service's outbox lock (takes it when free). A held lock is not
   * asked about: the batch runs on its connection, and a lost connection (the only way to lose the
   * lock) fails that statement, which gives the lock up (`#releaseLock(true)` in `#run`).
   */
  async #holdLock(): Promise<boolean> {
    if (this.#lockConn !== undefined) return true;
    const conn = await this.#o.db.pool.getConnection();
    try {
      const [rows] = await conn.query("SELECT GET_LOCK(?, 0) AS got", [this.#lockName]);
      if ((rows as Array<{ got: number | null }>)[0]?.got !== 1) {
        conn.release();
        return false;
      }
    } catch (e) {
      conn.destroy();
      throw e;
    }
    this.#lockConn = conn;
    this.#lockOrm = drizzle(conn);
    this.#m.leader.set({ service: this.#o.service, instance: this.#o.instance }, 1);
    this.#o.logger.info({ instance: this.#o.instance }, "outbox relay took the lock");
    return true;
  }

  async #releaseLock(broken = false): Promise<void> {
    const conn = this.#lockConn;
    if (conn === undefined) return;
    this.#lockConn = undefined;
    this.#lockOrm = undefined;
    this.#m.leader.set({ service: this.#o.service, instance: this.#o.instance }, 0);
    if (broken) {
      conn.destroy();
      return;
    }
    try {
      await conn.query("SELECT RELEASE_LOCK(?)", [this.#lockName]);
      conn.release();
    } catch {
      conn.destroy();
    }
  }

  async #publishBatch(): Promise<{ rows: number; failed: number }> {
    const orm = this.#lockOrm;
    if (orm === undefined) return { rows: 0, failed: 0 };
    const now = new Date(this.#o.clock.now());
    // An aggregate whose earliest unsent row is waiting out a retry delay sends nothing yet (its
    // order holds); every other unsent row is eligible.
    const blocked = sql`EXISTS (SELECT 1 FROM ${outboxEvents} AS b WHERE b.send_time IS NULL
      AND b.retry_time > ${now} AND b.aggregate_type = ${outboxEvents.aggregateType}
      AND b.aggregate_id = ${outboxEvents.aggregateId} AND b.seq <= ${outboxEvents.seq})`;
    const rows: Row[] = await orm
      .select({
        seq: outboxEvents.seq,
        eventId: outboxEvents.eventId,
        subject: outboxEvents.subject,
        eventType: outboxEvents.eventType,
        aggregateType: outboxEvents.aggregateType,
        aggregateId: outboxEvents.aggregateId,
        aggregateVersion: outboxEvents.aggregateVersion,
        envelope: outboxEvents.envelope,
        attempts: outboxEvents.attempts,
      })
      .from(outboxEvents)
      .where(and(isNull(outboxEvents.sendTime), not(blocked)))
      .orderBy(asc(outboxEvents.seq))
      .limit(this.#o.batchSize);
    if (rows.length === 0) return { rows: 0, failed: 0 };

    const byAggregate = new Map<string, Row[]>();
    for (const r of rows) {
      const key = `${r.aggregateType}\u0000${r.aggregateId}`;
      const list = byAggregate.get(key);
      if (list) list.push(r);
      else byAggregate.set(key, [r]);
    }
    const sent: number[] = [];
    const failed: Array<{ seq: number; error: string; attempts: number }> = [];
    await Promise.all(
      [...byAggregate.values()].map(async (list) => {
        for (const row of list) {
          try {
            await this.#publish(row);
            sent.push(row.seq);
          } catch (e) {
            failed.push({ seq: row.seq, error: e instanceof Error ? e.message : String(e), attempts: row.attempts });
            return; // the aggregate's later events wait for this one
          }
        }
      }),
    );
    if (sent.length > 0) await orm.update(outboxEvents).set({ sendTime: now }).where(inArray(outboxEvents.seq, sent));
    for (const f of failed) {
      // 0.5 s, 1 s, 2 s, ... up to 60 s after the attempt: the row's own backoff
      const delayMs = Math.min(500 * 2 ** Math.min(f.attempts, 7), 60_000);
      await orm
        .update(outboxEvents)
        .set({
          attempts: sql`${outboxEvents.attempts} + 1`,
          lastError: f.error.slice(0, 1000),
          retryTime: new Date(now.getTime() + delayMs),
        })
        .where(inArray(outboxEvents.seq, [f.seq]));
    }
    if (failed.length > 0) {
      this.#o.logger.warn(
        { failed: failed.length, sent: sent.length, error: failed[0]?.error },
        "outbox publish failures; will retry",
      );
    }
    return { rows: rows.length, failed: failed.length };
  }

  async #publish(row: Row): Promise<void> {
    const labels = { service: this.#o.service, instance: this.#o.instance };
    const h = headers();
    h.set("Boxoffice-Event-Type", row.eventType);
    h.set("Boxoffice-Aggregate-Type", row.aggregateType);
    h.set("Boxoffice-Aggregate-Id", row.aggregateId);
    h.set("Boxoffice-Aggregate-Version", String(row.aggregateVersion));
    this.#m.publishAttempts.inc(labels);
    const stop = this.#m.publishSeconds.startTimer({ service: this.#o.service });
    try {
      const ack = await this.#js.publish(row.subject, row.envelope, {
        msgID: row.eventId,
        headers: h,
        timeout: this.#o.publishTimeoutMs,
      });
      this.#m.published.inc({ ...labels, duplicate: String(ack.duplicate) });
    } catch (e) {
      this.#m.publishFailures.inc(labels);
      throw e;
    } finally {
      stop();
    }
  }

  /**
   * Backlog gauges at most once per `sweepMs` (a scrape comes every few seconds; the relay runs after
   * every commit); pruning of old sent rows once a minute.
   */
  async #housekeeping(): Promise<void> {
    const orm = this.#lockOrm;
    if (orm === undefined || performance.now() - this.#lastGauges < this.#o.sweepMs) return;
    this.#lastGauges = performance.now();
    const now = this.#o.clock.now();
    const [stats] = await orm
      .select({ n: sql<number>`COUNT(*)`, oldest: sql<Date | null>`MIN(${outboxEvents.createTime})` })
      .from(outboxEvents)
      .where(isNull(outboxEvents.sendTime));
    this.#m.backlog.set({ service: this.#o.service }, Number(stats?.n ?? 0));
    const oldest = stats?.oldest ? new Date(stats.oldest).getTime() : now;
    this.#m.oldestUnsentSeconds.set({ service: this.#o.service }, Math.max(0, (now - oldest) / 1000));
    if (now - this.#lastPrune < 60_000) return;
    this.#lastPrune = now;
    const cutoff = new Date(now - this.#o.retentionMs);
    await orm
      .delete(outboxEvents)
      .where(and(lt(outboxEvents.sendTime, cutoff)))
      .limit(5000);
  }

  /** Waits `ms`, or less when woken; a wake-up that came while busy makes the next wait return at once. */
  #sleep(ms: number): Promise<void> {
    if (this.#woken || !this.#running) {
      this.#woken = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const finish = () => {
        clearTimeout(timer);
        this.#wakeup = undefined;
        this.#woken = false;
        resolve();
      };
      const timer = setTimeout(finish, ms);
      this.#wakeup = finish;
    });
  }
}
