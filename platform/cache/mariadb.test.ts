import assert from "node:assert/strict";
import { createPool, type Pool, type RowDataPacket } from "mysql2/promise";
import { type Instance, type Item, instance, waitFor } from "../../test/support/cache-kit.js";
import { dropPrefix, infraUrls, rawConnection, testPrefix } from "../../test/support/infra.js";
import { infraNames } from "../config/names.js";

/**
 * The source is real MariaDB through a mysql2 pool. What is counted: every `pool.query()` call,
 * by wrapping the pool's method; load() issues exactly one SELECT through it, and nothing else
 * uses that pool for reads, so the count is the number of SELECTs the cache caused.
 */
describe("cache: load() from real MariaDB, counted at the pool", function () {
  this.timeout(60_000);
  const prefix = testPrefix();
  const database = infraNames(prefix).database("cachetest");
  let pool: Pool;
  let selects = 0;
  let a: Instance;
  let b: Instance;

  const load = async (id: string): Promise<Item | undefined> => {
    const [rows] = await pool.query<RowDataPacket[]>("SELECT id, name, version FROM events WHERE id = ?", [id]);
    const r = rows[0];
    return r === undefined ? undefined : { id: String(r.id), name: String(r.name), version: Number(r.version) };
  };

  before(async () => {
    const c = await rawConnection();
    await c.query(`CREATE DATABASE \`${database}\``);
    await c.query(
      `CREATE TABLE \`${database}\`.events (id VARCHAR(36) PRIMARY KEY, name VARCHAR(200) NOT NULL, version INT NOT NULL)`,
    );
    await c.end();
    const u = new URL(infraUrls().mariadbUrl);
    pool = createPool({
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username || "root"),
      password: decodeURIComponent(u.password),
      database,
      connectionLimit: 8,
    });
    const query = pool.query.bind(pool) as (...args: unknown[]) => unknown;
    (pool as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      selects++;
      return query(...args);
    };
    await pool.execute("INSERT INTO events (id, name, version) VALUES (?, ?, 1), (?, ?, 1)", [
      "ev-1",
      "Opening night",
      "ev-2",
      "Matinee",
    ]);
    const url = infraUrls().redisUrl;
    a = await instance(url, prefix, load);
    b = await instance(url, prefix, load);
  });
  after(async () => {
    await a?.close();
    await b?.close();
    await pool?.end();
    await dropPrefix(prefix);
  });

  it("500 concurrent get() on a cold row: one SELECT, 500 equal answers", async () => {
    const before = selects;
    const answers = await Promise.all(Array.from({ length: 500 }, () => a.cache.get("ev-1")));
    assert.equal(selects - before, 1);
    for (const x of answers) assert.deepEqual(x, { id: "ev-1", name: "Opening night", version: 1 });
    const again = await Promise.all(Array.from({ length: 500 }, (_, i) => (i % 2 ? a : b).cache.get("ev-1")));
    assert.ok(again.every((x) => x?.name === "Opening night"));
    assert.equal(selects - before, 1, "warm on both instances: no further SELECT");
  });

  it("10,000 get() over 100 unknown ids: at most 100 SELECTs", async () => {
    const before = selects;
    const ids = Array.from({ length: 100 }, (_, i) => `missing-${i}`);
    for (let wave = 0; wave < 10; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 1000 }, (_, i) => (i % 2 ? a : b).cache.get(ids[(i + wave * 13) % 100]!)),
      );
      assert.ok(answers.every((x) => x === undefined));
    }
    assert.ok(selects - before <= 100, `${selects - before} SELECTs`);
  });

  it("an UPDATE committed and invalidated on A is what B reads right after", async () => {
    await Promise.all([a.cache.get("ev-2"), b.cache.get("ev-2"), b.cache.get("ev-2")]);
    await pool.execute("UPDATE events SET name = ?, version = version + 1 WHERE id = ?", ["Matinee (moved)", "ev-2"]);
    await a.cache.invalidate("ev-2");
    await waitFor("B reads the update", async () => (await b.cache.get("ev-2"))?.name === "Matinee (moved)", 1_000, 5);
    const before = selects;
    for (let i = 0; i < 100; i++) assert.equal((await b.cache.get("ev-2"))?.version, 2);
    assert.ok(selects - before <= 1, "and it is cached again");
  });
});
