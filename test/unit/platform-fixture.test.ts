import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { getTableConfig, MySqlTable } from "drizzle-orm/mysql-core";
import * as platformSchema from "../../platform/db/platform-schema.js";
import { platformMigrations } from "../support/infra.js";

/**
 * The fixture migrations platform tests run on must create every platform table and column of
 * platform/db/platform-schema.ts: when the schema changes, `make migrations` (SERVICE=platform)
 * regenerates them, and this says so if it was forgotten.
 */
describe("platform tables fixture (test/fixtures/migrations/platform)", () => {
  it("creates every table and column of platform-schema.ts", () => {
    const sql = readdirSync(platformMigrations)
      .filter((f) => f.endsWith(".sql"))
      .map((f) => readFileSync(join(platformMigrations, f), "utf8"))
      .join("\n");
    const missing: string[] = [];
    for (const table of Object.values(platformSchema).filter((t) => t instanceof MySqlTable)) {
      const { name, columns } = getTableConfig(table);
      if (!sql.includes(`\`${name}\``)) missing.push(name);
      for (const c of columns) if (!sql.includes(`\`${c.name}\``)) missing.push(`${name}.${c.name}`);
    }
    assert.deepEqual(missing, [], "regenerate the fixture: make migrations");
  });
});
