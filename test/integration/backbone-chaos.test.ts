import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { type JetStreamManager, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { Registry } from "prom-client";
import { prng } from "../../bench/onsale/random.js";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { type EmbeddedServer, startMariaDb, startNats } from "../../harness/index.js";
import { EventConsumer } from "../../platform/bus/consumer.js";
import { eventType } from "../../platform/bus/events.js";
import { connectNats, ensureServiceStream } from "../../platform/bus/nats.js";
import { Outbox } from "../../platform/bus/outbox.js";
import { sleep, systemClock } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { afterCommit, createDb, type Db, withTransaction } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { createIdGenerator } from "../../platform/ids/index.js";
import { platformMigrations, testPrefix } from "../support/infra.js";

const relayChild = fileURLToPath(new URL("../support/relay-child.ts", import.meta.url));
const ItemCreated = eventType(EchoRequestSchema, "auth");

describe("event backbone under failure (own MariaDB and NATS)", function () {
  this.timeout(240_000);
  const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const random = prng(seed);
  const writes = 1000;
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const dir = mkdtempSync(join(tmpdir(), "boxoffice-chaos-"));
  let mariadb: EmbeddedServer;
  let nats: EmbeddedServer;
  let producerDb: Db;
  let consumerDb: Db;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let consumer: EventConsumer<typeof EchoRequestSchema>;
  let relay: ChildProcess | undefined;

  async function startRelay(): Promise<ChildProcess> {
    const child = spawn(process.execPath, ["--import", "tsx", relayChild], {
      env: {
        ...process.env,
        BOXOFFICE_PREFIX: prefix,
        BOXOFFICE_MARIADB_URL: mariadb.url,
        BOXOFFICE_NATS_URL: nats.url,
        RELAY_SERVICE: "auth",
      },
      stdio: ["ignore", "pipe", "inherit"],
    });
    await once(createInterface({ input: child.stdout! }), "line");
    return child;
  }

  async function killRelay(): Promise<void> {
    if (relay === undefined || relay.exitCode !== null) return;
    const exited = once(relay, "exit");
    relay.kill("SIGKILL");
    await exited;
  }

  const count = async (db: Db, query: string) =>
    Number(((await db.pool.query(query))[0] as Array<{ n: number }>)[0]?.n);

  before(async () => {
    process.stderr.write(`      chaos seed ${seed} (rerun with CHAOS_SEED=${seed})\n`);
    [mariadb, nats] = await Promise.all([
      startMariaDb({ dataDir: join(dir, "mariadb") }),
      startNats({ dataDir: join(dir, "nats") }),
    ]);
    await migrate({ url: mariadb.url, database: names.database("auth"), migrationsFolder: platformMigrations });
    await migrate({
      url: mariadb.url,
      database: names.database("notification"),
      migrationsFolder: platformMigrations,
    });
    producerDb = createDb({ url: mariadb.url, database: names.database("auth"), poolSize: 12 });
    consumerDb = createDb({ url: mariadb.url, database: names.database("notification"), poolSize: 8 });
    await producerDb.pool.query("CREATE TABLE items (id VARCHAR(36) PRIMARY KEY, n INT NOT NULL)");
    await consumerDb.pool.query(
      "CREATE TABLE effects (id INT AUTO_INCREMENT PRIMARY KEY, event_id VARCHAR(36) NOT NULL, KEY (event_id))",
    );
    nc = await connectNats(nats.url, "chaos-test");
    jsm = await jetstreamManager(nc);
    await ensureServiceStream(jsm, names, "auth", { replicas: 1, maxAgeMs: 3600_000, duplicateWindowMs: 120_000 });
    consumer = new EventConsumer({
      name: "chaos.item_created",
      type: ItemCreated,
      kind: "every-fact",
      names,
      nc,
      db: consumerDb,
      clock: systemClock,
      logger: pino({ level: "silent" }),
      metrics: { registry: new Registry() },
      backoffMs: [100, 200],
      maxDeliver: 50,
      ackWaitMs: 5_000,
      handle: async (tx, ev) => {
        await tx.execute(sql`INSERT INTO effects (event_id) VALUES (${ev.envelope.eventId})`);
      },
    });
    await consumer.start();
  });

  after(async () => {
    await killRelay();
    await consumer?.stop().catch(() => undefined);
    await nc?.close().catch(() => undefined);
    await producerDb?.close();
    await consumerDb?.close();
    await Promise.allSettled([mariadb?.stop(), nats?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it(`${writes} domain writes while the relay is SIGKILLed at random and NATS restarts once: every event once in the stream, every effect once`, async () => {
    const outbox = new Outbox({
      service: "auth",
      db: producerDb,
      names,
      clock: systemClock,
      newId: createIdGenerator(),
      nc,
    });
    relay = await startRelay();

    let written = 0;
    const writer = async () => {
      while (written < writes) {
        const n = written++;
        const id = `item-${n}`;
        await withTransaction(producerDb, async (tx) => {
          await tx.execute(sql`INSERT INTO items (id, n) VALUES (${id}, ${n})`);
          await outbox.add(tx, {
            type: ItemCreated,
            payload: { message: id },
            aggregate: { type: "item", id, version: 1 },
          });
          afterCommit(tx, () => outbox.notify());
        });
        if (random() < 0.05) await sleep(random() * 20);
      }
    };

    const kills = 4 + Math.floor(random() * 3);
    const natsRestartAfter = Math.floor(random() * kills);
    const chaos = async () => {
      for (let k = 0; k < kills; k++) {
        await sleep(100 + random() * 500);
        await killRelay();
        if (k === natsRestartAfter) await nats.restart();
        relay = await startRelay();
      }
    };

    await Promise.all([writer(), writer(), writer(), writer(), writer(), writer(), chaos()]);
    assert.equal(await count(producerDb, "SELECT COUNT(*) AS n FROM items"), writes);

    const deadline = Date.now() + 90_000;
    for (;;) {
      const unsent = await count(producerDb, "SELECT COUNT(*) AS n FROM outbox_events WHERE send_time IS NULL");
      const effects = await count(consumerDb, "SELECT COUNT(*) AS n FROM effects");
      if (unsent === 0 && effects >= writes) break;
      if (Date.now() > deadline) assert.fail(`not settled (seed ${seed}): ${unsent} unsent rows, ${effects} effects`);
      await sleep(200);
    }
    await sleep(500); // would-be duplicates arrive late: give them a chance to show up

    const info = await jsm.streams.info(names.stream("auth"));
    assert.equal(info.state.messages, writes, `stream holds each event exactly once (seed ${seed})`);
    const ids = new Set<string>();
    for (let seq = info.state.first_seq; seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(names.stream("auth"), { seq });
      ids.add(m?.header.get("Nats-Msg-Id") ?? "");
    }
    assert.equal(ids.size, writes, "distinct event ids in the stream");
    assert.equal(
      await count(consumerDb, "SELECT COUNT(*) AS n FROM effects"),
      writes,
      `each effect applied once (seed ${seed})`,
    );
    assert.equal(await count(consumerDb, "SELECT COUNT(DISTINCT event_id) AS n FROM effects"), writes);
  });
});
