import assert from "node:assert/strict";
import { chargeFingerprint, refundFingerprint, sameRequest } from "./fingerprint.js";

const base = { orderId: "o1", userId: "u1", amount: { currencyCode: "EUR", amountMinor: 5000 }, paymentToken: "tok" };

describe("request fingerprints", () => {
  it("the same charge parameters give the same fingerprint", () => {
    assert.ok(sameRequest(chargeFingerprint(base), chargeFingerprint({ ...base })));
    assert.equal(chargeFingerprint(base).length, 32);
  });

  it("any changed charge parameter gives another fingerprint", () => {
    const variants = [
      { ...base, orderId: "o2" },
      { ...base, userId: "u2" },
      { ...base, amount: { currencyCode: "EUR", amountMinor: 5001 } },
      { ...base, amount: { currencyCode: "USD", amountMinor: 5000 } },
      { ...base, paymentToken: "other" },
      // Field boundaries are unambiguous: moving characters between fields is a different request.
      { ...base, orderId: "o1u", userId: "1" },
    ];
    for (const v of variants) assert.ok(!sameRequest(chargeFingerprint(base), chargeFingerprint(v)), JSON.stringify(v));
  });

  it("the digest does not contain the payment token", () => {
    const token = "tok_live_abcdefghijklmnop";
    assert.ok(
      !chargeFingerprint({ ...base, paymentToken: token })
        .toString("latin1")
        .includes(token),
    );
  });

  it("refunds: an unset amount differs from an explicit one, and the reason counts", () => {
    const r = { paymentId: "p1", amount: undefined, reason: "ORDER_CANCELLED" };
    assert.ok(sameRequest(refundFingerprint(r), refundFingerprint({ ...r })));
    assert.ok(
      !sameRequest(
        refundFingerprint(r),
        refundFingerprint({ ...r, amount: { currencyCode: "EUR", amountMinor: 5000 } }),
      ),
    );
    assert.ok(!sameRequest(refundFingerprint(r), refundFingerprint({ ...r, reason: "OTHER" })));
    assert.ok(!sameRequest(refundFingerprint(r), refundFingerprint({ ...r, paymentId: "p2" })));
  });
});
