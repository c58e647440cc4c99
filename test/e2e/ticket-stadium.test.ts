import assert from "node:assert/strict";
import { scrape } from "../support/notification-kit.js";
import {
  availabilityOf,
  clientsOf,
  ga,
  grid,
  type Proc,
  publishEvent,
  stackEnv,
  startTestProcess,
} from "./ticket-kit.js";

/**
 * Issue 12: a 100,000-seat venue published through the event service is on sale within 10 s (the
 * ticket service materialises it from EventPublished), and its availability is then answered from
 * the cache — many reads, one load.
 */
describe("ticket: a 100,000-seat stadium through the one port", function () {
  this.timeout(120_000);
  let proc: Proc;
  after(() => proc?.stop());

  it("is on sale within 10 s of PublishEvent, and GetAvailability is then served from the cache", async () => {
    const stack = await stackEnv();
    proc = await startTestProcess({ env: stack.env, echo: false });
    // 10 stands of 100 rows × 99 seats + 1,000 standing = 100,000 places
    const stands = Array.from({ length: 10 }, (_, i) => grid(`Stand ${i + 1}`, 100, 99));
    const started = Date.now();
    let published = 0;
    const ev = await publishEvent(proc, stack.mint, [...stands, ga("Standing", 1_000)], {
      materialiseTimeoutMs: 30_000,
      onPublished: () => {
        published = Date.now();
      },
    });
    // publishEvent returns once GetAvailability answers: from PublishEvent's answer, the relay,
    // the consumer, GetEventLayout over gRPC, 99,000 seat rows, and the first (cold) availability read
    const onSaleMs = Date.now() - published;
    process.stdout.write(
      `      100,000 places: venue and event created in ${published - started} ms, on sale ${onSaleMs} ms after PublishEvent answered\n`,
    );
    assert.ok(onSaleMs <= 10_000, `on sale after ${onSaleMs} ms (≤ 10,000 wanted)`);

    const first = await availabilityOf(proc, ev.event.id);
    const total = first.sections.reduce((n, s) => n + s.available, 0);
    assert.equal(total, 100_000);
    assert.equal(first.sections.length, 11);

    const cache = { cache: "ticket-availability" };
    const loadsBefore = await scrape(proc.adminUrl, "cache_loads_total", cache);
    const { tickets } = clientsOf(proc);
    const reads = 300;
    const t0 = Date.now();
    const answers = await Promise.all(
      Array.from({ length: reads }, () => tickets.getAvailability({ eventId: ev.event.id })),
    );
    const ms = Date.now() - t0;
    process.stdout.write(`      ${reads} concurrent GetAvailability of the stadium in ${ms} ms\n`);
    for (const a of answers)
      assert.equal(
        a.availability!.sections.reduce((n, s) => n + s.available, 0),
        100_000,
      );
    const loads = (await scrape(proc.adminUrl, "cache_loads_total", cache)) - loadsBefore;
    assert.ok(loads <= 1, `${loads} loads from MariaDB for ${reads} reads of an unchanged stadium`);
    const hits =
      (await scrape(proc.adminUrl, "cache_requests_total", { ...cache, result: "hit_local" })) +
      (await scrape(proc.adminUrl, "cache_requests_total", { ...cache, result: "hit_redis" }));
    assert.ok(hits >= reads - 1, `${hits} cache hits for ${reads} reads`);
  });
});
