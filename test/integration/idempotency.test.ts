import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EchoRequestSchema, EchoResponseSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { ManualClock } from "../../platform/clock/index.js";
import { type IdempotencyKey, IdempotencyStore } from "../../platform/db/idempotency.js";
import { createDb, type Db } from "../../platform/db/index.js";
import { migrate } from "../../platform/db/migrate.js";
import { FailedPreconditionError } from "../../platform/rpc/errors.js";
import { dropPrefix, infraUrls, testPrefix } from "../support/infra.js";

const platformMigrations = fileURLToPath(new URL("../../services/auth/db/migrations", import.meta.url));

describe("idempotency store (AIP-155) on real MariaDB", () => {
  const prefix = testPrefix();
  const database = `${prefix}_idem`;
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const retentionMs = 24 * 3600_000;
  let db: Db;
  let store: IdempotencyStore;

  before(async () => {
    await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: platformMigrations });
    db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 25 });
    await db.pool.query("CREATE TABLE widgets (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL)");
    store = new IdempotencyStore(db, clock, retentionMs);
  });
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  const widgets = async (name: string) => {
    const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM widgets WHERE name = ?", [name]);
    return Number((rows as Array<{ n: number }>)[0]?.n);
  };

  /** The effect: one widget row, slow enough that duplicates really overlap. */
  const createWidget = (name: string) =>
    store.run(
      { caller: "user:alice", method: "/test.Widgets/Create", requestId: `req-${name}` } satisfies IdempotencyKey,
      { schema: EchoRequestSchema, message: create(EchoRequestSchema, { message: name }) },
      EchoResponseSchema,
      async (tx) => {
        await tx.execute(sql`INSERT INTO widgets (name) VALUES (${name})`);
        await tx.execute(sql`DO SLEEP(0.05)`);
        const [rows] = (await tx.execute(sql`SELECT LAST_INSERT_ID() AS id`)) as unknown as [Array<{ id: number }>];
        return { message: `widget ${rows[0]?.id} (${Math.random()})` };
      },
    );

  it("the same request_id 20 times at once: one effect, 20 identical responses", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => createWidget("twenty")));
    assert.equal(await widgets("twenty"), 1, "exactly one widget");
    const messages = new Set(results.map((r) => r.response.message));
    assert.equal(messages.size, 1, `one response for all: ${[...messages].join(" | ")}`);
    assert.equal(results.filter((r) => !r.replayed).length, 1, "one original, 19 replays");
  });

  it("a later repeat gets the first response", async () => {
    const first = await createWidget("later");
    const again = await createWidget("later");
    assert.equal(again.replayed, true);
    assert.equal(again.response.message, first.response.message);
    assert.equal(await widgets("later"), 1);
  });

  it("the same request_id with a different request → FAILED_PRECONDITION, no effect", async () => {
    await createWidget("original");
    const key = { caller: "user:alice", method: "/test.Widgets/Create", requestId: "req-original" };
    await assert.rejects(
      store.run(
        key,
        { schema: EchoRequestSchema, message: create(EchoRequestSchema, { message: "something else" }) },
        EchoResponseSchema,
        async (tx) => {
          await tx.execute(sql`INSERT INTO widgets (name) VALUES ('something else')`);
          return { message: "never" };
        },
      ),
      (e: unknown) => e instanceof FailedPreconditionError && e.reason === "REQUEST_ID_REUSED",
    );
    assert.equal(await widgets("something else"), 0);
  });

  it("scopes ids by caller and method", async () => {
    const run = (caller: string, method: string) =>
      store.run(
        { caller, method, requestId: "shared-id-1" },
        { schema: EchoRequestSchema, message: create(EchoRequestSchema, { message: "s" }) },
        EchoResponseSchema,
        async () => ({
          message: `${caller} ${method}`,
        }),
      );
    assert.equal((await run("user:a", "/m1")).response.message, "user:a /m1");
    assert.equal((await run("user:b", "/m1")).response.message, "user:b /m1");
    assert.equal((await run("user:a", "/m2")).response.message, "user:a /m2");
  });

  it("a failed attempt leaves no record: the retry performs the effect", async () => {
    const key = { caller: "user:alice", method: "/test.Widgets/Create", requestId: "req-flaky" };
    const request = { schema: EchoRequestSchema, message: create(EchoRequestSchema, { message: "flaky" }) };
    await assert.rejects(
      store.run(key, request, EchoResponseSchema, async (tx) => {
        await tx.execute(sql`INSERT INTO widgets (name) VALUES ('flaky')`);
        throw new Error("payment provider timed out");
      }),
      /timed out/,
    );
    assert.equal(await widgets("flaky"), 0, "the effect rolled back with the record");
    const ok = await store.run(key, request, EchoResponseSchema, async (tx) => {
      await tx.execute(sql`INSERT INTO widgets (name) VALUES ('flaky')`);
      return { message: "second try" };
    });
    assert.deepEqual([ok.replayed, ok.response.message, await widgets("flaky")], [false, "second try", 1]);
  });

  it("prunes records past their retention, and only those", async () => {
    await createWidget("old");
    clock.advance(retentionMs + 1000);
    await createWidget("new");
    let pruned = 0;
    for (let n = await store.prune(2); n > 0; n = await store.prune(2)) pruned += n;
    assert.ok(pruned >= 1);
    const again = await createWidget("new");
    assert.equal(again.replayed, true, "the fresh record survived");
    const old = await createWidget("old");
    assert.equal(old.replayed, false, "the old id is new again after pruning");
  });
});
