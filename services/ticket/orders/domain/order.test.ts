import assert from "node:assert/strict";
import { FailedPreconditionError } from "../../../../platform/errors/index.js";
import {
  assertCancellable,
  FailureReason,
  LATE_PAYMENT_REFUNDED,
  type OrderState,
  type PaymentOutcome,
  refundOnCancel,
  settle,
  withLateRefund,
} from "./order.js";

const o = (state: OrderState, paymentOutcome: PaymentOutcome = null) => ({ state, paymentOutcome });
const ok = { kind: "succeeded", paymentId: "p1" } as const;
const declined = { kind: "failed", paymentId: "p1", failureCode: "CARD_DECLINED" } as const;
const abandoned = { kind: "failed", paymentId: "p1", failureCode: "CHARGE_NOT_COMPLETED" } as const;

describe("order state machine (domain/order)", () => {
  it("a pending order is confirmed by a success and failed by a decline, with the payment's code", () => {
    assert.deepEqual(settle(o("PENDING_PAYMENT"), ok), { kind: "confirm", paymentId: "p1" });
    assert.deepEqual(settle(o("PENDING_PAYMENT"), declined), {
      kind: "fail",
      reason: FailureReason.declined,
      paymentFailureCode: "CARD_DECLINED",
      paymentId: "p1",
      outcome: "FAILED",
    });
    const gaveUp = settle(o("PENDING_PAYMENT"), abandoned);
    assert.equal(gaveUp.kind === "fail" && gaveUp.reason, FailureReason.notCompleted);
  });

  it("nothing charged fails a pending order for good; a timeout fails it but keeps asking", () => {
    const nf = settle(o("PENDING_PAYMENT"), { kind: "not_found" });
    assert.equal(nf.kind === "fail" && nf.outcome, "NONE");
    const to = settle(o("PENDING_PAYMENT"), { kind: "timed_out" });
    assert.equal(to.kind === "fail" && to.reason, FailureReason.timeout);
    assert.equal(to.kind === "fail" && to.outcome, null);
    assert.deepEqual(settle(o("CONFIRMED", "SUCCEEDED"), { kind: "timed_out" }), { kind: "none" });
  });

  it("a success for a FAILED or CANCELLED order is refunded, once", () => {
    for (const s of ["FAILED", "CANCELLED"] as const) {
      assert.deepEqual(settle(o(s), ok), { kind: "refund_late", paymentId: "p1" });
      assert.deepEqual(
        settle(o(s, "FAILED"), ok),
        { kind: "refund_late", paymentId: "p1" },
        "after an abandoned charge",
      );
      assert.deepEqual(settle(o(s, "SUCCEEDED"), ok), { kind: "none" }, "already refunding");
    }
  });

  it("repeats and stale facts change nothing: a success wins over an older failure", () => {
    assert.deepEqual(settle(o("CONFIRMED", "SUCCEEDED"), ok), { kind: "none" });
    assert.deepEqual(settle(o("CONFIRMED", "SUCCEEDED"), abandoned), { kind: "none" });
    assert.deepEqual(settle(o("FAILED", "FAILED"), declined), { kind: "none" });
    assert.deepEqual(settle(o("FAILED", "SUCCEEDED"), declined), { kind: "none" });
  });

  it("a closed order whose charge was unknown records the outcome without changing state", () => {
    assert.deepEqual(settle(o("CANCELLED"), declined), { kind: "record", outcome: "FAILED", paymentId: "p1" });
    assert.deepEqual(settle(o("FAILED"), { kind: "not_found" }), {
      kind: "record",
      outcome: "NONE",
      paymentId: undefined,
    });
    assert.deepEqual(settle(o("CANCELLED", "NONE"), { kind: "not_found" }), { kind: "none" });
  });

  it("cancellation: only pending or confirmed, before the start, with no ticket used", () => {
    const now = new Date("2030-01-01T10:00:00Z");
    const later = new Date("2030-01-02T10:00:00Z");
    const order = (state: OrderState) => ({ id: "o", eventId: "e", state });
    const reasonOf = (f: () => void) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof FailedPreconditionError);
        return e.reason;
      }
      return "allowed";
    };
    const at = { now, eventStart: later, checkedInTicket: undefined };
    assert.equal(
      reasonOf(() => assertCancellable(order("PENDING_PAYMENT"), at)),
      "allowed",
    );
    assert.equal(
      reasonOf(() => assertCancellable(order("CONFIRMED"), at)),
      "allowed",
    );
    assert.equal(
      reasonOf(() => assertCancellable(order("FAILED"), at)),
      "ORDER_NOT_CANCELLABLE",
    );
    assert.equal(
      reasonOf(() => assertCancellable(order("CANCELLED"), at)),
      "ORDER_NOT_CANCELLABLE",
    );
    assert.equal(
      reasonOf(() => assertCancellable(order("CONFIRMED"), { ...at, eventStart: now })),
      "EVENT_STARTED",
    );
    assert.equal(
      reasonOf(() => assertCancellable(order("CONFIRMED"), { ...at, checkedInTicket: "t1" })),
      "TICKET_CHECKED_IN",
    );
    assert.equal(
      reasonOf(() => assertCancellable(order("CONFIRMED"), { ...at, eventStart: undefined })),
      "allowed",
    );
    assert.equal(refundOnCancel("CONFIRMED", "SUCCEEDED"), true);
    assert.equal(refundOnCancel("PENDING_PAYMENT", null), false);
  });

  it("a late refund is said in the reason once, within the column", () => {
    assert.equal(withLateRefund(""), LATE_PAYMENT_REFUNDED);
    assert.equal(withLateRefund("PAYMENT_TIMEOUT"), `PAYMENT_TIMEOUT; ${LATE_PAYMENT_REFUNDED}`);
    assert.equal(withLateRefund(withLateRefund("x")), `x; ${LATE_PAYMENT_REFUNDED}`);
    const long = withLateRefund("r".repeat(600));
    assert.equal(long.length, 600);
    assert.ok(long.endsWith(LATE_PAYMENT_REFUNDED));
  });
});
