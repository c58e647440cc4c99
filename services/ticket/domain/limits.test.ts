import assert from "node:assert/strict";
import { FailedPreconditionError, InvalidArgumentError } from "../../../platform/errors/index.js";
import { BuyerLimitError, OrderLimitError, SalesClosedError, SeatsUnavailableError } from "./errors.js";
import {
  assertBuyerCap,
  assertOnSale,
  assertOrderLimit,
  defaultBuyerCap,
  type SalesState,
  salesClosedReason,
} from "./limits.js";

describe("hold limits (domain)", () => {
  const start = new Date(Date.UTC(2030, 0, 1, 10));
  const end = new Date(Date.UTC(2030, 0, 2, 10));
  const sales: SalesState = {
    eventId: "e1",
    status: "ON_SALE",
    salesStart: start,
    salesEnd: end,
    maxPerOrder: 6,
    maxPerBuyer: 8,
  };
  const at = (ms: number) => new Date(ms);

  it("the sales window is [start, end) and a cancelled event is closed whatever the time", () => {
    assert.equal(salesClosedReason(sales, at(start.getTime() - 1)), "NOT_OPEN_YET");
    assert.equal(salesClosedReason(sales, start), undefined);
    assert.equal(salesClosedReason(sales, at(end.getTime() - 1)), undefined);
    assert.equal(salesClosedReason(sales, end), "CLOSED");
    assert.equal(salesClosedReason({ ...sales, status: "CANCELLED" }, at(start.getTime() + 1)), "CANCELLED");
    assert.throws(
      () => assertOnSale(sales, end),
      (e: unknown) =>
        e instanceof SalesClosedError &&
        e instanceof FailedPreconditionError &&
        e.reason === "SALES_CLOSED" &&
        e.metadata.event_id === "e1",
    );
    assert.doesNotThrow(() => assertOnSale(sales, start));
  });

  it("per-order limit: INVALID_ARGUMENT on items", () => {
    assert.doesNotThrow(() => assertOrderLimit(sales, 6));
    assert.throws(
      () => assertOrderLimit(sales, 7),
      (e: unknown) =>
        e instanceof OrderLimitError && e instanceof InvalidArgumentError && e.violations[0]?.field === "items",
    );
  });

  it("per-buyer cap counts places in orders plus the new hold (the previous hold is released)", () => {
    assert.doesNotThrow(() => assertBuyerCap(sales, 0, 6));
    assert.doesNotThrow(() => assertBuyerCap(sales, 2, 6));
    assert.throws(
      () => assertBuyerCap(sales, 3, 6),
      (e: unknown) =>
        e instanceof BuyerLimitError &&
        e instanceof FailedPreconditionError &&
        e.reason === "BUYER_LIMIT_REACHED" &&
        e.metadata.remaining === "5",
    );
    assert.equal(defaultBuyerCap(6), 6, "default: one order's worth");
    assert.equal(defaultBuyerCap(6, 0), 6);
    assert.equal(defaultBuyerCap(6, 20), 20);
  });

  it("SEATS_UNAVAILABLE carries the section and how many are left", () => {
    const e = new SeatsUnavailableError("sec-1", 3);
    assert.ok(e instanceof FailedPreconditionError);
    assert.deepEqual(e.metadata, { section_id: "sec-1", available: "3" });
  });
});
