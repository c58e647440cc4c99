import assert from "node:assert/strict";
import { create } from "@bufbuild/protobuf";
import { timestampDate } from "@bufbuild/protobuf/wkt";
import { PaymentState as PaymentStateEnum } from "../../../gen/boxoffice/payment/v1/payment_pb.js";
import { pendingPayment } from "../../../test/support/payment-fixtures.js";
import type { Refund } from "../domain/refund.js";
import { toPaymentMessage } from "../mappers.js";
import { outcomeEvent, PaymentFailed, PaymentRefunded, PaymentSucceeded, refundedEvent } from "./published.js";

const at = new Date(Date.UTC(2030, 0, 1, 12));
const refund = (over: Partial<Refund> = {}): Refund => ({
  id: "r1",
  paymentId: "p1",
  idempotencyKey: "k1",
  amountMinor: 1000,
  currencyCode: "EUR",
  reason: "ORDER_CANCELLED",
  state: "SUCCEEDED",
  failureCode: "",
  providerReference: "re_1",
  createTime: at,
  updateTime: at,
  ...over,
});

describe("payment events and messages", () => {
  it("PaymentSucceeded carries the amount, versioned by the payment", () => {
    const e = outcomeEvent(pendingPayment({ state: "SUCCEEDED", version: 1, updateTime: at }));
    assert.equal(e.type, PaymentSucceeded);
    assert.deepEqual(e.aggregate, { type: "payment", id: "p1", version: 1 });
    const m = create(PaymentSucceeded.schema, e.payload as never);
    assert.deepEqual(
      [m.orderId, m.userId, m.amount?.amountMinor, m.amount?.currencyCode],
      ["order-1", "user-1", 5000n, "EUR"],
    );
    assert.equal(timestampDate(m.succeedTime!).getTime(), at.getTime());
  });

  it("PaymentFailed carries the failure", () => {
    const p = pendingPayment({
      state: "FAILED",
      failureCode: "CARD_DECLINED",
      failureMessage: "The card…",
      version: 1,
    });
    const e = outcomeEvent(p);
    assert.equal(e.type, PaymentFailed);
    const m = create(PaymentFailed.schema, e.payload as never);
    assert.deepEqual([m.failureCode, m.failureMessage], ["CARD_DECLINED", "The card…"]);
  });

  it("no outcome event for a pending or refunded payment", () => {
    assert.throws(() => outcomeEvent(pendingPayment()));
    assert.throws(() => outcomeEvent(pendingPayment({ state: "REFUNDED" })));
  });

  it("PaymentRefunded carries this refund and the running total", () => {
    const p = pendingPayment({ state: "REFUNDED", refundedMinor: 5000, version: 3 });
    const e = refundedEvent(p, refund({ amountMinor: 4000 }));
    assert.equal(e.type, PaymentRefunded);
    assert.equal(e.aggregate.version, 3);
    const m = create(PaymentRefunded.schema, e.payload as never);
    assert.deepEqual(
      [m.refundId, m.amount?.amountMinor, m.totalRefundedAmount?.amountMinor, m.fullyRefunded],
      ["r1", 4000n, 5000n, true],
    );
  });

  it("the Payment message lists succeeded refunds only; PENDING reads as PAYMENT_STATE_PENDING", () => {
    const p = pendingPayment({ state: "PARTIALLY_REFUNDED", refundedMinor: 1000, providerReference: "ch_1" });
    const m = toPaymentMessage(p, [
      refund(),
      refund({ id: "r2", state: "PENDING" }),
      refund({ id: "r3", state: "FAILED" }),
    ]);
    assert.deepEqual(
      [m.state, m.refunds.map((r) => r.id), m.refundedAmount?.amountMinor, m.providerReference],
      [PaymentStateEnum.PARTIALLY_REFUNDED, ["r1"], 1000n, "ch_1"],
    );
    assert.equal(toPaymentMessage(pendingPayment(), []).state, PaymentStateEnum.PENDING);
  });
});
