import assert from "node:assert/strict";
import { mergeTakes, planTake, splitCapacity, stripeCount, tryOrder } from "./stripes.js";

describe("GA capacity stripes (domain)", () => {
  it("splits capacity evenly; never more stripes than places", () => {
    assert.deepEqual(splitCapacity(10, 4), [3, 3, 2, 2]);
    assert.deepEqual(splitCapacity(8, 4), [2, 2, 2, 2]);
    assert.equal(stripeCount(3, 16), 3);
    assert.equal(stripeCount(5000, 16), 16);
    assert.equal(stripeCount(1, 0), 1);
    for (const [cap, n] of [
      [1, 1],
      [7, 3],
      [200_000, 16],
    ] as const) {
      const parts = splitCapacity(cap, stripeCount(cap, n));
      assert.equal(
        parts.reduce((a, b) => a + b, 0),
        cap,
      );
      assert.ok(Math.max(...parts) - Math.min(...parts) <= 1);
    }
  });

  it("tries stripes in a rotation from the hint", () => {
    assert.deepEqual(tryOrder(8, 6, 3), [6, 7, 0]);
    assert.deepEqual(tryOrder(2, 5, 4), [1, 0]);
    assert.deepEqual(tryOrder(4, -1, 2), [3, 0]);
  });

  it("takes from one stripe when one has enough, else the fewest stripes, sorted by stripe", () => {
    assert.deepEqual(planTake([2, 5, 3], 3), [{ stripe: 1, quantity: 3 }], "the fullest single stripe");
    assert.deepEqual(planTake([2, 3, 1, 2], 6), [
      { stripe: 0, quantity: 2 },
      { stripe: 1, quantity: 3 },
      { stripe: 3, quantity: 1 },
    ]);
    assert.deepEqual(planTake([0, 0, 4], 4), [{ stripe: 2, quantity: 4 }]);
    assert.equal(planTake([1, 1, 1], 4), undefined, "not enough in total");
    assert.equal(planTake([], 1), undefined);
    assert.throws(() => planTake([5], 0), RangeError);
  });

  it("merges takes of the same stripe", () => {
    assert.deepEqual(
      mergeTakes([
        { stripe: 2, quantity: 1 },
        { stripe: 0, quantity: 2 },
        { stripe: 2, quantity: 3 },
      ]),
      [
        { stripe: 0, quantity: 2 },
        { stripe: 2, quantity: 4 },
      ],
    );
  });
});
