import assert from "node:assert/strict";
import { pendingPayment } from "../../../test/support/payment-fixtures.js";
import { PaymentInvariantError } from "./errors.js";
import { notCompletedCode } from "./failure-codes.js";
import { abandonCharge, applyChargeOutcome, capturedState, type PaymentState } from "./payment.js";

const t1 = new Date(Date.UTC(2030, 0, 1, 0, 0, 5));

const ok = { status: "SUCCEEDED", reference: "ch_1" } as const;
const declined = (failureCode: string) => ({ status: "DECLINED", reference: "ch_d", failureCode }) as const;

describe("payment state machine", () => {
  it("PENDING + success → SUCCEEDED, captured, one version up, PaymentSucceeded", () => {
    const t = applyChargeOutcome(pendingPayment(), ok, t1);
    assert.equal(t.kind, "changed");
    if (t.kind !== "changed") return;
    assert.deepEqual(
      [t.payment.state, t.payment.providerReference, t.payment.version, t.capture, t.event, t.payment.updateTime],
      ["SUCCEEDED", "ch_1", 1, true, "PaymentSucceeded", t1],
    );
  });

  for (const [code, expected] of [
    ["CARD_DECLINED", "CARD_DECLINED"],
    ["INSUFFICIENT_FUNDS", "INSUFFICIENT_FUNDS"],
    ["INVALID_TOKEN", "INVALID_TOKEN"],
    ["DO_NOT_HONOR", "DO_NOT_HONOR"],
    ["not a code!", "CARD_DECLINED"],
  ] as const) {
    it(`PENDING + decline ${JSON.stringify(code)} → FAILED ${expected} with a payer-safe message`, () => {
      const t = applyChargeOutcome(pendingPayment(), declined(code), t1);
      assert.ok(t.kind === "changed");
      assert.deepEqual(
        [t.payment.state, t.payment.failureCode, t.capture, t.event],
        ["FAILED", expected, false, "PaymentFailed"],
      );
      assert.match(t.payment.failureMessage, /^The /);
      assert.ok(!t.payment.failureMessage.includes(code) || code === expected);
    });
  }

  it("a repeat of the recorded outcome changes nothing", () => {
    const succeeded = pendingPayment({ state: "SUCCEEDED", providerReference: "ch_1", version: 1 });
    assert.deepEqual(applyChargeOutcome(succeeded, ok, t1), { kind: "unchanged" });
    const failed = pendingPayment({ state: "FAILED", failureCode: "CARD_DECLINED", version: 1 });
    assert.deepEqual(applyChargeOutcome(failed, declined("CARD_DECLINED"), t1), { kind: "unchanged" });
    for (const state of ["PARTIALLY_REFUNDED", "REFUNDED"] as PaymentState[])
      assert.deepEqual(applyChargeOutcome(pendingPayment({ state, providerReference: "ch_1" }), ok, t1), {
        kind: "unchanged",
      });
  });

  it("refuses contradictions: success after a real decline, decline after a success, two references", () => {
    const failed = pendingPayment({ state: "FAILED", failureCode: "CARD_DECLINED", version: 1 });
    assert.throws(() => applyChargeOutcome(failed, ok, t1), PaymentInvariantError);
    const succeeded = pendingPayment({ state: "SUCCEEDED", providerReference: "ch_1", version: 1 });
    assert.throws(() => applyChargeOutcome(succeeded, declined("CARD_DECLINED"), t1), PaymentInvariantError);
    assert.throws(
      () => applyChargeOutcome(succeeded, { status: "SUCCEEDED", reference: "ch_2" }, t1),
      PaymentInvariantError,
    );
  });

  it("abandon: PENDING → FAILED CHARGE_NOT_COMPLETED; nothing else can be abandoned", () => {
    const p = abandonCharge(pendingPayment(), t1);
    assert.deepEqual([p.state, p.failureCode, p.version], ["FAILED", notCompletedCode, 1]);
    for (const state of ["SUCCEEDED", "FAILED", "PARTIALLY_REFUNDED", "REFUNDED"] as PaymentState[])
      assert.throws(() => abandonCharge(pendingPayment({ state }), t1), PaymentInvariantError);
  });

  it("a late success after our CHARGE_NOT_COMPLETED wins: SUCCEEDED, captured, announced", () => {
    const abandoned = abandonCharge(pendingPayment(), t1);
    const t = applyChargeOutcome(abandoned, ok, t1);
    assert.ok(t.kind === "changed");
    assert.deepEqual(
      [t.payment.state, t.payment.failureCode, t.payment.version, t.capture, t.event],
      ["SUCCEEDED", "", 2, true, "PaymentSucceeded"],
    );
    assert.deepEqual(applyChargeOutcome(abandoned, declined("CARD_DECLINED"), t1), { kind: "unchanged" });
  });

  it("derives the captured state from the refunded sum, refusing impossible sums", () => {
    const p = pendingPayment();
    assert.equal(capturedState(p, 0), "SUCCEEDED");
    assert.equal(capturedState(p, 1), "PARTIALLY_REFUNDED");
    assert.equal(capturedState(p, 4999), "PARTIALLY_REFUNDED");
    assert.equal(capturedState(p, 5000), "REFUNDED");
    assert.throws(() => capturedState(p, 5001), PaymentInvariantError);
    assert.throws(() => capturedState(p, -1), PaymentInvariantError);
  });
});
