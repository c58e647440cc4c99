import assert from "node:assert/strict";
import { HoldNotActiveError } from "./errors.js";
import { decide, effectiveState, type HoldAction, type HoldState } from "./hold.js";

describe("hold lifecycle (domain)", () => {
  const now = new Date(Date.UTC(2030, 0, 1, 12));
  const hold = (state: HoldState, expiresInMs: number) => ({
    id: "h1",
    state,
    expireTime: new Date(now.getTime() + expiresInMs),
  });

  it("an ACTIVE hold past (or at) expire_time reads as EXPIRED", () => {
    assert.equal(effectiveState(hold("ACTIVE", 1), now), "ACTIVE");
    assert.equal(effectiveState(hold("ACTIVE", 0), now), "EXPIRED");
    assert.equal(effectiveState(hold("ACTIVE", -5000), now), "EXPIRED");
    assert.equal(effectiveState(hold("CONVERTED", -5000), now), "CONVERTED", "only ACTIVE expires");
  });

  it("every (state, action) pair", () => {
    type Want = ReturnType<typeof decide> | "HOLD_NOT_ACTIVE";
    const table: Array<[HoldState, number, HoldAction, Want]> = [
      ["ACTIVE", 60_000, "release", { kind: "apply", to: "RELEASED", unexpired: true }],
      ["ACTIVE", -1, "release", { kind: "apply", to: "EXPIRED", unexpired: false }],
      ["RELEASED", 60_000, "release", { kind: "noop", state: "RELEASED" }],
      ["EXPIRED", -1, "release", { kind: "noop", state: "EXPIRED" }],
      ["CONVERTED", 60_000, "release", "HOLD_NOT_ACTIVE"],
      ["ACTIVE", -1, "expire", { kind: "apply", to: "EXPIRED", unexpired: false }],
      ["ACTIVE", 60_000, "expire", { kind: "noop", state: "ACTIVE" }],
      ["EXPIRED", -1, "expire", { kind: "noop", state: "EXPIRED" }],
      ["RELEASED", -1, "expire", { kind: "noop", state: "RELEASED" }],
      ["CONVERTED", -1, "expire", { kind: "noop", state: "CONVERTED" }],
      ["ACTIVE", 60_000, "convert", { kind: "apply", to: "CONVERTED", unexpired: true }],
      ["ACTIVE", 0, "convert", "HOLD_NOT_ACTIVE"],
      ["RELEASED", 60_000, "convert", "HOLD_NOT_ACTIVE"],
      ["EXPIRED", 60_000, "convert", "HOLD_NOT_ACTIVE"],
      ["CONVERTED", 60_000, "convert", "HOLD_NOT_ACTIVE"],
    ];
    for (const [state, expiresIn, action, want] of table) {
      const name = `${action} on ${state} (expires in ${expiresIn} ms)`;
      if (want === "HOLD_NOT_ACTIVE") {
        assert.throws(
          () => decide(hold(state, expiresIn), action, now),
          (e: unknown) =>
            e instanceof HoldNotActiveError && e.reason === "HOLD_NOT_ACTIVE" && e.metadata.hold_id === "h1",
          name,
        );
      } else assert.deepEqual(decide(hold(state, expiresIn), action, now), want, name);
    }
  });

  it("the refusal names the state the caller sees (an expired ACTIVE hold is EXPIRED)", () => {
    assert.throws(
      () => decide(hold("ACTIVE", -1), "convert", now),
      (e: unknown) => e instanceof HoldNotActiveError && e.state === "EXPIRED",
    );
  });
});
