import assert from "node:assert/strict";
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { type JetStreamManager, jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { Registry } from "prom-client";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { dropPrefix, infraUrls, platformMigrations, testPrefix } from "../../test/support/infra.js";
import { sleep, systemClock } from "../clock/index.js";
import { infraNames } from "../config/names.js";
import { createDb, type Db } from "../db/index.js";
import { migrate } from "../db/migrate.js";
import { EventConsumer } from "./consumer.js";
import { encodeEnvelope, envelope, eventType, subjectOf } from "./events.js";
import { connectNats, ensureServiceStream } from "./nats.js";

/**
 * A TCP proxy in front of the shared NATS server: cut() drops every connection and refuses new
 * ones (the server is gone for the client), resume() listens on the same port again.
 * (platform/ may not import harness/, so these tests cannot kill a server of their own.)
 */
class Outage {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  port = 0;
  target = new URL("nats://127.0.0.1:4222");
  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }
  async resume(): Promise<void> {
    const server = createServer((client) => {
      const upstream = tcpConnect(Number(this.target.port), this.target.hostname);
      for (const s of [client, upstream]) {
        this.#sockets.add(s);
        s.on("close", () => this.#sockets.delete(s));
        s.on("error", () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as AddressInfo).port;
    this.#server = server;
  }
  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    for (const s of this.#sockets) s.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

describe("EventConsumer recovers by itself", function () {
  this.timeout(60_000);
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const type = eventType(EchoRequestSchema, "recover");
  const outage = new Outage();
  let nc: NatsConnection;
  let direct: NatsConnection;
  let jsm: JetStreamManager;
  let db: Db;
  let consumer: EventConsumer<typeof EchoRequestSchema>;

  before(async () => {
    outage.target = new URL(infraUrls().natsUrl); // set by the global fixture, after this file was loaded
    await outage.resume();
    nc = await connectNats(outage.url, "consumer-recovery-test");
    direct = await connectNats(infraUrls().natsUrl, "consumer-recovery-test-direct");
    jsm = await jetstreamManager(direct);
    await ensureServiceStream(jsm, names, "recover", { replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000 });
    const database = `${prefix}_consumer`;
    await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: platformMigrations });
    db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 4 });
    await db.pool.query("CREATE TABLE effects (event_id VARCHAR(36) NOT NULL)");
    consumer = new EventConsumer({
      name: "test.recover",
      type,
      kind: "latest-state",
      names,
      nc,
      db,
      clock: systemClock,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      metrics: { registry: new Registry() },
      handle: async (tx, e) =>
        void (await tx.execute(sql`INSERT INTO effects (event_id) VALUES (${e.envelope.eventId})`)),
    });
    await consumer.start();
  });
  after(async () => {
    await consumer?.stop();
    await nc?.close();
    await outage.cut();
    await jsm?.streams.delete(names.stream("recover")).catch(() => {});
    await jsm?.streams.delete(names.stream("dlq")).catch(() => {});
    await direct?.close();
    await db?.close();
    await dropPrefix(prefix);
  });

  /** Publishes straight to the server (not through the proxy): the producer is not cut off. */
  async function publish(id: string): Promise<void> {
    const env = envelope(
      type,
      { message: id },
      { eventId: id, occurMs: Date.now(), aggregate: { type: "thing", id, version: 1 } },
    );
    await jetstream(direct).publish(subjectOf(names, type), encodeEnvelope(env), { msgID: id });
  }
  async function applied(id: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM effects WHERE event_id = ?", [id]);
      const n = Number((rows as Array<{ n: number }>)[0]?.n);
      if (n === 1) return;
      assert.ok(n === 0, `${id} applied ${n} times`);
      if (Date.now() > deadline) assert.fail(`${id} was not applied`);
      await sleep(50);
    }
  }

  it("after NATS was unreachable for a while (events published meanwhile are applied)", async () => {
    await publish("before-outage");
    await applied("before-outage");
    await outage.cut();
    // once the server has dropped the connection (and its waiting pull request); a message sent to a
    // connection that died unnoticed is redelivered only after ack_wait
    for (
      let i = 0;
      i < 100 && (await jsm.consumers.info(names.stream("recover"), consumer.durable)).num_waiting > 0;
      i++
    ) {
      await sleep(50);
    }
    await publish("during-outage");
    await sleep(1500);
    await outage.resume();
    await applied("during-outage");
    await publish("after-outage");
    await applied("after-outage");
  });

  it("after its durable is deleted under it (recreated, the stream consumed again, nothing applied twice)", async () => {
    await jsm.consumers.delete(names.stream("recover"), consumer.durable);
    await publish("after-delete");
    await applied("after-delete");
    const ci = await jsm.consumers.info(names.stream("recover"), consumer.durable);
    assert.equal(ci.config.max_deliver, -1);
    await applied("before-outage");
    await applied("during-outage");
  });
});
