import assert from "node:assert/strict";
import { create, toBinary } from "@bufbuild/protobuf";
import { anyPack } from "@bufbuild/protobuf/wkt";
import { pino } from "pino";
import { EventEnvelopeSchema } from "../../gen/boxoffice/common/v1/envelope_pb.js";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { OrderConfirmedSchema } from "../../gen/boxoffice/ticket/v1/events_pb.js";
import { ConsumerTestbed, type Echo, metricValue as metric, until } from "../../test/support/consumer-testbed.js";
import { dropPrefix, infraUrls, testPrefix } from "../../test/support/infra.js";
import { sleep } from "../clock/index.js";
import type { EventConsumer } from "./consumer.js";
import { DlqHeader, listDeadLetters, replayDeadLetters } from "./dead-letter.js";
import { type EventType, eventType, subjectOf } from "./events.js";

describe("EventConsumer (real NATS JetStream + MariaDB)", function () {
  this.timeout(30_000);
  const t = new ConsumerTestbed(testPrefix());
  const { names, prefix } = t;
  before(() => t.setup(infraUrls()));
  after(async () => {
    await t.teardown();
    await dropPrefix(prefix);
  });

  describe("retries", () => {
    it("retries a transiently failing handler with growing delays and applies it once", async () => {
      const type = await t.producer("retry");
      const attempts: number[] = [];
      const { consumer: c, registry } = await t.consume("test.retry", type, {
        before: async () => {
          attempts.push(Date.now());
          if (attempts.length <= 2) throw new Error(`transient failure ${attempts.length}`);
        },
      });
      await t.publish(type, { id: "retry-1" });
      await until("the effect", async () => (await t.effects("test.retry")) === 1);
      await t.settled(type, c);
      assert.equal(attempts.length, 3);
      const [a, b, d] = attempts as [number, number, number];
      assert.ok(b - a >= 180, `first retry after the first backoff (${b - a} ms)`);
      assert.ok(d - b >= 550, `second retry after the second backoff (${d - b} ms)`);
      assert.ok(d - b > b - a, `the delay grows (${b - a} ms, then ${d - b} ms)`);
      assert.equal(await t.effects("test.retry", "retry-1"), 1);
      assert.equal(
        await metric(registry, "bus_consumer_handled_total", { consumer: "test.retry", outcome: "retry" }),
        2,
      );
      assert.equal(
        await metric(registry, "bus_consumer_handled_total", { consumer: "test.retry", outcome: "applied" }),
        1,
      );
      assert.equal(await metric(registry, "bus_consumer_redeliveries_total", { consumer: "test.retry" }), 2);
    });
  });

  describe("dead letters", () => {
    let type: EventType<Echo>;
    let c: EventConsumer<Echo>;
    let fixed = false;
    let calls = 0;
    before(async () => {
      type = await t.producer("dead");
      ({ consumer: c } = await t.consume("test.dead", type, {
        maxDeliver: 3,
        before: async (e) => {
          calls++;
          if (!fixed) throw new Error(`payment provider rejected ${e.payload.message}`);
        },
      }));
    });

    it("a handler that always fails ends in the DLQ after maxDeliver attempts, with reason and original headers", async () => {
      await t.publish(type, { id: "dead-1", message: "order-7", trace: "00-abc-def-01" });
      await until(
        "the dead letter",
        async () => (await listDeadLetters(t.nc, names, { consumer: "test.dead" })).length === 1,
      );
      const [dl] = await listDeadLetters(t.nc, names, { consumer: "test.dead" });
      assert.ok(dl);
      assert.equal(dl.consumer, "test.dead");
      assert.equal(dl.eventId, "dead-1");
      assert.equal(dl.deliveries, 3);
      assert.equal(dl.subject, subjectOf(names, type));
      assert.equal(dl.stream, names.stream("dead"));
      assert.match(dl.reason, /payment provider rejected order-7/);
      const stored = await t.jsm.streams.getMessage(names.stream("dlq"), { seq: dl.seq });
      assert.equal(stored?.header.get("X-Test-Trace"), "00-abc-def-01", "original headers are kept");
      assert.equal(stored?.header.get(DlqHeader.originalMsgId), "dead-1");
      assert.equal(stored?.subject, `${prefix}.dlq.test_dead`);
      // termed: not redelivered (the last backoff is 600 ms)
      await t.settled(type, c);
      await sleep(1000);
      assert.equal(calls, 3);
      assert.equal(await t.effects("test.dead"), 0);
      assert.equal((await t.jsm.consumers.info(names.stream("dead"), c.durable)).num_redelivered, 0);
    });

    it("an undecodable payload or an unknown event type goes to the DLQ at once", async () => {
      await t.js.publish(subjectOf(names, type), new Uint8Array([0xff, 0xff, 0xff, 0x01]), { msgID: "garbage-1" });
      const foreign = create(EventEnvelopeSchema, {
        eventId: "foreign-1",
        aggregateType: "order",
        aggregateId: "o1",
        aggregateVersion: 1n,
        payload: anyPack(OrderConfirmedSchema, create(OrderConfirmedSchema)),
      });
      await t.js.publish(subjectOf(names, type), toBinary(EventEnvelopeSchema, foreign), { msgID: "foreign-1" });
      await until(
        "two more dead letters",
        async () => (await listDeadLetters(t.nc, names, { consumer: "test.dead" })).length === 3,
      );
      const [, garbage, unknown] = await listDeadLetters(t.nc, names, { consumer: "test.dead" });
      assert.equal(garbage?.deliveries, 1);
      assert.match(garbage?.reason ?? "", /not an EventEnvelope/);
      assert.equal(garbage?.eventId, "garbage-1", "falls back to the original message id");
      assert.equal(unknown?.deliveries, 1);
      assert.match(unknown?.reason ?? "", /unknown type .*OrderConfirmed/);
      assert.equal(calls, 3, "the handler never saw them");
    });

    it("after the fix, a replay applies the event exactly once; publishing it again changes nothing", async () => {
      fixed = true;
      const [dl] = await listDeadLetters(t.nc, names, { consumer: "test.dead" });
      assert.equal(await replayDeadLetters(t.nc, names, { seq: dl!.seq }), 1);
      await until("the replayed effect", async () => (await t.effects("test.dead", "dead-1")) === 1);
      assert.equal(
        (await listDeadLetters(t.nc, names, { consumer: "test.dead" })).length,
        2,
        "the replayed entry left the DLQ",
      );
      await t.publish(type, { id: "dead-1", message: "order-7", msgId: "dead-1-again" });
      await t.settled(type, c);
      await sleep(200);
      assert.equal(await t.effects("test.dead", "dead-1"), 1);
      assert.equal(calls, 4, "the second copy was a duplicate: handler not called");
    });
  });

  describe("reset", () => {
    it("deleting the durable and consuming the whole stream again changes nothing", async () => {
      const counts = { retry: await t.effects("test.retry"), dead: await t.effects("test.dead") };
      const dlq = (await listDeadLetters(t.nc, names)).length;
      for (const [svc, name] of [
        ["retry", "test.retry"],
        ["dead", "test.dead"],
      ] as const) {
        const old = t.running(name)!;
        await old.stop();
        await t.jsm.consumers.delete(names.stream(svc), old.durable);
        let calls = 0;
        const { consumer: c } = await t.consume(name, eventType(EchoRequestSchema, svc), {
          before: async () => void calls++,
        });
        await t.settled(eventType(EchoRequestSchema, svc), c);
        assert.equal(calls, 0, `${name}: every event was a duplicate`);
      }
      assert.deepEqual({ retry: await t.effects("test.retry"), dead: await t.effects("test.dead") }, counts);
      assert.equal(
        (await listDeadLetters(t.nc, names)).length,
        dlq,
        "undecodable ones dead-lettered again are deduplicated",
      );
    });
  });

  it("started before its producer's stream exists: says so once, without a warning, and consumes once it appears", async () => {
    const lines: Array<{ level: number; msg: string }> = [];
    const logger = pino(
      { level: "debug" },
      { write: (line: string) => void lines.push(JSON.parse(line) as { level: number; msg: string }) },
    );
    const type = eventType(EchoRequestSchema, "late");
    const { consumer: c } = await t.consume("test.late", type, { logger });
    await sleep(1_500); // the loop retries with backoff several times meanwhile
    const producer = await t.producer("late");
    await t.publish(producer, { id: "late-1" });
    await until("the event to be applied", async () => (await t.effects("test.late")) === 1);
    await t.settled(type, c);
    const waiting = lines.filter((l) => l.msg === "waiting for the producer's stream");
    assert.equal(waiting.length, 1, JSON.stringify(lines));
    assert.deepEqual(
      lines.filter((l) => l.level >= 40),
      [],
      "no warning or error while the stream was missing",
    );
  });

  it("skips an older aggregate version after a newer one, an equal version, and a repeated event id", async () => {
    const type = await t.producer("stale");
    const seen: string[] = [];
    await t.publish(type, { id: "s-v2", aggregate: "a1", version: 2 });
    await t.publish(type, { id: "s-v1", aggregate: "a1", version: 1 }); // older, arrives later
    await t.publish(type, { id: "s-v3", aggregate: "a1", version: 3 });
    await t.publish(type, { id: "s-v3", aggregate: "a1", version: 3, msgId: "s-v3-again" }); // same event id
    await t.publish(type, { id: "s-v3b", aggregate: "a1", version: 3 }); // other id, equal version
    await t.publish(type, { id: "s-b1", aggregate: "b1", version: 1 }); // another aggregate
    const { consumer: c, registry } = await t.consume("test.stale", type, {
      before: async (e) => void seen.push(e.envelope.eventId),
    });
    await t.settled(type, c);
    assert.deepEqual(seen.sort(), ["s-b1", "s-v2", "s-v3"]);
    assert.equal(await t.effects("test.stale"), 3);
    assert.equal(await metric(registry, "bus_consumer_handled_total", { consumer: "test.stale", outcome: "stale" }), 2);
    assert.equal(
      await metric(registry, "bus_consumer_handled_total", { consumer: "test.stale", outcome: "duplicate" }),
      1,
    );
  });

  it("dead-letters a message that already failed maxDeliver times (counted in the database) without running the handler again", async () => {
    const type = await t.producer("crash");
    let calls = 0;
    const first = await t.consume("test.crash", type, {
      maxDeliver: 10,
      before: async () => {
        calls++;
        throw new Error("downstream down");
      },
    });
    await t.publish(type, { id: "crash-1" });
    await until("two failed attempts", () => calls === 2);
    await first.consumer.stop(); // as if the process died during its attempts
    const second = await t.consume("test.crash", type, {
      maxDeliver: 2,
      backoffMs: [0],
      before: async () => void calls++,
    });
    await until(
      "the dead letter",
      async () => (await listDeadLetters(t.nc, names, { consumer: "test.crash" })).length === 1,
    );
    await t.settled(type, second.consumer);
    const [dl] = await listDeadLetters(t.nc, names, { consumer: "test.crash" });
    assert.equal(dl?.deliveries, 3);
    assert.match(dl?.reason ?? "", /handler failed 2 times/);
    assert.equal(calls, 2, "not attempted a third time");
  });

  it("reports its lag (messages not yet delivered) and ack-pending count as gauges", async () => {
    const type = await t.producer("lag");
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    for (let i = 1; i <= 5; i++) await t.publish(type, { id: `lag-${i}` });
    const { consumer: c, registry } = await t.consume("test.lag", type, {
      concurrency: 1,
      maxAckPending: 1,
      lagRefreshMs: 100,
      before: () => gate,
    });
    const gauge = (name: string) => metric(registry, name, { consumer: "test.lag" });
    await until(
      "lag 4 while the first one is handled",
      async () => (await gauge("bus_consumer_lag")) === 4 && (await gauge("bus_consumer_ack_pending")) === 1,
    );
    release();
    await t.settled(type, c);
    await until(
      "lag 0",
      async () => (await gauge("bus_consumer_lag")) === 0 && (await gauge("bus_consumer_ack_pending")) === 0,
    );
    assert.equal(await t.effects("test.lag"), 5);
  });
});
