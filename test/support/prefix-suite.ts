/**
 * A miniature test suite run as a child process under BOXOFFICE_PREFIX: it migrates every service,
 * then writes the same logical names as its twin (same request ids, same Redis key, same message
 * ids on its service stream) and prints what it counts. Run twice at once with different prefixes,
 * each must count only its own writes.
 */
import { randomBytes } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { modules } from "../../cmd/modules.js";
import { EchoRequestSchema, EchoResponseSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { migrateServices } from "../../platform/app/index.js";
import { systemClock } from "../../platform/clock/index.js";
import { IdempotencyStore } from "../../platform/commands/idempotency.js";
import { type CommandDeps, CommandPipeline, command } from "../../platform/commands/index.js";
import { infraNames } from "../../platform/config/names.js";
import { loadRuntimeConfig, serviceNames } from "../../platform/config/runtime.js";
import { createDb } from "../../platform/db/index.js";
import { userPrincipal } from "../../platform/principal/index.js";
import { createRedis } from "../../platform/redis/index.js";

const writes = 30;
const cfg = loadRuntimeConfig(process.env);
const names = infraNames(cfg.prefix);

await migrateServices(serviceNames.map((n) => modules[n]));

const db = createDb({ url: cfg.mariadbUrl, database: names.database("auth"), poolSize: 4 });
const commands = new CommandPipeline({
  service: "auth",
  db,
  clock: systemClock,
  idempotency: new IdempotencyStore(db, systemClock, 3600_000),
  requestHashKey: randomBytes(32),
});
const echo = command({
  name: "prefix.Echo",
  input: EchoRequestSchema,
  output: EchoResponseSchema,
  requestId: (req) => req.requestId,
  execute: async (_d: CommandDeps, _w, req) => ({ message: `${cfg.prefix} ${req.message}` }),
});
for (let i = 0; i < writes; i++) {
  await echo(
    { commands },
    userPrincipal("same"),
    create(EchoRequestSchema, { message: String(i), requestId: `same-request-${i}` }),
  );
}
const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM idempotency_records");
const records = Number((rows as Array<{ n: number }>)[0]?.n);
await db.close();

const redis = createRedis(cfg.redisUrl, names);
await new Promise((resolve) => redis.once("ready", resolve));
for (let i = 0; i < writes; i++) await redis.incr("same-counter");
const counter = Number(await redis.get("same-counter"));
await redis.del("same-counter");
redis.disconnect();

const nc = await connect({ servers: cfg.natsUrl });
const jsm = await jetstreamManager(nc);
const stream = names.stream("auth");
await jsm.streams.add({ name: stream, subjects: [names.subject("auth", ">")] });
const js = jetstream(nc);
for (let i = 0; i < writes; i++)
  await js.publish(names.subject("auth", "same_event"), `m${i}`, { msgID: `same-message-${i}` });
const messages = (await jsm.streams.info(stream)).state.messages;
await jsm.streams.delete(stream);
await nc.close();

process.stdout.write(`${JSON.stringify({ prefix: cfg.prefix, records, counter, messages })}\n`);
