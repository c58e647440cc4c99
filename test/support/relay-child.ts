/**
 * A relay in a process of its own, for tests that SIGKILL it: publishes the outbox of
 * `<prefix>_<RELAY_SERVICE>` until killed (or drains on SIGTERM). Prints "ready" once started.
 */
import { pino } from "pino";
import { Registry } from "prom-client";
import { connectNats } from "../../platform/bus/nats.js";
import { OutboxRelay } from "../../platform/bus/relay.js";
import { systemClock } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { createDb } from "../../platform/db/index.js";

const cfg = loadRuntimeConfig(process.env);
const service = process.env.RELAY_SERVICE ?? "auth";
const names = infraNames(cfg.prefix);
const db = createDb({ url: cfg.mariadbUrl, database: names.database(service), poolSize: 4 });
const nc = await connectNats(cfg.natsUrl, `relay-child-${process.pid}`);
const relay = new OutboxRelay({
  service,
  db,
  nc,
  names,
  clock: systemClock,
  logger: pino({ level: process.env.BOXOFFICE_LOG_LEVEL ?? "silent" }),
  registry: new Registry(),
  instance: `child-${process.pid}`,
  sweepMs: 50,
  batchSize: 64,
  publishTimeoutMs: 2_000,
});
relay.start();
process.stdout.write("ready\n");
process.once("SIGTERM", async () => {
  await relay.stop();
  await nc.close();
  await db.close();
  process.exit(0);
});
