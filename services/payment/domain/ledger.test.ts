import assert from "node:assert/strict";
import { pendingPayment } from "../../../test/support/payment-fixtures.js";
import { type LedgerEntry, ledgerTotals, reconcile } from "./ledger.js";
import type { PaymentState } from "./payment.js";

const charge = (amountMinor = 5000, currencyCode = "EUR"): LedgerEntry => ({
  kind: "CHARGE",
  currencyCode,
  amountMinor,
});
const refund = (refundId: string, amountMinor: number): LedgerEntry => ({
  kind: "REFUND",
  currencyCode: "EUR",
  amountMinor,
  refundId,
});
const paid = (state: PaymentState, refundedMinor = 0) => pendingPayment({ state, refundedMinor, version: 1 });

describe("payment ledger", () => {
  it("sums captures and refunds", () => {
    assert.deepEqual(ledgerTotals([charge(), refund("r1", 1000), refund("r2", 500)]), {
      capturedMinor: 5000,
      refundedMinor: 1500,
      charges: 1,
      refunds: 2,
    });
    assert.deepEqual(ledgerTotals([]), { capturedMinor: 0, refundedMinor: 0, charges: 0, refunds: 0 });
  });

  it("reconciles the consistent cases", () => {
    assert.deepEqual(reconcile(pendingPayment(), []), []);
    assert.deepEqual(reconcile(paid("FAILED"), []), []);
    assert.deepEqual(reconcile(paid("SUCCEEDED"), [charge()]), []);
    const partial = [charge(), refund("r1", 1000)];
    assert.deepEqual(reconcile(paid("PARTIALLY_REFUNDED", 1000), partial, [{ id: "r1", amountMinor: 1000 }]), []);
    const full = [charge(), refund("r1", 1000), refund("r2", 4000)];
    const booked = [
      { id: "r1", amountMinor: 1000 },
      { id: "r2", amountMinor: 4000 },
    ];
    assert.deepEqual(reconcile(paid("REFUNDED", 5000), full, booked), []);
  });

  const broken: Array<[string, ReturnType<typeof paid>, LedgerEntry[], RegExp]> = [
    ["captured without a charge", paid("SUCCEEDED"), [], /needs one charge/],
    ["two charges", paid("SUCCEEDED"), [charge(), charge()], /needs one charge/],
    ["a charge of the wrong amount", paid("SUCCEEDED"), [charge(4999)], /needs one charge/],
    ["a charge on a failed payment", paid("FAILED"), [charge()], /FAILED payment has 1 charge/],
    ["a charge on a pending payment", pendingPayment(), [charge()], /PENDING payment has 1 charge/],
    ["refunds above the capture", paid("REFUNDED", 6000), [charge(), refund("r1", 6000)], /refunded 6000 > captured/],
    ["refunded sum disagreeing", paid("PARTIALLY_REFUNDED", 900), [charge(), refund("r1", 1000)], /900 on the payment/],
    ["a state the sums contradict", paid("SUCCEEDED", 1000), [charge(), refund("r1", 1000)], /sums say PARTIALLY/],
    ["another currency", paid("SUCCEEDED"), [charge(5000, "USD")], /in USD/],
    ["a non-positive entry", paid("PARTIALLY_REFUNDED", 0), [charge(), refund("r1", 0)], /positive/],
  ];
  for (const [name, payment, entries, problem] of broken)
    it(`finds ${name}`, () => {
      const problems = reconcile(payment, entries);
      assert.ok(
        problems.some((p) => problem.test(p)),
        `expected ${problem} in ${JSON.stringify(problems)}`,
      );
    });

  it("matches REFUND entries one to one with succeeded refunds", () => {
    const p = paid("PARTIALLY_REFUNDED", 1000);
    assert.match(reconcile(p, [charge(), refund("r1", 1000)], [])[0] ?? "", /without a succeeded refund/);
    assert.match(
      reconcile(p, [charge(), refund("r1", 1000)], [{ id: "r1", amountMinor: 900 }]).join(),
      /booked as \[1000\]/,
    );
  });
});
