import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import type { Connection } from "mysql2/promise";
import { MigrationError, migrate } from "../../platform/db/migrate.js";
import { dropPrefix, infraUrls, rawConnection, testPrefix } from "../support/infra.js";

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/migrations/${name}`, import.meta.url));

async function columns(conn: Connection, database: string): Promise<string[]> {
  const [rows] = await conn.query(
    "SELECT CONCAT(table_name, '.', column_name, ':', column_type, ':', IFNULL(column_default, '')) AS c FROM information_schema.columns WHERE table_schema = ? ORDER BY table_name, ordinal_position",
    [database],
  );
  return (rows as Array<{ c: string }>).map((r) => r.c);
}

async function recorded(conn: Connection, database: string): Promise<number[]> {
  const [rows] = await conn.query(`SELECT created_at FROM \`${database}\`.__drizzle_migrations ORDER BY created_at`);
  return (rows as Array<{ created_at: number }>).map((r) => Number(r.created_at));
}

describe("migrations under a named lock (real MariaDB)", () => {
  const prefix = testPrefix();
  let conn: Connection;
  before(async () => {
    conn = await rawConnection();
  });
  after(async () => {
    await conn.end();
    await dropPrefix(prefix);
  });

  it("applies pending migrations once; a second run changes nothing", async () => {
    const database = `${prefix}_twice`;
    const first = await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: fixture("good") });
    assert.deepEqual(first.applied, ["0000_widgets", "0001_widget_color"]);
    const schema = await columns(conn, database);
    assert.ok(schema.includes("widgets.color:varchar(20):'red'"), schema.join("\n"));
    const second = await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: fixture("good") });
    assert.deepEqual(second.applied, []);
    assert.deepEqual(await columns(conn, database), schema);
    assert.deepEqual(await recorded(conn, database), [1700000000000, 1700000100000]);
  });

  it("two migrators racing: one applies, the other waits and finds nothing to do", async () => {
    const database = `${prefix}_race`;
    const run = async () => {
      const r = await migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: fixture("good") });
      return { ...r, done: Date.now() };
    };
    const [a, b] = await Promise.all([run(), run()]);
    const winner = a.applied.length > 0 ? a : b;
    const loser = winner === a ? b : a;
    assert.deepEqual(winner.applied, ["0000_widgets", "0001_widget_color"]);
    assert.deepEqual(loser.applied, []);
    assert.ok(loser.done >= winner.done, "the loser finished after the winner: it waited for the lock");
    assert.deepEqual(await recorded(conn, database), [1700000000000, 1700000100000], "each migration recorded once");
  });

  it("a failing migration names itself and its statement, and is not recorded as done", async () => {
    const database = `${prefix}_broken`;
    await assert.rejects(
      migrate({ url: infraUrls().mariadbUrl, database, migrationsFolder: fixture("broken") }),
      (e: unknown) => {
        assert.ok(e instanceof MigrationError);
        assert.equal(e.tag, "0001_gadgets_broken");
        assert.equal(e.statement, 2);
        assert.match(
          e.message,
          /migration 0001_gadgets_broken on t[0-9a-f]+_broken failed at statement 2: .*NOT_A_TYPE/,
        );
        return true;
      },
    );
    assert.deepEqual(await recorded(conn, database), [1700000000000], "only the good migration is recorded");
  });
});
