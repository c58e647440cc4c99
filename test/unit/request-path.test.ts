import assert from "node:assert/strict";
import { ManualClock } from "../../platform/clock/index.js";
import { loadRuntimeConfig } from "../../platform/config/runtime.js";
import { createRequestIdGenerator } from "../../platform/ids/index.js";
import { defaultAccessLog, parseAccessLog } from "../../platform/log/index.js";

describe("request ids", () => {
  it("are UUIDv7-shaped, unique and ordered by time", () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const next = createRequestIdGenerator(clock);
    const ids = Array.from({ length: 10_000 }, (_, i) => {
      if (i === 5000) clock.advance(1);
      return next();
    });
    for (const id of ids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(new Set(ids).size, ids.length);
    assert.deepEqual([...ids].sort(), ids, "sortable like UUIDv7");
    assert.notEqual(
      createRequestIdGenerator(clock)(),
      createRequestIdGenerator(clock)(),
      "another process, another id",
    );
  });
});

describe("access log setting", () => {
  it("accepts all, errors and sample:<ratio>", () => {
    assert.deepEqual(parseAccessLog("all"), { kind: "all" });
    assert.deepEqual(parseAccessLog("errors"), { kind: "errors" });
    assert.deepEqual(parseAccessLog("sample:0.01"), { kind: "sample", ratio: 0.01 });
    assert.deepEqual(parseAccessLog("sample:1"), { kind: "sample", ratio: 1 });
    for (const bad of ["none", "sample:", "sample:2", "sample:-0.1", "ALL"]) assert.throws(() => parseAccessLog(bad));
  });

  it("defaults to every call in development and to errors in production", () => {
    assert.deepEqual(defaultAccessLog({}), { kind: "all" });
    assert.deepEqual(defaultAccessLog({ BOXOFFICE_ENV: "production" }), { kind: "errors" });
  });

  it("is checked with the rest of the configuration", () => {
    assert.equal(loadRuntimeConfig({ BOXOFFICE_ACCESS_LOG: "sample:0.5" }).accessLog, "sample:0.5");
    assert.throws(() => loadRuntimeConfig({ BOXOFFICE_ACCESS_LOG: "loud" }), /BOXOFFICE_ACCESS_LOG/);
  });
});
