import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { sql } from "drizzle-orm";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { systemClock } from "../clock/index.js";
import { infraNames } from "../config/names.js";
import { createDb, type Db, type Tx } from "../db/index.js";
import { migrate } from "../db/migrate.js";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { OrderConfirmedSchema } from "../../gen/boxoffice/ticket/v1/events_pb.js";
import { EventEnvelopeSchema } from "../../gen/boxoffice/common/v1/envelope_pb.js";
import { dropPrefix, infraUrls, testPrefix } from "../../test/support/infra.js";
import { EventConsumer, type ConsumerOptions, type ConsumedEvent } from "./consumer.js";
import { DlqHeader, listDeadLetters, replayDeadLetters } from "./dead-letter.js";
import { encodeEnvelope, envelope, eventType, subjectOf, type EventType } from "./events.js";
import { connectNats, ensureServiceStream } from "./nats.js";

const platformMigrations = fileURLToPath(new URL("../../services/auth/db/migrations", import.meta.url));
const settings = { replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000 };
type Echo = typeof EchoRequestSchema;

describe("EventConsumer (real NATS JetStream + MariaDB)", function () {
  this.timeout(30_000);
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const logger = pino({ level: "silent" });
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let js: JetStreamClient;
  let db: Db;
  const running: Array<EventConsumer<Echo>> = [];

  before(async () => {
    nc = await connectNats(infraUrls().natsUrl, "consumer-test");
    jsm = await jetstreamManager(nc);
    js = jetstream(nc);
    const database = `${prefix}_consumer`;
    await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: platformMigrations });
    db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 8 });
    await db.pool.query("CREATE TABLE effects (id INT AUTO_INCREMENT PRIMARY KEY, consumer VARCHAR(128) NOT NULL, event_id VARCHAR(36) NOT NULL)");
  });
  after(async () => {
    await Promise.all(running.map((c) => c.stop()));
    for await (const s of jsm.streams.list()) if (s.config.name.startsWith(`${prefix.toUpperCase()}_`)) await jsm.streams.delete(s.config.name);
    await nc.close();
    await db.close();
    await dropPrefix(prefix);
  });

  /** A producing service of its own per test: its own stream and subject. */
  async function producer(svc: string): Promise<EventType<Echo>> {
    await ensureServiceStream(jsm, names, svc, settings);
    return eventType(EchoRequestSchema, svc);
  }
  async function publish(type: EventType<Echo>, e: { id: string; message?: string; aggregate?: string; version?: number; msgId?: string; trace?: string }) {
    const env = envelope(type, { message: e.message ?? "" }, { eventId: e.id, occurMs: Date.now(), aggregate: { type: "thing", id: e.aggregate ?? e.id, version: e.version ?? 1 } });
    const h = headers();
    if (e.trace) h.set("X-Test-Trace", e.trace);
    return js.publish(subjectOf(names, type), encodeEnvelope(env), { msgID: e.msgId ?? e.id, headers: h });
  }
  /** Starts a consumer whose effect is one `effects` row per applied event (written with tx). */
  async function consume(name: string, type: EventType<Echo>, o: Partial<ConsumerOptions<Echo>> & { before?: (e: ConsumedEvent<Echo>) => Promise<void> } = {}) {
    const registry = o.metrics?.registry ?? new Registry();
    const c = new EventConsumer<Echo>({
      name,
      type,
      names,
      nc,
      db,
      clock: systemClock,
      logger,
      metrics: { registry },
      backoffMs: [200, 600],
      ...o,
      handle: async (tx: Tx, e) => {
        await o.before?.(e);
        await tx.execute(sql`INSERT INTO effects (consumer, event_id) VALUES (${name}, ${e.envelope.eventId})`);
      },
    });
    await c.start();
    running.push(c);
    return { consumer: c, registry };
  }
  async function effects(name: string, eventId?: string): Promise<number> {
    const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM effects WHERE consumer = ? AND (? IS NULL OR event_id = ?)", [name, eventId ?? null, eventId ?? null]);
    return Number((rows as Array<{ n: number }>)[0]?.n);
  }
  async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!(await check())) {
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  /** The durable has nothing left: every message delivered and acked/termed. */
  async function settled(type: EventType<Echo>, c: EventConsumer<Echo>): Promise<void> {
    await until(`${c.durable} to settle`, async () => {
      const ci = await jsm.consumers.info(names.stream(type.producer), c.durable);
      return ci.num_pending === 0 && ci.num_ack_pending === 0;
    });
  }
  async function metric(registry: Registry, name: string, labels: Record<string, string>): Promise<number> {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === name);
    const v = (m?.values as Array<{ labels: Record<string, string | number>; value: number }> | undefined)?.find((x) =>
      Object.entries(labels).every(([k, val]) => x.labels[k] === val),
    );
    return v?.value ?? 0;
  }

  describe("retries", () => {
    it("retries a transiently failing handler with growing delays and applies it once", async () => {
      const type = await producer("retry");
      const attempts: number[] = [];
      const { consumer: c, registry } = await consume("test.retry", type, {
        before: async () => {
          attempts.push(Date.now());
          if (attempts.length <= 2) throw new Error(`transient failure ${attempts.length}`);
        },
      });
      await publish(type, { id: "retry-1" });
      await until("the effect", async () => (await effects("test.retry")) === 1);
      await settled(type, c);
      assert.equal(attempts.length, 3);
      const [a, b, d] = attempts as [number, number, number];
      assert.ok(b - a >= 180, `first retry after the first backoff (${b - a} ms)`);
      assert.ok(d - b >= 550, `second retry after the second backoff (${d - b} ms)`);
      assert.ok(d - b > b - a, `the delay grows (${b - a} ms, then ${d - b} ms)`);
      assert.equal(await effects("test.retry", "retry-1"), 1);
      assert.equal(await metric(registry, "bus_consumer_handled_total", { consumer: "test.retry", outcome: "retry" }), 2);
      assert.equal(await metric(registry, "bus_consumer_handled_total", { consumer: "test.retry", outcome: "applied" }), 1);
      assert.equal(await metric(registry, "bus_consumer_redeliveries_total", { consumer: "test.retry" }), 2);
    });
  });

  describe("dead letters", () => {
    let type: EventType<Echo>;
    let c: EventConsumer<Echo>;
    let fixed = false;
    let calls = 0;
    before(async () => {
      type = await producer("dead");
      ({ consumer: c } = await consume("test.dead", type, {
        maxDeliver: 3,
        before: async (e) => {
          calls++;
          if (!fixed) throw new Error(`payment provider rejected ${e.payload.message}`);
        },
      }));
    });

    it("a handler that always fails ends in the DLQ after maxDeliver attempts, with reason and original headers", async () => {
      await publish(type, { id: "dead-1", message: "order-7", trace: "00-abc-def-01" });
      await until("the dead letter", async () => (await listDeadLetters(nc, names, { consumer: "test.dead" })).length === 1);
      const [dl] = await listDeadLetters(nc, names, { consumer: "test.dead" });
      assert.ok(dl);
      assert.equal(dl.consumer, "test.dead");
      assert.equal(dl.eventId, "dead-1");
      assert.equal(dl.deliveries, 3);
      assert.equal(dl.subject, subjectOf(names, type));
      assert.equal(dl.stream, names.stream("dead"));
      assert.match(dl.reason, /payment provider rejected order-7/);
      const stored = await jsm.streams.getMessage(names.stream("dlq"), { seq: dl.seq });
      assert.equal(stored?.header.get("X-Test-Trace"), "00-abc-def-01", "original headers are kept");
      assert.equal(stored?.header.get(DlqHeader.originalMsgId), "dead-1");
      assert.equal(stored?.subject, `${prefix}.dlq.test_dead`);
      // termed: not redelivered (the last backoff is 600 ms)
      await settled(type, c);
      await new Promise((r) => setTimeout(r, 1000));
      assert.equal(calls, 3);
      assert.equal(await effects("test.dead"), 0);
      assert.equal((await jsm.consumers.info(names.stream("dead"), c.durable)).num_redelivered, 0);
    });

    it("an undecodable payload or an unknown event type goes to the DLQ at once", async () => {
      await js.publish(subjectOf(names, type), new Uint8Array([0xff, 0xff, 0xff, 0x01]), { msgID: "garbage-1" });
      const foreign = create(EventEnvelopeSchema, { eventId: "foreign-1", aggregateType: "order", aggregateId: "o1", aggregateVersion: 1n, payload: anyPack(OrderConfirmedSchema, create(OrderConfirmedSchema)) });
      await js.publish(subjectOf(names, type), toBinary(EventEnvelopeSchema, foreign), { msgID: "foreign-1" });
      await until("two more dead letters", async () => (await listDeadLetters(nc, names, { consumer: "test.dead" })).length === 3);
      const [, garbage, unknown] = await listDeadLetters(nc, names, { consumer: "test.dead" });
      assert.equal(garbage?.deliveries, 1);
      assert.match(garbage?.reason ?? "", /not an EventEnvelope/);
      assert.equal(garbage?.eventId, "garbage-1", "falls back to the original message id");
      assert.equal(unknown?.deliveries, 1);
      assert.match(unknown?.reason ?? "", /unknown type .*OrderConfirmed/);
      assert.equal(calls, 3, "the handler never saw them");
    });

    it("after the fix, a replay applies the event exactly once; publishing it again changes nothing", async () => {
      fixed = true;
      const [dl] = await listDeadLetters(nc, names, { consumer: "test.dead" });
      assert.equal(await replayDeadLetters(nc, names, { seq: dl!.seq }), 1);
      await until("the replayed effect", async () => (await effects("test.dead", "dead-1")) === 1);
      assert.equal((await listDeadLetters(nc, names, { consumer: "test.dead" })).length, 2, "the replayed entry left the DLQ");
      await publish(type, { id: "dead-1", message: "order-7", msgId: "dead-1-again" });
      await settled(type, c);
      await new Promise((r) => setTimeout(r, 200));
      assert.equal(await effects("test.dead", "dead-1"), 1);
      assert.equal(calls, 4, "the second copy was a duplicate: handler not called");
    });
  });

  describe("reset", () => {
    it("deleting the durable and consuming the whole stream again changes nothing", async () => {
      const counts = { retry: await effects("test.retry"), dead: await effects("test.dead") };
      const dlq = (await listDeadLetters(nc, names)).length;
      for (const [svc, name] of [["retry", "test.retry"], ["dead", "test.dead"]] as const) {
        const old = running.find((x) => x.durable === names.durable(name.replace(".", "_")))!;
        await old.stop();
        await jsm.consumers.delete(names.stream(svc), old.durable);
        let calls = 0;
        const { consumer: c } = await consume(name, eventType(EchoRequestSchema, svc), { before: async () => void calls++ });
        await settled(eventType(EchoRequestSchema, svc), c);
        assert.equal(calls, 0, `${name}: every event was a duplicate`);
      }
      assert.deepEqual({ retry: await effects("test.retry"), dead: await effects("test.dead") }, counts);
      assert.equal((await listDeadLetters(nc, names)).length, dlq, "undecodable ones dead-lettered again are deduplicated");
    });
  });

  it("skips an older aggregate version after a newer one, an equal version, and a repeated event id", async () => {
    const type = await producer("stale");
    const seen: string[] = [];
    await publish(type, { id: "s-v2", aggregate: "a1", version: 2 });
    await publish(type, { id: "s-v1", aggregate: "a1", version: 1 }); // older, arrives later
    await publish(type, { id: "s-v3", aggregate: "a1", version: 3 });
    await publish(type, { id: "s-v3", aggregate: "a1", version: 3, msgId: "s-v3-again" }); // same event id
    await publish(type, { id: "s-v3b", aggregate: "a1", version: 3 }); // other id, equal version
    await publish(type, { id: "s-b1", aggregate: "b1", version: 1 }); // another aggregate
    const { consumer: c, registry } = await consume("test.stale", type, { before: async (e) => void seen.push(e.envelope.eventId) });
    await settled(type, c);
    assert.deepEqual(seen.sort(), ["s-b1", "s-v2", "s-v3"]);
    assert.equal(await effects("test.stale"), 3);
    assert.equal(await metric(registry, "bus_consumer_handled_total", { consumer: "test.stale", outcome: "stale" }), 2);
    assert.equal(await metric(registry, "bus_consumer_handled_total", { consumer: "test.stale", outcome: "duplicate" }), 1);
  });

  it("dead-letters a message delivered more than maxDeliver times without running the handler", async () => {
    const type = await producer("crash");
    let calls = 0;
    const first = await consume("test.crash", type, {
      maxDeliver: 10,
      before: async () => {
        calls++;
        throw new Error("downstream down");
      },
    });
    await publish(type, { id: "crash-1" });
    await until("two failed attempts", () => calls === 2);
    await first.consumer.stop(); // as if the process died during its attempts
    const second = await consume("test.crash", type, { maxDeliver: 2, backoffMs: [0], before: async () => void calls++ });
    await until("the dead letter", async () => (await listDeadLetters(nc, names, { consumer: "test.crash" })).length === 1);
    await settled(type, second.consumer);
    const [dl] = await listDeadLetters(nc, names, { consumer: "test.crash" });
    assert.equal(dl?.deliveries, 3);
    assert.match(dl?.reason ?? "", /more than maxDeliver 2/);
    assert.equal(calls, 2, "not attempted a third time");
  });

  it("stop() lets a running handler finish and ack; messages not started are handed back", async () => {
    const type = await producer("slow");
    let started = 0;
    const { consumer: c } = await consume("test.slow", type, {
      concurrency: 1,
      before: async () => {
        started++;
        await new Promise((r) => setTimeout(r, 1500));
      },
    });
    for (const id of ["slow-1", "slow-2", "slow-3"]) await publish(type, { id });
    await until("the slow handler to start", () => started === 1);
    const t0 = Date.now();
    await c.stop();
    assert.ok(Date.now() - t0 >= 1000, "stop() waited for the handler");
    assert.equal(started, 1);
    assert.equal(await effects("test.slow", "slow-1"), 1, "its effect is committed");
    const ci = await jsm.consumers.info(names.stream("slow"), c.durable);
    assert.equal(ci.ack_floor.stream_seq, 1, "slow-1 was acked");
    await publish(type, { id: "slow-4" }); // published while no instance runs


    const seen: string[] = [];
    const again = await consume("test.slow", type, { before: async (e) => void seen.push(e.envelope.eventId) });
    const t1 = Date.now();
    await settled(type, again.consumer);
    assert.ok(Date.now() - t1 < 5000, "handed back at once, not after ack_wait (30 s)");
    assert.deepEqual(seen.sort(), ["slow-2", "slow-3", "slow-4"], "slow-1 was not redelivered");
    assert.equal(await effects("test.slow"), 4);
  });
});
