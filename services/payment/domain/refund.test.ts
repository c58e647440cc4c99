import assert from "node:assert/strict";
import { FailedPreconditionError, InvalidArgumentError } from "../../../platform/errors/index.js";
import { pendingPayment } from "../../../test/support/payment-fixtures.js";
import { PaymentInvariantError } from "./errors.js";
import type { PaymentState } from "./payment.js";
import { applyRefund, planRefund } from "./refund.js";

const at = new Date(Date.UTC(2030, 0, 2));
const captured = (refundedMinor = 0, state: PaymentState = refundedMinor ? "PARTIALLY_REFUNDED" : "SUCCEEDED") =>
  pendingPayment({ state, refundedMinor, providerReference: "ch_1", version: 1 });
const eur = (amountMinor: number) => ({ currencyCode: "EUR", amountMinor });

const reason = (r: string) => (e: unknown) => e instanceof FailedPreconditionError && e.reason === r;

describe("refund rules", () => {
  it("an unset amount takes everything not refunded and not in flight", () => {
    assert.equal(planRefund(captured(), 0, undefined), 5000);
    assert.equal(planRefund(captured(1000), 0, undefined), 4000);
    assert.equal(planRefund(captured(1000), 1500, undefined), 2500);
  });

  it("a requested amount up to what is left", () => {
    assert.equal(planRefund(captured(), 0, eur(5000)), 5000);
    assert.equal(planRefund(captured(4000), 0, eur(1000)), 1000);
    assert.throws(() => planRefund(captured(4000), 0, eur(1001)), reason("REFUND_EXCEEDS_PAYMENT"));
    assert.throws(() => planRefund(captured(), 4500, eur(501)), reason("REFUND_EXCEEDS_PAYMENT"));
    assert.throws(() => planRefund(captured(), 5000, undefined), reason("REFUND_EXCEEDS_PAYMENT"));
  });

  it("nothing to refund from PENDING, FAILED or REFUNDED payments", () => {
    assert.throws(() => planRefund(pendingPayment(), 0, undefined), reason("PAYMENT_NOT_SETTLED"));
    assert.throws(() => planRefund(pendingPayment({ state: "FAILED" }), 0, undefined), reason("PAYMENT_FAILED"));
    assert.throws(() => planRefund(captured(5000, "REFUNDED"), 0, undefined), reason("PAYMENT_REFUNDED"));
  });

  it("another currency or a non-positive amount is a bad argument naming the field", () => {
    const bad = (field: string) => (e: unknown) =>
      e instanceof InvalidArgumentError && e.violations[0]?.field === field;
    assert.throws(
      () => planRefund(captured(), 0, { currencyCode: "USD", amountMinor: 10 }),
      bad("amount.currency_code"),
    );
    assert.throws(() => planRefund(captured(), 0, eur(0)), bad("amount.amount_minor"));
    assert.throws(() => planRefund(captured(), 0, eur(-5)), bad("amount.amount_minor"));
    assert.throws(() => planRefund(captured(), 0, eur(1.5)), bad("amount.amount_minor"));
  });

  it("applying refunds moves SUCCEEDED → PARTIALLY_REFUNDED → REFUNDED, one version each", () => {
    const a = applyRefund(captured(), 2000, at);
    assert.deepEqual([a.state, a.refundedMinor, a.version], ["PARTIALLY_REFUNDED", 2000, 2]);
    const b = applyRefund(a, 3000, at);
    assert.deepEqual([b.state, b.refundedMinor, b.version], ["REFUNDED", 5000, 3]);
    assert.throws(() => applyRefund(b, 1, at), PaymentInvariantError);
    assert.throws(() => applyRefund(a, 3001, at), PaymentInvariantError);
    assert.throws(() => applyRefund(pendingPayment(), 1, at), PaymentInvariantError);
  });
});
