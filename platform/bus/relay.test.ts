import assert from "node:assert/strict";
import { createRegistry } from "@bufbuild/protobuf";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { Registry } from "prom-client";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { dropPrefix, infraUrls, platformMigrations, testPrefix } from "../../test/support/infra.js";
import { sleep, systemClock } from "../clock/index.js";
import { infraNames } from "../config/names.js";
import { afterCommit, createDb, type Db, withTransaction } from "../db/index.js";
import { migrate } from "../db/migrate.js";
import { createIdGenerator } from "../ids/index.js";
import { decodeEnvelope, encodeEnvelope, envelope, eventType } from "./events.js";
import { connectNats, ensureServiceStream } from "./nats.js";
import { Outbox } from "./outbox.js";
import { OutboxRelay } from "./relay.js";

const Thing = eventType(EchoRequestSchema, "auth");
const quiet = pino({ level: "silent" });

describe("outbox relay (real MariaDB + JetStream)", function () {
  this.timeout(30_000);
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const newId = createIdGenerator();
  let db: Db;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let stream: string;

  before(async () => {
    const database = names.database("auth");
    await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: platformMigrations });
    // 40 writers and two relays on 10 connections: correctness, not latency, so a busy machine may
    // queue them longer than the 3 s default before a connection is free
    db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 10, acquireTimeoutMs: 30_000 });
    nc = await connectNats(infraUrls().natsUrl, "relay-test");
    jsm = await jetstreamManager(nc);
    stream = await ensureServiceStream(jsm, names, "auth", {
      replicas: 1,
      maxAgeMs: 3600_000,
      duplicateWindowMs: 120_000,
    });
  });
  beforeEach(async () => {
    await jsm.streams.purge(stream);
    await db.pool.query("DELETE FROM outbox_events");
  });
  after(async () => {
    await jsm.streams.delete(stream).catch(() => undefined);
    await nc.close();
    await db.close();
    await dropPrefix(prefix);
  });

  const relay = (instance: string, registry: Registry, sweepMs = 100) =>
    new OutboxRelay({
      service: "auth",
      db,
      nc,
      names,
      clock: systemClock,
      logger: quiet,
      registry,
      instance,
      sweepMs,
      batchSize: 50,
    });

  /** `n` events spread over `aggregates` aggregates, each written in its own transaction. */
  async function write(outbox: Outbox, n: number, aggregates: number): Promise<void> {
    const versions = new Map<string, number>();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const id = `agg-${i % aggregates}`;
        await withTransaction(db, async (tx) => {
          // The version is taken inside the writer's transaction order; serialise per aggregate via a row lock.
          await tx.execute(sql`SELECT GET_LOCK(${`t-${prefix}-${id}`}, 10)`);
          const version = (versions.get(id) ?? 0) + 1;
          versions.set(id, version);
          await outbox.add(tx, {
            type: Thing,
            payload: { message: `${id}#${version}` },
            aggregate: { type: "thing", id, version },
          });
          await tx.execute(sql`SELECT RELEASE_LOCK(${`t-${prefix}-${id}`})`);
          afterCommit(tx, () => outbox.notify());
        });
      }),
    );
  }

  async function streamMessages(): Promise<Array<{ aggregateId: string; version: number }>> {
    const info = await jsm.streams.info(stream);
    const out: Array<{ aggregateId: string; version: number }> = [];
    const registry = createRegistry(EchoRequestSchema);
    for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) {
      const m = await jsm.streams.getMessage(stream, { seq });
      if (m === null) continue;
      const { envelope: env } = decodeEnvelope(m.data, registry);
      out.push({ aggregateId: env.aggregateId, version: Number(env.aggregateVersion) });
    }
    return out;
  }

  async function until(cond: () => Promise<boolean>, ms = 10_000): Promise<void> {
    const end = Date.now() + ms;
    while (!(await cond())) {
      if (Date.now() > end) assert.fail("timed out waiting");
      await sleep(50);
    }
  }

  const unsent = async () =>
    Number(
      (
        (await db.pool.query("SELECT COUNT(*) AS n FROM outbox_events WHERE send_time IS NULL"))[0] as Array<{
          n: number;
        }>
      )[0]?.n,
    );

  it("publishes every row once, in order per aggregate, and marks it sent", async () => {
    const r = relay("solo", new Registry());
    r.start();
    try {
      await write(
        new Outbox({ service: "auth", db, names, clock: systemClock, newId, wakeLocal: () => r.wake() }),
        120,
        7,
      );
      await until(async () => (await unsent()) === 0);
    } finally {
      await r.stop();
    }
    const msgs = await streamMessages();
    assert.equal(msgs.length, 120);
    const last = new Map<string, number>();
    for (const m of msgs) {
      assert.ok(m.version > (last.get(m.aggregateId) ?? 0), `order kept for ${m.aggregateId}`);
      last.set(m.aggregateId, m.version);
    }
  });

  it("two relays on one outbox: each event in the stream once, every row sent, no wasted publishes", async () => {
    const registries = [new Registry(), new Registry()];
    const relays = registries.map((reg, i) => relay(`r${i}`, reg));
    for (const r of relays) r.start();
    try {
      await write(new Outbox({ service: "auth", db, names, clock: systemClock, newId, nc }), 300, 40);
      await until(async () => (await unsent()) === 0);
    } finally {
      await Promise.all(relays.map((r) => r.stop()));
    }
    assert.equal((await streamMessages()).length, 300);
    const sum = async (name: string) => {
      let total = 0;
      for (const reg of registries)
        for (const v of (await reg.getSingleMetric(name)?.get())?.values ?? []) total += v.value;
      return total;
    };
    const attempts = await sum("bus_outbox_publish_attempts_total");
    const failures = await sum("bus_outbox_publish_failures_total");
    assert.ok(attempts <= 300 + failures, `attempts ${attempts} ≤ rows 300 + failures ${failures}`);
  });

  it("one row that keeps failing waits on its own backoff; every other aggregate's rows keep flowing", async () => {
    const outbox = new Outbox({ service: "auth", db, names, clock: systemClock, newId, nc });
    // A row no stream covers (JetStream answers 503): stuck, with a later row of the same aggregate behind it.
    await write(outbox, 2, 1); // agg-0 #1, #2
    await db.pool.query("UPDATE outbox_events SET subject = ? WHERE aggregate_id = 'agg-0' ORDER BY seq LIMIT 1", [
      `${prefix}.nowhere.thing`,
    ]);
    const r = relay("busy", new Registry(), 50);
    r.start();
    try {
      await write(outbox, 400, 40); // agg-0 … agg-39: 10 more rows behind the stuck one, 390 free to go
      // timed from the last write: the writes' own time is the machine's load, not the relay's
      const started = Date.now();
      await until(async () => (await unsent()) === 12, 15_000);
      const elapsed = Date.now() - started;
      assert.ok(
        elapsed < 5_000,
        `the last of 388 rows ${elapsed} ms after the writes, despite the failing row (batch 50)`,
      );
    } finally {
      await r.stop();
    }
    const [rows] = await db.pool.query(
      "SELECT attempts, retry_time FROM outbox_events WHERE aggregate_id = 'agg-0' ORDER BY seq LIMIT 1",
    );
    const [stuck] = rows as Array<{ attempts: number; retry_time: Date | null }>;
    assert.ok((stuck?.attempts ?? 0) >= 1 && stuck?.retry_time !== null, "the failing row records its attempts");
    const msgs = await streamMessages();
    assert.equal(msgs.filter((m) => m.aggregateId === "agg-0").length, 0, "agg-0's later rows wait behind it");
    assert.equal(msgs.length, 390);
  });

  it("numbers each aggregate's published events 1, 2, 3 … with no gap, also across rolled-back writes", async () => {
    const outbox = new Outbox({ service: "auth", db, names, clock: systemClock, newId });
    const aggregate = { type: "thing", id: `seq-${newId()}`, version: 1 };
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        withTransaction(db, async (tx) => {
          await outbox.add(tx, { type: Thing, payload: { message: `#${i}` }, aggregate });
          if (i % 5 === 0) throw new Error("rolled back"); // 4 of the 20 never commit
        }).catch(() => undefined),
      ),
    );
    const [rows] = await db.pool.query("SELECT envelope FROM outbox_events WHERE aggregate_id = ?", [aggregate.id]);
    const registry = createRegistry(EchoRequestSchema);
    const sequences = (rows as Array<{ envelope: Buffer }>)
      .map((r) => Number(decodeEnvelope(r.envelope, registry).envelope.aggregateSequence))
      .sort((a, b) => a - b);
    assert.deepEqual(
      sequences,
      Array.from({ length: 16 }, (_, i) => i + 1),
    );
  });

  it("is woken through NATS right after a commit, long before its sweep", async () => {
    const r = relay("sleepy", new Registry(), 60_000);
    r.start();
    try {
      await sleep(300); // let it take the lock and go to sleep
      const started = Date.now();
      await write(new Outbox({ service: "auth", db, names, clock: systemClock, newId, nc }), 1, 1);
      await until(async () => (await unsent()) === 0, 5_000);
      assert.ok(Date.now() - started < 2_000, "published within 2 s, not after the 60 s sweep");
    } finally {
      await r.stop();
    }
  });

  it("a row published before a crash (not marked sent) is deduplicated by its event id", async () => {
    const outbox = new Outbox({ service: "auth", db, names, clock: systemClock, newId });
    await write(outbox, 5, 5);
    // Simulate the crash window: publish every row as the relay would, without marking it sent.
    const [rows] = await db.pool.query("SELECT event_id, subject, envelope FROM outbox_events");
    const js = jetstream(nc);
    for (const row of rows as Array<{ event_id: string; subject: string; envelope: Buffer }>) {
      await js.publish(row.subject, row.envelope, { msgID: row.event_id });
    }
    const reg = new Registry();
    const r = relay("after-crash", reg);
    r.start();
    try {
      await until(async () => (await unsent()) === 0);
    } finally {
      await r.stop();
    }
    assert.equal((await streamMessages()).length, 5);
    const dup = (await reg.getSingleMetric("bus_outbox_published_total")?.get())?.values.find(
      (v) => v.labels.duplicate === "true",
    );
    assert.equal(dup?.value, 5, "the relay's publishes were recognised as duplicates");
    // encode/decode helpers round-trip (used above)
    assert.ok(
      encodeEnvelope(
        envelope(Thing, { message: "x" }, { eventId: "e", occurMs: 0, aggregate: { type: "t", id: "i", version: 1 } }),
      ).length > 0,
    );
  });
});
