import assert from "node:assert/strict";
import { createServer, type Server, type Socket, connect as tcpConnect } from "node:net";
import { sql } from "drizzle-orm";
import { dropPrefix, infraUrls, testPrefix } from "../../test/support/infra.js";
import { isDatabaseBusy, isDatabaseUnavailable } from "./errors.js";
import { createDb, type Db, ensureDatabase, withTransaction } from "./index.js";

/** A TCP proxy in front of MariaDB that can swallow every byte (a black-holed server, connections open). */
async function blackHoleProxy(target: URL): Promise<{ url: string; hole(on: boolean): void; close(): Promise<void> }> {
  let holed = false;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(Number(target.port), target.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on("error", () => undefined);
      s.on("close", () => sockets.delete(s));
    }
    client.on("data", (b) => !holed && upstream.write(b));
    upstream.on("data", (b) => !holed && client.write(b));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return {
    url: url.toString().replace(/\/$/, ""),
    hole: (on) => {
      holed = on;
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

describe("database calls are bounded (MariaDB black-holed behind a proxy)", function () {
  this.timeout(30_000);
  const prefix = testPrefix();
  const database = `${prefix}_guard`;
  let proxy: Awaited<ReturnType<typeof blackHoleProxy>>;
  let db: Db;
  before(async () => {
    await ensureDatabase(infraUrls().mariadbUrl, database);
    proxy = await blackHoleProxy(new URL(infraUrls().mariadbUrl));
    db = createDb({
      url: proxy.url,
      database,
      poolSize: 4,
      queryTimeoutMs: 500,
      acquireTimeoutMs: 300,
      queueLimit: 20,
    });
    await db.pool.query("CREATE TABLE t (id INT PRIMARY KEY)");
  });
  after(async () => {
    proxy.hole(false);
    await db.close().catch(() => undefined);
    await proxy.close();
    await dropPrefix(prefix);
  });

  it("with the server silent, every call fails fast as 'unavailable', and recovers by itself", async () => {
    assert.deepEqual(await db.orm.execute(sql`SELECT 1 AS one`).then(([rows]) => rows), [{ one: 1 }]);
    proxy.hole(true);
    const started = Date.now();
    const calls = Array.from({ length: 100 }, (_, i) =>
      i % 2 === 0
        ? db.orm.execute(sql`SELECT ${i} AS n`)
        : withTransaction(db, (tx) => tx.execute(sql`INSERT INTO t VALUES (${i})`)),
    );
    const results = await Promise.allSettled(calls);
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3_000, `100 calls settled in ${elapsed} ms, not hanging`);
    for (const r of results) {
      assert.equal(r.status, "rejected");
      assert.ok(isDatabaseUnavailable(r.reason), `classified as unavailable: ${String(r.reason)}`);
    }
    proxy.hole(false);
    let recovered = false;
    for (let i = 0; i < 50 && !recovered; i++) {
      recovered = await db.orm.execute(sql`SELECT 1`).then(
        () => true,
        () => false,
      );
      if (!recovered) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(recovered, "queries succeed again once the server answers");
    await withTransaction(db, (tx) => tx.execute(sql`INSERT INTO t VALUES (1000)`));
  });

  it("the server answering but every connection busy is overload, not an outage; a waiter that gave up leaves the queue", async () => {
    proxy.hole(false);
    const busy = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 1, acquireTimeoutMs: 300 });
    try {
      // the one connection changes hands during the wait, but never reaches this waiter in time
      const held = await busy.pool.getConnection();
      const first = busy.pool.getConnection(); // queued ahead
      const late = busy.pool.getConnection().then(
        () => assert.fail("no connection was free"),
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 100));
      held.release();
      const next = await first;
      const err = await late;
      assert.ok(isDatabaseBusy(err), `overload: ${String(err)}`);
      assert.ok(isDatabaseUnavailable(err), "still retryable for consumers");
      // 50 waiters that give up must not stand between a freed connection and the next live caller
      const abandoned = Array.from({ length: 50 }, () => busy.pool.getConnection().catch(() => undefined));
      await Promise.all(abandoned);
      const live = busy.pool.getConnection();
      const freed = performance.now();
      next.release();
      (await live).release();
      assert.ok(performance.now() - freed < 100, "the live caller got the connection at once");
    } finally {
      await busy.close();
    }
  });

  it("every connection in a long transaction while the server answers is overload too, though none is released", async () => {
    // the first second of an on-sale: each open connection runs a multi-statement transaction and
    // none comes back within the wait, yet the server answers all along (it was UNAVAILABLE)
    proxy.hole(false);
    const busy = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 2, acquireTimeoutMs: 300 });
    try {
      const [a, b] = await Promise.all([busy.pool.getConnection(), busy.pool.getConnection()]);
      let stop = false;
      const chatter = (async () => {
        while (!stop) {
          await a.query("SELECT 1");
          await new Promise((r) => setTimeout(r, 20));
        }
      })();
      const err = await busy.pool.getConnection().then(
        () => assert.fail("no connection was free"),
        (e: unknown) => e,
      );
      stop = true;
      await chatter;
      assert.ok(isDatabaseBusy(err), `overload: ${String(err)}`);
      a.release();
      b.release();
    } finally {
      await busy.close();
    }
  });

  it("a connection its holder destroys gives its permit back (once), so the pool never runs dry", async () => {
    proxy.hole(false);
    const small = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 2, acquireTimeoutMs: 300 });
    try {
      // four times the pool: with the permit lost on each destroy, the third getConnection timed out
      for (let i = 0; i < 8; i++) {
        const conn = await small.pool.getConnection();
        await conn.query("SELECT 1");
        conn.destroy();
        // a holder that also releases after destroying must not hand the permit back twice
        if (i % 2 === 1) conn.release();
      }
      const [a, b] = await Promise.all([small.pool.getConnection(), small.pool.getConnection()]);
      // both permits in use: a third waits and fails (released twice would have let it through)
      await assert.rejects(small.pool.getConnection(), (e: unknown) => isDatabaseBusy(e) || isDatabaseUnavailable(e));
      await assert.rejects(
        a
          .query("SELECT 1")
          .then(() => a.destroy())
          .then(() => a.query("SELECT 1")),
      );
      b.release();
      (await small.pool.getConnection()).release();
    } finally {
      await small.close();
    }
  });
});
