import assert from "node:assert/strict";
import { pino } from "pino";
import { dropPrefix, infraUrls, testPrefix } from "../../test/support/infra.js";
import { sleep } from "../clock/index.js";
import { createDb, type Db, ensureDatabase } from "../db/index.js";
import { startPeriodicJob } from "./index.js";

/** Periodic jobs: schedule, no overlap, stop, and one replica at a time with `exclusive` (real MariaDB). */
describe("periodic jobs", () => {
  const prefix = testPrefix();
  const logger = pino({ level: "silent" });
  let db: Db;
  before(async () => {
    const database = `${prefix}_jobs`;
    await ensureDatabase(infraUrls().mariadbUrl, database);
    db = createDb({ url: infraUrls().mariadbUrl, database, poolSize: 4 });
  });
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  it("runs every interval after the previous run ends, never two at once; a failing run does not stop it", async () => {
    let running = 0;
    let most = 0;
    let runs = 0;
    const job = startPeriodicJob(
      {
        name: "ticker",
        everyMs: 20,
        firstRunMs: 0,
        run: async () => {
          running++;
          most = Math.max(most, running);
          runs++;
          await sleep(15);
          running--;
          if (runs === 2) throw new Error("a bad run");
        },
      },
      { logger },
    );
    void job.runNow(); // a manual run racing the schedule waits its turn
    await sleep(300);
    await job.stop();
    const stoppedAt = runs;
    await sleep(60);
    assert.ok(runs >= 5, `ran ${runs} times`);
    assert.equal(most, 1, "never overlapping");
    assert.equal(runs, stoppedAt, "no run after stop()");
  });

  it("stop() aborts the signal and waits for the run in progress", async () => {
    let sawAbort = false;
    let finished = false;
    const job = startPeriodicJob(
      {
        name: "long",
        everyMs: 60_000,
        firstRunMs: 0,
        run: async (signal) => {
          while (!signal.aborted) await sleep(5);
          sawAbort = true;
          await sleep(20);
          finished = true;
        },
      },
      { logger },
    );
    await sleep(30);
    await job.stop();
    assert.deepEqual([sawAbort, finished], [true, true]);
    assert.equal(await job.runNow(), false, "a stopped job does not run");
  });

  it("exclusive: of two replicas running at once, one runs and the other skips", async () => {
    let inside = 0;
    const spec = {
      name: "sweeper",
      everyMs: 3600_000,
      firstRunMs: 3600_000,
      exclusive: true,
      run: async () => {
        inside++;
        await sleep(100);
      },
    };
    const a = startPeriodicJob(spec, { db, logger });
    const b = startPeriodicJob(spec, { db, logger });
    try {
      const ran = await Promise.all([a.runNow(), b.runNow()]);
      assert.deepEqual(ran.sort(), [false, true]);
      assert.equal(inside, 1);
      assert.deepEqual([await a.runNow(), await b.runNow()], [true, true], "the lock is released after each run");
      assert.equal(inside, 3);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
