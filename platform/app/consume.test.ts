import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { pino } from "pino";
import { EchoRequestSchema, EchoResponseSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { dropPrefix, platformMigrations, prefixedEnv, testPrefix } from "../../test/support/infra.js";
import { eventType } from "../bus/events.js";
import { sleep } from "../clock/index.js";
import { type CommandDeps, command } from "../commands/index.js";
import { servicePrincipal } from "../principal/index.js";
import { migrateServices, type RunningProcess, serviceModule, startProcess } from "./index.js";

/**
 * A service's consumer through the pipeline, in a process of two toy services on the platform
 * tables alone: "payment" emits Pinged from a command; "notification" consumes it with
 * ctx.consume and runs its own command inside the inbox transaction ({ within: scope }).
 */
const Pinged = eventType(EchoRequestSchema, "payment");
type Deps = CommandDeps;

const ping = command({
  name: "payment.Ping",
  input: EchoRequestSchema,
  output: EchoResponseSchema,
  requestId: (req) => req.requestId,
  async execute(_d: Deps, w, req) {
    await w.emit({
      type: Pinged,
      payload: { message: req.message },
      aggregate: { type: "ping", id: req.requestId, version: 1 },
    });
    return { message: req.message };
  },
});

const afterCommits: string[] = [];
let failOnce = new Set<string>();

const recordHeard = command({
  name: "notification.RecordHeard",
  input: EchoRequestSchema,
  output: EchoResponseSchema,
  requestId: (req) => req.requestId,
  async execute(_d: Deps, w, req) {
    await w.tx.execute(sql`INSERT INTO heard (message, caller) VALUES (${req.message}, ${w.principal?.kind ?? ""})`);
    w.afterCommit(() => void afterCommits.push(req.message));
    return { message: req.message };
  },
});

const producer = serviceModule({
  name: "payment",
  contracts: [],
  migrations: platformMigrations,
  publishes: [Pinged],
  create(ctx) {
    const deps: Deps = { commands: ctx.commands() };
    return { services: [], internals: { deps } };
  },
});

const consumer = serviceModule({
  name: "notification",
  contracts: [],
  migrations: platformMigrations,
  async create(ctx) {
    const db = ctx.database();
    await db.pool.query(
      "CREATE TABLE IF NOT EXISTS heard (message VARCHAR(100) NOT NULL, caller VARCHAR(16) NOT NULL)",
    );
    const deps: Deps = { commands: ctx.commands() };
    await ctx.consume({
      name: "notification.pinged",
      type: Pinged,
      kind: "every-fact",
      backoffMs: [50],
      async handle(event, scope) {
        const req = create(EchoRequestSchema, { message: event.payload.message, requestId: event.envelope.eventId });
        await recordHeard(deps, scope.principal, req, { within: scope });
        if (failOnce.delete(req.message)) throw new Error("the handler failed after the command");
      },
    });
    return { services: [], internals: { db } };
  },
});

describe("ctx.consume through the pipeline (two toy services, real MariaDB and NATS)", function () {
  this.timeout(30_000);
  const prefix = testPrefix();
  let proc: RunningProcess;
  const heard = async (message: string) => {
    const db = proc.services.get("notification")!.internals!.db as {
      pool: { query(s: string, p: unknown[]): Promise<unknown> };
    };
    const [rows] = (await db.pool.query("SELECT caller FROM heard WHERE message = ?", [message])) as [
      Array<{ caller: string }>,
    ];
    return rows.map((r) => r.caller);
  };
  const send = (message: string) => {
    const deps = proc.services.get("payment")!.internals!.deps as Deps;
    return ping(deps, servicePrincipal("payment"), create(EchoRequestSchema, { message, requestId: randomUUID() }));
  };
  const until = async (what: string, ok: () => Promise<boolean>) => {
    for (const deadline = Date.now() + 10_000; !(await ok()); await sleep(25))
      if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
  };

  before(async () => {
    const env = { ...prefixedEnv(prefix), BOXOFFICE_HOST: "127.0.0.1", BOXOFFICE_PORT: "0", BOXOFFICE_ADMIN_PORT: "0" };
    await migrateServices([producer, consumer], env);
    proc = await startProcess({ modules: [producer, consumer], env, logger: pino({ level: "silent" }) });
  });
  after(async () => {
    await proc?.stop();
    await dropPrefix(prefix);
  });

  it("the consumer's command commits with the inbox row, as the service, and its hooks run after that commit", async () => {
    await send("hello");
    await until("hello heard", async () => (await heard("hello")).length > 0);
    await sleep(100);
    assert.deepEqual(await heard("hello"), ["service"], "once, with the consuming service as principal");
    assert.deepEqual(
      afterCommits.filter((m) => m === "hello"),
      ["hello"],
    );
  });

  it("a handler failing after the command rolls the command back with the inbox row; the retry applies it once", async () => {
    failOnce = new Set(["flaky"]);
    await send("flaky");
    await until("flaky heard", async () => (await heard("flaky")).length > 0);
    await sleep(150);
    assert.deepEqual(await heard("flaky"), ["service"]);
    assert.deepEqual(
      afterCommits.filter((m) => m === "flaky"),
      ["flaky"],
      "the failed attempt's hook never ran",
    );
  });
});
