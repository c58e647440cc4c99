import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import { pino } from "pino";
import { Registry } from "prom-client";
import { startNats, type EmbeddedServer } from "../../harness/index.js";
import { systemClock } from "../clock/index.js";
import { infraNames } from "../config/names.js";
import { createDb, type Db } from "../db/index.js";
import { migrate } from "../db/migrate.js";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { dropPrefix, infraUrls, testPrefix } from "../../test/support/infra.js";
import { EventConsumer } from "./consumer.js";
import { encodeEnvelope, envelope, eventType, subjectOf } from "./events.js";
import { connectNats, ensureServiceStream } from "./nats.js";

const platformMigrations = fileURLToPath(new URL("../../services/auth/db/migrations", import.meta.url));

/** Fault tests: a NATS server of their own, so they can kill it. */
describe("EventConsumer recovers by itself", function () {
  this.timeout(60_000);
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const type = eventType(EchoRequestSchema, "recover");
  const dataDir = mkdtempSync(join(tmpdir(), "boxoffice-consumer-"));
  let server: EmbeddedServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let db: Db;
  let consumer: EventConsumer<typeof EchoRequestSchema>;

  before(async () => {
    server = await startNats({ dataDir, log: () => {} });
    nc = await connectNats(server.url, "consumer-recovery-test");
    jsm = await jetstreamManager(nc);
    await ensureServiceStream(jsm, names, "recover", { replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000 });
    const database = `${prefix}_consumer`;
    await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: platformMigrations });
    db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 4 });
    await db.pool.query("CREATE TABLE effects (event_id VARCHAR(36) NOT NULL)");
    consumer = new EventConsumer({
      name: "test.recover",
      type,
      names,
      nc,
      db,
      clock: systemClock,
      logger: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }),
      metrics: { registry: new Registry() },
      handle: async (tx, e) => void (await tx.execute(sql`INSERT INTO effects (event_id) VALUES (${e.envelope.eventId})`)),
    });
    await consumer.start();
  });
  after(async () => {
    await consumer?.stop();
    await nc?.close();
    await server?.stop();
    await db?.close();
    await dropPrefix(prefix);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Publishes, retrying while the client reconnects. */
  async function publish(id: string): Promise<void> {
    const env = envelope(type, { message: id }, { eventId: id, occurMs: Date.now(), aggregate: { type: "thing", id, version: 1 } });
    const deadline = Date.now() + 20_000;
    for (;;) {
      try {
        await jetstream(nc, { timeout: 2000 }).publish(subjectOf(names, type), encodeEnvelope(env), { msgID: id });
        return;
      } catch (e) {
        if (Date.now() > deadline) throw e;
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
  async function applied(id: string, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM effects WHERE event_id = ?", [id]);
      const n = Number((rows as Array<{ n: number }>)[0]?.n);
      if (n === 1) return;
      assert.ok(n === 0, `${id} applied ${n} times`);
      if (Date.now() > deadline) assert.fail(`${id} was not applied`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it("after the NATS server is killed and comes back", async () => {
    await publish("before-crash");
    await applied("before-crash");
    await server.kill();
    await new Promise((r) => setTimeout(r, 500));
    await server.restart();
    const t0 = Date.now();
    await publish("after-restart");
    await applied("after-restart");
    assert.ok(Date.now() - t0 < 15_000);
  });

  it("after its durable is deleted under it (recreated, the stream consumed again, nothing applied twice)", async () => {
    await jsm.consumers.delete(names.stream("recover"), consumer.durable);
    await publish("after-delete");
    await applied("after-delete");
    const ci = await jsm.consumers.info(names.stream("recover"), consumer.durable);
    assert.equal(ci.config.max_deliver, -1);
    await applied("before-crash");
    await applied("after-restart");
  });
});
