import assert from "node:assert/strict";
import { sql } from "drizzle-orm";
import { DrizzleQueryError } from "drizzle-orm/errors";
import { describeError } from "../../platform/bus/consumer-nats.js";
import { ConfigError } from "../../platform/config/index.js";
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { createDb, ensureDatabase } from "../../platform/db/index.js";
import { createLogger } from "../../platform/log/index.js";
import { safeError } from "../../platform/log/safe-error.js";
import { dropPrefix, infraUrls, testPrefix } from "../support/infra.js";

const hash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo";

/** A mysql2 error as the driver throws it for a duplicate e-mail. */
function duplicateEmail(): Error {
  return Object.assign(new Error("Duplicate entry 'bob@example.com' for key 'users_email'"), {
    code: "ER_DUP_ENTRY",
    errno: 1062,
    sqlState: "23000",
    sqlMessage: "Duplicate entry 'bob@example.com' for key 'users_email'",
    sql: `insert into users values ('bob@example.com', '${hash}')`,
  });
}

describe("secrets never reach logs, dead letters or config errors", () => {
  it("a real database error, logged by the process logger, carries no parameter or quoted value", async () => {
    const prefix = testPrefix();
    const database = `${prefix}_redact`;
    await ensureDatabase(infraUrls().mariadbUrl, database);
    const db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 2 });
    const lines: string[] = [];
    const logger = createLogger({ level: "info", destination: { write: (l: string) => void lines.push(l) } });
    try {
      await db.pool.query("CREATE TABLE users (email VARCHAR(191) PRIMARY KEY, password_hash VARCHAR(255) NOT NULL)");
      const insert = () => db.orm.execute(sql`INSERT INTO users VALUES (${"bob@example.com"}, ${hash})`);
      await insert();
      const err = await insert().then(
        () => assert.fail("the duplicate was accepted"),
        (e: unknown) => e,
      );
      logger.error({ err }, "register failed");
      assert.equal(lines.length, 1);
      for (const secret of ["bob@example.com", hash])
        assert.ok(!lines[0]!.includes(secret), `${secret} in ${lines[0]}`);
      assert.match(lines[0]!, /Duplicate entry/);
    } finally {
      await db.close();
      await dropPrefix(prefix);
    }
  });

  it("a drizzle query error loses its parameters, and its cause the quoted value", () => {
    const err = new DrizzleQueryError(
      "insert into `users` (`email`, `password_hash`) values (?, ?)",
      ["bob@example.com", hash],
      duplicateEmail(),
    );
    const text = JSON.stringify(safeError(err)) + describeError(err);
    for (const secret of ["bob@example.com", hash, "c2FsdHNhbHQ"])
      assert.ok(!text.includes(secret), `${secret} leaked: ${text}`);
    assert.match(text, /Failed query: insert into `users`/, "the statement (placeholders only) stays");
    assert.match(text, /users_email/, "the key name stays");
    assert.equal(safeError(err).cause?.errno, 1062);
  });

  it("config errors name each bad variable without echoing secrets or URL credentials", () => {
    const err = (() => {
      try {
        loadRuntimeConfig({
          BOXOFFICE_SERVICE_SECRETS: "ticket=tooshort,payment=alsoshort",
          BOXOFFICE_MARIADB_URL: "mysql://root:hunter2-secret@db:notaport",
        });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    assert.ok(err instanceof ConfigError);
    const text = err.message;
    assert.match(text, /BOXOFFICE_SERVICE_SECRETS=\[redacted\]/);
    assert.match(text, /BOXOFFICE_MARIADB_URL=/);
    for (const secret of ["tooshort", "alsoshort", "hunter2-secret"])
      assert.ok(!text.includes(secret), `${secret} in: ${text}`);
  });

  it("non-secret values are still quoted (bounded) so an operator sees what was wrong", () => {
    try {
      loadRuntimeConfig({ BOXOFFICE_PORT: "eighty" });
      assert.fail("accepted a bad port");
    } catch (e) {
      assert.match((e as Error).message, /BOXOFFICE_PORT="eighty"/);
    }
  });
});
