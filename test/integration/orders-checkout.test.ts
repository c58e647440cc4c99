/**
 * Checkout through the ticket service's port (the order half over the real repository), payment
 * answered by the contract stand-in: the outcomes, idempotency under 20 concurrent repeats, lost
 * and slow answers settled from the Payment* events, WatchOrder, and the ways a hold is refused.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Code } from "@connectrpc/connect";
import { OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { reason, rejects } from "../support/assert.js";
import { eventually, OrdersBed } from "../support/orders-bed.js";
import type { TestUser } from "../support/users.js";

describe("Checkout (order half, payment contract stand-in)", function () {
  this.timeout(60_000);
  const bed = new OrdersBed();
  let buyer: TestUser;

  before(async () => {
    await bed.start({ BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS: "600" });
    buyer = await bed.users.customer("buyer");
  });
  after(() => bed.stop());

  it("sandbox_ok: CONFIRMED with one ticket per place, places SOLD, OrderConfirmed with the event summary", async () => {
    const ev = await bed.open();
    const hold = await bed.hold(buyer, ev, { seats: ["1-1", "1-2"], ga: 3 });
    const order = await bed.checkout(buyer, hold);
    assert.equal(order.state, OrderState.CONFIRMED);
    assert.equal(order.holdId, hold.id);
    assert.equal(order.total?.amountMinor, 2n * 5000n + 3n * 2000n);
    assert.equal(order.lines.length, 3);
    assert.equal(order.ticketIds.length, 5, "two seats and three admissions");
    assert.ok(order.paymentId);
    assert.equal(bed.fake.charged, 1);
    assert.equal(await bed.count("SELECT COUNT(*) n FROM seats WHERE sold", []), 2);
    assert.deepEqual(await bed.outbox(order.id), ["OrderConfirmed"]);
    // GetOrder answers the same; another customer sees nothing
    assert.equal((await bed.order(buyer, order.id)).state, OrderState.CONFIRMED);
    const other = await bed.users.customer("other");
    await rejects(
      bed.ticket.getOrder({ orderId: order.id }, await other.auth()),
      Code.NotFound,
      "someone else's order",
    );
  });

  it("declined and insufficient funds: FAILED with the payment's code, the places back on sale", async () => {
    const ev = await bed.open();
    for (const [token, code] of [
      ["sandbox_declined", "CARD_DECLINED"],
      ["sandbox_insufficient_funds", "INSUFFICIENT_FUNDS"],
    ] as const) {
      const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["2-1"] }), token);
      assert.equal(order.state, OrderState.FAILED, token);
      assert.equal(order.failureReason, "PAYMENT_DECLINED");
      assert.deepEqual(order.ticketIds, []);
      assert.deepEqual(await bed.outbox(order.id), ["OrderFailed"]);
      const [rows] = await bed.db.pool.query("SELECT envelope FROM outbox_events WHERE aggregate_id = ?", [order.id]);
      assert.ok(
        Buffer.from((rows as Array<{ envelope: Buffer }>)[0]!.envelope).includes(code),
        `OrderFailed carries ${code}`,
      );
    }
    // the seat went back each time: a third buyer gets it
    const third = await bed.users.customer("third");
    const ok = await bed.checkout(third, await bed.hold(third, ev, { seats: ["2-1"] }));
    assert.equal(ok.state, OrderState.CONFIRMED);
  });

  it("20 concurrent Checkouts with one request_id: one order, one charge, the same answer", async () => {
    const ev = await bed.open();
    const hold = await bed.hold(buyer, ev, { seats: ["3-3"] });
    const before = bed.fake.charged;
    const requestId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => bed.checkout(buyer, hold, "sandbox_ok", requestId)),
    );
    assert.equal(new Set(answers.map((o) => o.id)).size, 1);
    assert.ok(answers.every((o) => o.state === OrderState.CONFIRMED));
    assert.equal(bed.fake.charged - before, 1, "one charge taken");
    assert.equal(await bed.count("SELECT COUNT(*) n FROM orders WHERE hold_id = ?", [hold.id]), 1);
    assert.equal(await bed.count("SELECT COUNT(*) n FROM tickets WHERE order_id = ?", [answers[0]!.id]), 1);
    assert.deepEqual(await bed.outbox(answers[0]!.id), ["OrderConfirmed"]);
    // a later repeat answers the order as it stands
    assert.equal((await bed.checkout(buyer, hold, "sandbox_ok", requestId)).id, answers[0]!.id);
    // the same request id for another request is refused
    const other = await bed.hold(buyer, ev, { seats: ["3-4"] });
    const e = await rejects(bed.checkout(buyer, other, "sandbox_ok", requestId), Code.FailedPrecondition, "reused id");
    assert.equal(reason(e), "REQUEST_ID_REUSED");
  });

  it("sandbox_lost_answer: the retried call finds the charge; CONFIRMED with one charge", async () => {
    const ev = await bed.open();
    const before = bed.fake.charged;
    const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["4-1"] }), "sandbox_lost_answer");
    const settled = await eventually("the lost answer settled", async () => {
      const o = await bed.order(buyer, order.id);
      return o.state === OrderState.CONFIRMED && o;
    });
    assert.equal(settled.ticketIds.length, 1);
    assert.equal(bed.fake.charged - before, 1);
  });

  it("sandbox_slow: Checkout answers PENDING_PAYMENT; WatchOrder streams it to CONFIRMED from PaymentSucceeded", async () => {
    const ev = await bed.open();
    bed.fake.slowMs = 4500;
    const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["5-5"] }), "sandbox_slow");
    assert.equal(order.state, OrderState.PENDING_PAYMENT, "the charge outlived the charge timeout");
    const seen: OrderState[] = [];
    for await (const u of bed.ticket.watchOrder({ orderId: order.id }, await buyer.auth()))
      if (u.update.case === "order") seen.push(u.update.value.state);
    assert.equal(seen[0], OrderState.PENDING_PAYMENT);
    assert.equal(seen.at(-1), OrderState.CONFIRMED, "the stream ends after the final state");
    // a final order's stream sends it once and ends
    const again = [];
    for await (const u of bed.ticket.watchOrder({ orderId: order.id }, await buyer.auth())) again.push(u);
    assert.equal(again.length, 1);
  });

  it("refuses a hold that expired, was checked out already, belongs to someone else, or does not exist", async () => {
    const ev = await bed.open();
    const expired = await bed.hold(buyer, ev, { seats: ["1-9"] });
    await bed.db.pool.query("UPDATE holds SET expire_time = NOW(3) - INTERVAL 1 SECOND WHERE id = ?", [expired.id]);
    let e = await rejects(bed.checkout(buyer, expired), Code.FailedPrecondition, "expired hold");
    assert.equal(reason(e), "HOLD_NOT_ACTIVE");
    assert.equal(await bed.count("SELECT COUNT(*) n FROM orders WHERE hold_id = ?", [expired.id]), 0);

    const used = await bed.hold(buyer, ev, { seats: ["1-8"] });
    await bed.checkout(buyer, used);
    e = await rejects(bed.checkout(buyer, used), Code.FailedPrecondition, "second checkout, new request id");
    assert.equal(reason(e), "HOLD_NOT_ACTIVE");

    const other = await bed.users.customer("intruder");
    const mine = await bed.hold(buyer, ev, { seats: ["1-7"] });
    await rejects(bed.checkout(other, mine), Code.NotFound, "another user's hold");
    await rejects(bed.checkout(buyer, { ...mine, id: randomUUID() }), Code.NotFound, "no such hold");
  });
});
