import assert from "node:assert/strict";
import { moneyViolations } from "./money.js";

describe("money checks", () => {
  const reasons = (m: Parameters<typeof moneyViolations>[1]) =>
    moneyViolations("amount", m).map((v) => [v.field, v.reason]);
  it("accepts a positive amount in a known currency", () => {
    assert.deepEqual(reasons({ currencyCode: "EUR", amountMinor: 1n }), []);
    assert.deepEqual(reasons({ currencyCode: "JPY", amountMinor: BigInt(Number.MAX_SAFE_INTEGER) }), []);
  });
  it("names each wrong field", () => {
    assert.deepEqual(reasons(undefined), [["amount", "REQUIRED"]]);
    assert.deepEqual(reasons({ currencyCode: "eur", amountMinor: 0n }), [
      ["amount.currency_code", "INVALID_CURRENCY"],
      ["amount.amount_minor", "MUST_BE_POSITIVE"],
    ]);
    assert.deepEqual(reasons({ currencyCode: "EUR", amountMinor: -1n }), [["amount.amount_minor", "MUST_BE_POSITIVE"]]);
    assert.deepEqual(reasons({ currencyCode: "EUR", amountMinor: 2n ** 53n }), [
      ["amount.amount_minor", "OUT_OF_RANGE"],
    ]);
  });
});
