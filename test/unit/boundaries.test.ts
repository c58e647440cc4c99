import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

/**
 * The boundary rules of `make boundaries` fire: run with the real .dependency-cruiser.cjs on a
 * fixture tree whose demo service writes around the pipeline, they report exactly its violations.
 * Imports are not the only way around the pipeline, so raw SQL on the platform tables is searched
 * for too — in the fixture (found) and in every real service (none).
 */
const root = fileURLToPath(new URL("../..", import.meta.url));
const fixture = join(root, "test/fixtures/boundaries");
const platformTables = /\b(idempotency_records|outbox_events|inbox_events|inbox_aggregates)\b/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sources(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Service files (tests and migrations aside) that name a platform table in their code. */
function rawPlatformSql(base: string): string[] {
  return sources(join(base, "services"))
    .filter((f) => !f.endsWith(".test.ts") && platformTables.test(readFileSync(f, "utf8")))
    .map((f) => relative(base, f));
}

describe("boundaries: services write only through the pipeline", function () {
  this.timeout(30_000);

  it("the dependency rules report every import around the pipeline and every transport leak in the fixture", async () => {
    const { stdout } = await promisify(execFile)(
      join(root, "node_modules/.bin/depcruise"),
      ["--config", join(root, ".dependency-cruiser.cjs"), "--output-type", "json", "platform", "services"],
      { cwd: fixture, maxBuffer: 16 << 20 },
    ).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? "" })); // exits non-zero on violations
    const report = JSON.parse(stdout) as {
      summary: { violations: Array<{ rule: { name: string }; from: string; to: string }> };
    };
    const found = report.summary.violations.map((v) => `${v.rule.name}: ${v.from} → ${v.to}`).sort();
    assert.deepEqual(found, [
      "services-write-through-the-pipeline: services/demo/use-cases/sneaky-write.ts → platform/bus/outbox.ts",
      "services-write-through-the-pipeline: services/demo/use-cases/sneaky-write.ts → platform/commands/idempotency.ts",
      "services-write-through-the-pipeline: services/demo/use-cases/sneaky-write.ts → platform/db/platform-schema.ts",
      "use-cases-are-transport-neutral: services/demo/domain/leaky-rule.ts → platform/rpc/context.ts",
    ]);
  });

  it("raw SQL on the platform tables: found in the fixture, in no real service", () => {
    assert.deepEqual(rawPlatformSql(fixture), ["services/demo/use-cases/sneaky-write.ts"]);
    assert.deepEqual(rawPlatformSql(root), []);
  });
});
