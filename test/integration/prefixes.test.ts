import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { dropPrefix, prefixedEnv, testPrefix } from "../support/infra.js";

const suite = fileURLToPath(new URL("../support/prefix-suite.ts", import.meta.url));
const run = promisify(execFile);

describe("prefixes: two suites at once on the same servers", function () {
  this.timeout(60_000);
  const prefixes = [testPrefix(), testPrefix()];
  after(async () => {
    for (const p of prefixes) await dropPrefix(p);
  });

  it("each sees exactly its own databases, records, Redis keys and stream messages", async () => {
    const results = await Promise.all(
      prefixes.map((p) =>
        run(process.execPath, ["--import", "tsx", suite], {
          env: { ...process.env, ...prefixedEnv(p), BOXOFFICE_LOG_LEVEL: "silent" },
        }),
      ),
    );
    const counts = results.map((r) => JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}"));
    assert.deepEqual(
      counts,
      prefixes.map((prefix) => ({ prefix, records: 30, counter: 30, messages: 30 })),
    );
    for (const p of prefixes) {
      const dropped = await dropPrefix(p);
      assert.deepEqual(
        dropped.sort(),
        ["auth", "event", "notification", "payment", "ticket"].map((s) => `${p}_${s}`),
      );
    }
  });
});
