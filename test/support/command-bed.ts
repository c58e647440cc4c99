import { randomBytes, randomUUID } from "node:crypto";
import { EchoRequestSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { eventType } from "../../platform/bus/events.js";
import { Outbox } from "../../platform/bus/outbox.js";
import type { Clock } from "../../platform/clock/index.js";
import { IdempotencyStore } from "../../platform/commands/idempotency.js";
import { CommandPipeline } from "../../platform/commands/index.js";
import { infraNames } from "../../platform/config/names.js";
import { createDb, type Db } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { createIdGenerator } from "../../platform/ids/index.js";
import { dropPrefix, infraUrls, platformMigrations, testPrefix } from "./infra.js";

/** The integration event of the pipeline suites (a test message, produced by the test's own service). */
export const WidgetMade = eventType(EchoRequestSchema, "cmdtest");

/**
 * A command pipeline on a database of its own (platform tables from the fixture migrations, plus
 * what `tables` creates), with an outbox that counts relay wake-ups instead of publishing. Mocha
 * hooks create it before the suite and drop it after.
 */
export function commandBed(clock: Clock, tables: string[], o: { poolSize?: number } = {}) {
  const prefix = testPrefix();
  const names = infraNames(prefix);
  const bed = {
    db: undefined as unknown as Db,
    store: undefined as unknown as IdempotencyStore,
    commands: undefined as unknown as CommandPipeline,
    wakes: 0,
    retentionMs: 24 * 3600_000,
    /** The key of request hashes (BOXOFFICE_IDEMPOTENCY_SECRET in a process). */
    requestHashKey: randomBytes(32),
    async count(sql: string, ...params: unknown[]): Promise<number> {
      const [rows] = await bed.db.pool.query(sql, params);
      return Number((rows as Array<{ n: number }>)[0]?.n);
    },
  };
  before(async () => {
    const database = names.database("cmdtest");
    await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: platformMigrations });
    bed.db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: o.poolSize ?? 25 });
    for (const t of tables) await bed.db.pool.query(t);
    bed.store = new IdempotencyStore(bed.db, clock, bed.retentionMs);
    const outbox = new Outbox({
      service: "cmdtest",
      db: bed.db,
      names,
      clock,
      newId: createIdGenerator(clock),
      wakeLocal: () => bed.wakes++,
    });
    bed.commands = new CommandPipeline({
      service: "cmdtest",
      db: bed.db,
      clock,
      idempotency: bed.store,
      requestHashKey: bed.requestHashKey,
      outbox,
      publishes: [WidgetMade],
    });
  });
  after(async () => {
    await bed.db.close();
    await dropPrefix(prefix);
  });
  return bed;
}

/** A fresh request id. */
export const rid = () => randomUUID();
