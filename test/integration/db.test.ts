import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { createDb, type Db, ensureDatabase, mysqlErrno, withTransaction } from "../../platform/db/index.js";
import { dropPrefix, infraUrls, testPrefix } from "../support/infra.js";
import { countErrors } from "../support/statements.js";

describe("service databases (real MariaDB)", () => {
  const prefix = testPrefix();
  let db: Db;
  before(async () => {
    await ensureDatabase(infraUrls().mariadbUrl, `${prefix}_db`);
    db = createDb({ url: infraUrls().mariadbUrl, database: `${prefix}_db`, poolSize: 4 });
    await db.pool.query("CREATE TABLE accounts (id INT PRIMARY KEY, balance INT NOT NULL, at DATETIME(3) NULL)");
    await db.pool.query("INSERT INTO accounts (id, balance) VALUES (1, 100), (2, 100)");
  });
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  it("every pooled connection runs READ COMMITTED in UTC", async () => {
    const conns = await Promise.all([db.pool.getConnection(), db.pool.getConnection(), db.pool.getConnection()]);
    try {
      for (const c of conns) {
        const [rows] = await c.query("SELECT @@session.tx_isolation AS iso, @@session.time_zone AS tz");
        assert.deepEqual(rows, [{ iso: "READ-COMMITTED", tz: "+00:00" }]);
      }
    } finally {
      for (const c of conns) c.release();
    }
  });

  it("writes and reads DATETIME as UTC", async () => {
    const at = new Date(Date.UTC(2031, 5, 15, 12, 30, 45, 123));
    await db.pool.query("UPDATE accounts SET at = ? WHERE id = 1", [at]);
    const [rows] = await db.pool.query("SELECT at, DATE_FORMAT(at, '%H:%i') AS hm FROM accounts WHERE id = 1");
    const row = (rows as Array<{ at: Date; hm: string }>)[0];
    assert.equal(row?.at.toISOString(), at.toISOString());
    assert.equal(row?.hm, "12:30");
  });

  it("retries a transaction that lost a deadlock, so both racing transfers succeed", async () => {
    let attempts = 0;
    let barrier: () => void = () => {};
    const bothLocked = new Promise<void>((resolve) => {
      let n = 0;
      barrier = () => ++n === 2 && resolve();
    });
    // Two transfers lock the accounts in opposite order: a classic deadlock on the first attempt.
    const transfer = (from: number, to: number) =>
      withTransaction(db, async (tx) => {
        attempts++;
        await tx.execute(sql`UPDATE accounts SET balance = balance - 10 WHERE id = ${from}`);
        if (attempts <= 2) {
          barrier();
          await bothLocked;
        }
        await tx.execute(sql`UPDATE accounts SET balance = balance + 10 WHERE id = ${to}`);
      });
    // the victim's 1213 as the driver saw it: how the ticket races count their deadlocks
    const victims = countErrors(db.name, 1213);
    try {
      await Promise.all([transfer(1, 2), transfer(2, 1)]);
    } finally {
      victims.stop();
    }
    assert.ok(attempts >= 3, `one transaction was retried (attempts: ${attempts})`);
    assert.equal(victims.count(), 1, "one deadlock victim on this database");
    const [rows] = await db.pool.query("SELECT SUM(balance) AS total FROM accounts");
    assert.equal(Number((rows as Array<{ total: number }>)[0]?.total), 200, "money neither created nor lost");
  });

  it("does not retry other errors", async () => {
    let attempts = 0;
    await assert.rejects(
      withTransaction(db, async (tx) => {
        attempts++;
        await tx.execute(sql`INSERT INTO accounts (id, balance) VALUES (1, 0)`);
      }),
      (e: unknown) => mysqlErrno(e) === 1062,
    );
    assert.equal(attempts, 1);
  });
});
