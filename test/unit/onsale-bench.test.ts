import assert from "node:assert/strict";
import { Code, ConnectError } from "@connectrpc/connect";
import { benchMix, pickSeats, planBuyer } from "../../bench/onsale/buyer.js";
import { venuePlanFor } from "../../bench/onsale/event-setup.js";
import { clientErrors, notificationIdOf } from "../../bench/onsale/invariants.js";
import { cacheHitRatio, parsePrometheus, sum } from "../../bench/onsale/prom.js";
import { prng } from "../../bench/onsale/random.js";
import { codeName, connectionLost, Recorder, reasonOf } from "../../bench/onsale/record.js";
import { concurrencySeries, percentile, rateSeries, sustainedRate } from "../../bench/onsale/stats.js";
import { lineChart, niceStep } from "../../bench/onsale/svg.js";
import { SeatState } from "../../gen/boxoffice/ticket/v1/availability_pb.js";

describe("on-sale bench: the pure parts (figures, parsing, choices, classification)", () => {
  it("percentiles, sustained rates and series", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(v, 0.5), 50);
    assert.equal(percentile(v, 0.99), 99);
    assert.equal(percentile([], 0.5), 0);
    // 201 events 10 ms apart: 100 per second, whatever the ramp
    const times = Array.from({ length: 201 }, (_, i) => 1_000 + i * 10);
    assert.ok(Math.abs(sustainedRate(times) - 100) < 1, `${sustainedRate(times)}`);
    assert.deepEqual(rateSeries([0, 100, 999, 1_000, 2_500], 0, 3_000, 1_000), [
      [0, 3],
      [1, 1],
      [2, 1],
    ]);
    assert.deepEqual(
      concurrencySeries(
        [
          { startMs: 0, endMs: 1_000 },
          { startMs: 500, endMs: 2_000 },
        ],
        0,
        2_000,
        500,
      ).map((p) => p[1]),
      [1, 2, 1, 1, 0],
    );
  });

  it("parses prom-client's text format: labels with escapes, sums, the cache hit ratio", () => {
    const s = parsePrometheus(
      [
        "# HELP cache_requests_total x",
        'cache_requests_total{cache="event",result="hit_local"} 70',
        'cache_requests_total{cache="event",result="hit_redis"} 20',
        'cache_requests_total{cache="event",result="miss"} 10',
        'bus_consumer_lag{consumer="a \\"b\\""} 3',
        "process_cpu_seconds_total 1.5",
      ].join("\n"),
    );
    assert.equal(s.find((x) => x.name === "bus_consumer_lag")?.labels.consumer, 'a "b"');
    assert.equal(sum(s, "cache_requests_total", { result: "miss" }), 10);
    assert.deepEqual(cacheHitRatio(s), { hits: 90, reads: 100, ratio: 0.9 });
  });

  it("picks adjacent AVAILABLE seats of one row, and none when no row fits", () => {
    const A = SeatState.AVAILABLE;
    const S = SeatState.SOLD;
    const rows = [
      { rowLabel: "A", seats: [A, S, A, S].map((state, i) => ({ seatLabel: String(i + 1), state })) },
      { rowLabel: "B", seats: [S, A, A, A].map((state, i) => ({ seatLabel: String(i + 1), state })) },
    ];
    for (let seed = 0; seed < 20; seed++) {
      const got = pickSeats(rows, 3, prng(seed));
      assert.deepEqual(
        got,
        ["2", "3", "4"].map((seatLabel) => ({ rowLabel: "B", seatLabel })),
      );
    }
    assert.equal(pickSeats(rows, 4, prng(1)), undefined);
  });

  it("buyer plans follow the seed and the mix; the venue fits the demand", () => {
    const plans = (seed: number) => Array.from({ length: 2_000 }, (_, i) => planBuyer(prng(seed + i), benchMix));
    assert.deepEqual(plans(5), plans(5));
    const ok = plans(9).filter((p) => p.token === "sandbox_ok").length / 2_000;
    assert.ok(ok > 0.84 && ok < 0.92, `sandbox_ok share ${ok}`);
    const v = venuePlanFor(1_000);
    const places = v.reserved.reduce((n, r) => n + r.rows * r.seatsPerRow, 0) + v.ga.capacity;
    assert.ok(places >= 1_000 * 2.2 && places <= 1_000 * 2.2 * 1.3, `${places} places for 1,000 buyers`);
  });

  it("client errors: retryable codes and catalogued FAILED_PRECONDITION pass, INTERNAL and unknown reasons do not", () => {
    const e = (code: string, reason = "") => ({
      method: "HoldSeats",
      code,
      reason,
      message: "m",
      startMs: 0,
      endMs: 1,
    });
    const r = clientErrors([
      e("UNAVAILABLE"),
      e("RESOURCE_EXHAUSTED"),
      e("DEADLINE_EXCEEDED"),
      e("FAILED_PRECONDITION", "SEATS_UNAVAILABLE"),
      e("FAILED_PRECONDITION", "SOMETHING_NEW"),
      e("INTERNAL"),
      e("UNKNOWN"),
    ]);
    assert.equal(r.violations, 3);
    assert.equal(codeName(Code.FailedPrecondition), "FAILED_PRECONDITION");
    assert.equal(notificationIdOf("<0193ABCD-1234@boxoffice.localhost>"), "0193abcd-1234");
  });

  it("retries UNAVAILABLE with the same call until it answers, and never a refusal", async () => {
    const rec = new Recorder();
    let calls = 0;
    const out = await rec.retrying("X", Date.now() + 5_000, async () => {
      if (++calls < 3) throw new ConnectError("down", Code.Unavailable);
      return "ok";
    });
    assert.equal(out, "ok");
    assert.equal(calls, 3);
    assert.equal(rec.answers.get("X UNAVAILABLE ")?.n, 2);
    let refused = 0;
    await assert.rejects(
      rec.retrying("Y", Date.now() + 5_000, async () => {
        refused++;
        throw new ConnectError("no", Code.FailedPrecondition);
      }),
    );
    assert.equal(refused, 1);
  });

  it("a call cut off by a dying server is UNAVAILABLE (CONNECTION_LOST); what a server sends stays as sent", () => {
    const cancel = connectionLost(new ConnectError("http/2 stream closed with error code CANCEL (0x8)", Code.Canceled));
    assert.equal(cancel?.code, Code.Unavailable);
    assert.equal(reasonOf(cancel!), "CONNECTION_LOST");
    const reset = Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" });
    assert.equal(
      connectionLost(new ConnectError("x", Code.Aborted, undefined, undefined, reset))?.code,
      Code.Unavailable,
    );
    assert.equal(connectionLost(new ConnectError("boom", Code.Internal)), undefined);
    assert.equal(
      connectionLost(new ConnectError("http/2 stream closed with error code INTERNAL_ERROR (0x2)", Code.Internal)),
      undefined,
    );
    assert.equal(connectionLost(new ConnectError("gone", Code.Canceled)), undefined);
  });

  it("charts are standalone SVG with nice ticks and escaped labels", () => {
    assert.equal(niceStep(100, 5), 20);
    assert.equal(niceStep(7, 5), 2);
    const svg = lineChart(
      [
        {
          name: "a<b",
          points: [
            [0, 1],
            [1, 3],
          ],
        },
      ],
      { title: "T & U", xLabel: "x", yLabel: "y" },
    );
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.match(svg, /a&lt;b/);
    assert.match(svg, /T &amp; U/);
    assert.doesNotMatch(svg, /<script|https?:\/\/(?!www\.w3\.org)/);
  });
});
