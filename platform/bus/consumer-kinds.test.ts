import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { ConsumerTestbed, metricValue as metric, until } from "../../test/support/consumer-testbed.js";
import { dropPrefix, infraUrls, testPrefix } from "../../test/support/infra.js";
import { sleep } from "../clock/index.js";
import { pruneInbox } from "./consumer-inbox.js";
import { listDeadLetters, replayDeadLetters } from "./dead-letter.js";

/** Effects of `name` in the order they committed (the effects table's auto-increment id). */
async function applied(t: ConsumerTestbed, name: string): Promise<string[]> {
  const [rows] = await t.db.pool.query("SELECT event_id FROM effects WHERE consumer = ? ORDER BY id", [name]);
  return (rows as Array<{ event_id: string }>).map((r) => r.event_id);
}

describe("consumer kinds: latest-state and every-fact (real NATS JetStream + MariaDB)", function () {
  this.timeout(30_000);
  const t = new ConsumerTestbed(testPrefix());
  const { names, prefix } = t;
  before(() => t.setup(infraUrls()));
  after(async () => {
    await t.teardown();
    await dropPrefix(prefix);
  });

  /** A handler failing once on the aggregate's second event, which is redelivered after the third arrived. */
  function failOnceOnSecond() {
    let failed = false;
    return async (e: { envelope: { eventId: string } }) => {
      if (e.envelope.eventId.endsWith("-2") && !failed) {
        failed = true;
        throw new Error("the second event fails once");
      }
    };
  }

  it("every-fact: the second event fails once while the third arrives → all three applied, in order", async () => {
    const type = await t.producer("facts");
    const { consumer: c, registry } = await t.consume("test.facts", type, {
      kind: "every-fact",
      backoffMs: [300],
      before: failOnceOnSecond(),
    });
    for (const n of [1, 2, 3]) await t.publish(type, { id: `f-${n}`, aggregate: "pay-1", version: n * 2, sequence: n });
    await until("three effects", async () => (await t.effects("test.facts")) === 3);
    await t.settled(type, c);
    assert.deepEqual(await applied(t, "test.facts"), ["f-1", "f-2", "f-3"]);
    assert.ok(
      (await metric(registry, "bus_consumer_handled_total", { consumer: "test.facts", outcome: "waiting" })) >= 1,
    );
    assert.equal(await metric(registry, "bus_consumer_waiting_events", { consumer: "test.facts" }), 0);
  });

  it("latest-state: the same run skips the second event for good once the third is applied", async () => {
    const type = await t.producer("snapshots");
    const { consumer: c } = await t.consume("test.snapshots", type, {
      kind: "latest-state",
      backoffMs: [300],
      before: failOnceOnSecond(),
    });
    for (const n of [1, 2, 3]) await t.publish(type, { id: `s-${n}`, aggregate: "ev-1", version: n, sequence: n });
    await t.settled(type, c);
    assert.deepEqual(await applied(t, "test.snapshots"), ["s-1", "s-3"]);
  });

  it("infrastructure failures retry without using up attempts: nothing is dead-lettered", async () => {
    const type = await t.producer("infra");
    let calls = 0;
    const { consumer: c, registry } = await t.consume("test.infra", type, {
      kind: "every-fact",
      maxDeliver: 2,
      infraBackoffMs: [20, 40],
      before: async () => {
        calls++;
        if (calls <= 3) throw new ConnectError("event service down", Code.Unavailable);
        if (calls <= 6) throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:3306"), { code: "ECONNREFUSED" });
      },
    });
    await t.publish(type, { id: "i-1", aggregate: "agg-i", version: 1, sequence: 1 });
    await until("the effect", async () => (await t.effects("test.infra")) === 1);
    await t.settled(type, c);
    assert.equal(calls, 7, "six infrastructure failures, then the effect");
    assert.equal((await listDeadLetters(t.nc, names, { consumer: "test.infra" })).length, 0);
    assert.equal(
      await metric(registry, "bus_consumer_handled_total", { consumer: "test.infra", outcome: "infra_retry" }),
      6,
    );
  });

  it("every-fact: a dead-lettered event lets the later ones go on, and its replay still applies", async () => {
    const type = await t.producer("skip");
    let broken = true;
    const { consumer: c } = await t.consume("test.skip", type, {
      kind: "every-fact",
      maxDeliver: 2,
      backoffMs: [50],
      before: async (e) => {
        if (broken && e.envelope.eventId === "k-2") throw new Error("cannot apply k-2 yet");
      },
    });
    for (const n of [1, 2, 3]) await t.publish(type, { id: `k-${n}`, aggregate: "agg-k", version: n, sequence: n });
    await until("k-1 and k-3", async () => (await t.effects("test.skip")) === 2);
    await t.settled(type, c);
    assert.deepEqual(await applied(t, "test.skip"), ["k-1", "k-3"]);
    const [dead] = await listDeadLetters(t.nc, names, { consumer: "test.skip" });
    assert.match(dead?.reason ?? "", /attempt 2 of 2/);
    broken = false;
    assert.equal(await replayDeadLetters(t.nc, names, { consumer: "test.skip" }), 1);
    await until("the replayed k-2", async () => (await t.effects("test.skip", "k-2")) === 1);
    await t.settled(type, c);
    assert.deepEqual(await applied(t, "test.skip"), ["k-1", "k-3", "k-2"]);
  });

  it("every-fact: an event whose predecessor never comes waits, bounded, then is dead-lettered", async () => {
    const type = await t.producer("gap");
    const { consumer: c } = await t.consume("test.gap", type, { kind: "every-fact", maxWaitMs: 1500 });
    await t.publish(type, { id: "g-2", aggregate: "agg-g", version: 2, sequence: 2 });
    await until(
      "the dead letter",
      async () => (await listDeadLetters(t.nc, names, { consumer: "test.gap" })).length === 1,
      10_000,
    );
    await t.settled(type, c);
    const [dead] = await listDeadLetters(t.nc, names, { consumer: "test.gap" });
    assert.match(dead?.reason ?? "", /waits for event 1/);
    assert.equal(await t.effects("test.gap"), 0);
  });

  it("every-fact consumers of two types sharing a sequence group: one aggregate's facts apply in order across them", async () => {
    // one consumer per type (nats-server 2.9): alone, the second type's consumer would wait for an
    // event 1 it never receives; in one group it waits for the first type's consumer instead
    const [first, second] = [await t.producer("grpfirst"), await t.producer("grpsecond")];
    const a = await t.consume("test.group.first", first, { kind: "every-fact", sequenceGroup: "test.group" });
    const b = await t.consume("test.group.second", second, { kind: "every-fact", sequenceGroup: "test.group" });
    await t.publish(second, { id: "q-2", aggregate: "order-q", version: 2, sequence: 2 });
    await sleep(300);
    assert.equal(await t.effects("test.group.second"), 0, "the second fact waits for the first");
    await t.publish(first, { id: "q-1", aggregate: "order-q", version: 1, sequence: 1 });
    await until("both facts", async () => (await t.effects("test.group.second")) === 1, 10_000);
    await Promise.all([t.settled(first, a.consumer), t.settled(second, b.consumer)]);
    const [rows] = await t.db.pool.query("SELECT event_id FROM effects WHERE consumer LIKE 'test.group.%' ORDER BY id");
    assert.deepEqual(
      (rows as Array<{ event_id: string }>).map((r) => r.event_id),
      ["q-1", "q-2"],
    );
  });

  it("a stream replayed from the start (a new durable) applies nothing twice, of either kind", async () => {
    const type = await t.producer("again");
    for (const n of [1, 2, 3]) await t.publish(type, { id: `a-${n}`, aggregate: "agg-a", version: n, sequence: n });
    const first = await t.consume("test.again", type, { kind: "every-fact" });
    await t.settled(type, first.consumer);
    await first.consumer.stop();
    await t.jsm.consumers.delete(names.stream("again"), first.consumer.durable);
    const second = await t.consume("test.again", type, { kind: "every-fact" });
    await t.settled(type, second.consumer);
    assert.deepEqual(await applied(t, "test.again"), ["a-1", "a-2", "a-3"]);
  });

  it("prunes inbox rows past their retention, and only those", async () => {
    const old = new Date(Date.now() - 40 * 24 * 3600_000);
    await t.db.pool.query("INSERT INTO inbox_events (consumer, event_id, process_time) VALUES ?", [
      [
        ["test.prune", "old-1", old],
        ["test.prune", "old-2", old],
        ["test.prune", "new-1", new Date()],
        ["test.other", "old-3", old],
      ],
    ]);
    assert.equal(await pruneInbox(t.db, "test.prune", new Date(Date.now() - 30 * 24 * 3600_000), 1), 2);
    const [rows] = await t.db.pool.query(
      "SELECT consumer, event_id FROM inbox_events WHERE consumer LIKE 'test.p%' OR event_id = 'old-3' ORDER BY event_id",
    );
    assert.deepEqual(
      (rows as Array<{ event_id: string }>).map((r) => r.event_id),
      ["new-1", "old-3"],
    );
  });
});
