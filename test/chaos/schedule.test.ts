import assert from "node:assert/strict";
import type { RoundResult } from "./round.js";
import { allFaults, faultName, planFaults } from "./schedule.js";
import { renderRound } from "./table.js";

describe("chaos: the seeded fault plan and the verdict table (no I/O)", () => {
  const o = { warmupMs: 4_000, slotMs: 10_000, minDownMs: 1_000, maxDownMs: 3_000 };

  it("a seed gives one plan: every fault once, each in the first half of its slot, down times in bounds", () => {
    const a = planFaults(42, o);
    assert.deepEqual(planFaults(42, o), a, "the same seed replays the same plan");
    assert.deepEqual(a.map((p) => faultName(p.fault)).sort(), allFaults.map(faultName).sort());
    a.forEach((p, i) => {
      const slot = o.warmupMs + i * o.slotMs;
      assert.ok(
        p.atMs >= slot && p.atMs <= slot + o.slotMs / 2,
        `fault ${i} at ${p.atMs} in [${slot}, ${slot + o.slotMs / 2}]`,
      );
      assert.ok(p.downMs >= o.minDownMs && p.downMs <= o.maxDownMs);
    });
    const orders = new Set(
      [1, 2, 3, 4, 5].map((s) =>
        planFaults(s, o)
          .map((p) => faultName(p.fault))
          .join(","),
      ),
    );
    assert.ok(orders.size > 1, "different seeds shuffle the faults differently");
  });

  const round = (over: Partial<RoundResult> = {}): RoundResult => ({
    seed: 7,
    faults: [{ name: "SIGKILL ticket", atMs: 0, checkoutsInFlight: 6, aimWaitMs: 0, downMs: 2_000, healMs: 4_000 }],
    invariants: [
      { id: "money", title: "captured − refunded = value of CONFIRMED orders", violations: 0, examples: [] },
    ],
    okConfirmed: { confirmed: 90, checkouts: 100 },
    notCounted: [],
    phases: { stackMs: 10_000, crowdMs: 40_000, recoveryMs: 10_000 },
    leftUnsettled: { pendingOrders: 0, pendingNotifications: 0, confirmedWithoutEmail: 0 },
    durationMs: 60_000,
    ...over,
  });

  it("the verdict fails on a violation, an unhealed fault or a round that does not count, and passes otherwise", () => {
    assert.equal(renderRound(round()).ok, true);
    assert.match(renderRound(round()).text, /PASS/);
    const violated = renderRound(
      round({ invariants: [{ id: "money", title: "money", violations: 1, examples: ["captured 10 ≠ 9"] }] }),
    );
    assert.equal(violated.ok, false);
    assert.match(violated.text, /captured 10 ≠ 9/);
    assert.equal(
      renderRound(
        round({ faults: [{ name: "x", atMs: 0, checkoutsInFlight: 9, aimWaitMs: 0, downMs: 1, healError: "never" }] }),
      ).ok,
      false,
    );
    assert.equal(renderRound(round({ notCounted: ["SIGKILL redis hit 2 checkouts in flight (< 5)"] })).ok, false);
  });

  it("the table says whether the recovery window settled everything or ran out, and with what", () => {
    assert.match(renderRound(round()).text, /recovery 10\.0 s \(everything settled\)/);
    const ranOut = renderRound(
      round({ leftUnsettled: { pendingOrders: 3, pendingNotifications: 0, confirmedWithoutEmail: 2 } }),
    ).text;
    assert.match(ranOut, /ran out with 3 orders pending, 0 notifications pending, 2 confirmed orders not emailed/);
  });
});
