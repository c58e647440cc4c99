/**
 * How orders end besides a clean Checkout: CancelOrder with its refund and its refusals, orders
 * whose charge outcome was lost (reconciliation, the payment timeout, the breaker), payments that
 * land for closed orders (refunded), and the event service's facts: EventCancelled cancels and
 * refunds every order in resumable batches, EventUpdated tells each confirmed holder once.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { anyUnpack, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code } from "@connectrpc/connect";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventEnvelopeSchema } from "../../gen/boxoffice/common/v1/envelope_pb.js";
import { EventCancelledSchema, EventUpdatedSchema } from "../../gen/boxoffice/event/v1/events_pb.js";
import { OrderCancelledSchema, OrderRescheduledSchema } from "../../gen/boxoffice/ticket/v1/events_pb.js";
import { type Order, OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { eventType } from "../../platform/bus/events.js";
import { connectNats } from "../../platform/bus/nats.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import { addEventJob } from "../../services/ticket/orders/db/work.js";
import { runEventJobs } from "../../services/ticket/orders/use-cases/event-jobs.js";
import { reason, rejects } from "../support/assert.js";
import { ensureStream, publishFact } from "../support/facts.js";
import { infraUrls } from "../support/infra.js";
import { eventually, OrdersBed } from "../support/orders-bed.js";
import type { TestUser } from "../support/users.js";

const EventCancelled = eventType(EventCancelledSchema, "event");
const EventUpdated = eventType(EventUpdatedSchema, "event");

describe("orders: cancel, refunds, reconciliation and the event's facts (order half)", function () {
  this.timeout(90_000);
  const bed = new OrdersBed();
  let buyer: TestUser;
  let nc: NatsConnection;

  before(async () => {
    await bed.start({
      BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS: "1",
      BOXOFFICE_TICKET_RECONCILE_EVERY_MS: "400",
      BOXOFFICE_TICKET_EVENT_JOB_BATCH: "2",
      BOXOFFICE_TICKET_EVENT_JOB_EVERY_MS: "600000",
    });
    buyer = await bed.users.customer("buyer");
    nc = await connectNats(infraUrls().natsUrl, "orders-settle-test");
    await ensureStream(nc, bed.prefix, "event");
  });
  after(async () => {
    await nc?.close();
    await bed.stop();
  });

  const refunded = (orderId: string) => bed.fake.refunds.has(`refund_${orderId}`);
  const envelopes = async (orderId: string, type: string) => {
    const [rows] = await bed.db.pool.query(
      "SELECT envelope FROM outbox_events WHERE aggregate_id = ? AND event_type = ? ORDER BY seq",
      [orderId, `boxoffice.ticket.v1.${type}`],
    );
    return (rows as Array<{ envelope: Buffer }>).map((r) => fromBinary(EventEnvelopeSchema, r.envelope));
  };

  it("CancelOrder: CANCELLED, tickets VOID, refunded, the places back on sale; a repeat replays, a second cancel is refused", async () => {
    const ev = await bed.open();
    const order = await bed.buy(buyer, ev, { seats: ["1-1", "1-2"] });
    const requestId = randomUUID();
    const { order: cancelled } = await bed.ticket.cancelOrder(
      { requestId, orderId: order.id, reason: "plans changed" },
      await buyer.auth(),
    );
    assert.equal(cancelled!.state, OrderState.CANCELLED);
    assert.equal(cancelled!.cancelReason, "plans changed");
    assert.ok(refunded(order.id), "refunded before the answer");
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM order_refunds WHERE order_id = ? AND state = 'DONE'", [order.id]),
      1,
    );
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM tickets WHERE order_id = ? AND state = 'VOID'", [order.id]),
      2,
    );
    const [env] = await envelopes(order.id, "OrderCancelled");
    const payload = anyUnpack(env!.payload!, OrderCancelledSchema)!;
    assert.equal(payload.refundExpected, true);
    assert.equal(payload.eventCancelled, false);
    assert.equal(payload.event?.name, "Test night");
    // the seats are for sale again
    const next = await bed.users.customer("next");
    assert.equal((await bed.buy(next, ev, { seats: ["1-1", "1-2"] })).state, OrderState.CONFIRMED);
    // the same request id replays; another one is refused
    const again = await bed.ticket.cancelOrder(
      { requestId, orderId: order.id, reason: "plans changed" },
      await buyer.auth(),
    );
    assert.equal(again.order!.cancelTime?.seconds, cancelled!.cancelTime?.seconds);
    const e = await rejects(
      bed.ticket.cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "" }, await buyer.auth()),
      Code.FailedPrecondition,
      "cancel twice",
    );
    assert.equal(reason(e), "ORDER_NOT_CANCELLABLE");
    assert.equal(bed.fake.refunds.size >= 1, true);
    const stranger = await bed.users.customer("stranger");
    await rejects(
      bed.ticket.cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "" }, await stranger.auth()),
      Code.NotFound,
      "someone else's order",
    );
  });

  it("CancelOrder is refused once a ticket was used or the event has started", async () => {
    const ev = await bed.open();
    const order = await bed.buy(buyer, ev, { ga: 2 });
    const [t] = (await bed.internal.getOrderTickets({ orderId: order.id }, await bed.serviceAuth())).tickets;
    await bed.ticket.checkIn(
      { requestId: randomUUID(), eventId: ev.eventId, code: t!.code },
      await bed.organizer.auth(),
    );
    let e = await rejects(
      bed.ticket.cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "" }, await buyer.auth()),
      Code.FailedPrecondition,
      "a checked-in ticket",
    );
    assert.equal(reason(e), "TICKET_CHECKED_IN");
    const started = await bed.open(undefined, { startTime: new Date(Date.now() - 60_000) });
    const late = await bed.buy(buyer, started, { seats: ["1-1"] });
    e = await rejects(
      bed.ticket.cancelOrder({ requestId: randomUUID(), orderId: late.id, reason: "" }, await buyer.auth()),
      Code.FailedPrecondition,
      "the event started",
    );
    assert.equal(reason(e), "EVENT_STARTED");
  });

  it("a pending order cancelled before its slow charge lands: the charge is refunded and the reason says so", async () => {
    const ev = await bed.open();
    bed.fake.slowMs = 5000; // lands after Checkout gave up waiting (3 s) and the cancel
    const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["2-1"] }), "sandbox_slow");
    assert.equal(order.state, OrderState.PENDING_PAYMENT);
    const { order: cancelled } = await bed.ticket.cancelOrder(
      { requestId: randomUUID(), orderId: order.id, reason: "too slow" },
      await buyer.auth(),
    );
    assert.equal(cancelled!.state, OrderState.CANCELLED);
    await eventually("the late charge refunded", async () => refunded(order.id));
    const o = await bed.order(buyer, order.id);
    assert.equal(o.state, OrderState.CANCELLED);
    assert.equal(o.cancelReason, "too slow; LATE_PAYMENT_REFUNDED");
    assert.deepEqual(o.ticketIds, []);
  });

  it("payment down: Checkout answers UNAVAILABLE (nothing charged, the order waits), the breaker opens, a retry with the same request_id charges it, reconciliation fails the orders nobody retried, a late success is refunded", async () => {
    const ev = await bed.open();
    bed.fake.down = true;
    const pending: Order[] = [];
    const checkoutDown = async (seat: string, requestId = randomUUID()) => {
      const hold = await bed.hold(buyer, ev, { seats: [seat] });
      const e = await rejects(bed.checkout(buyer, hold, "sandbox_ok", requestId), Code.Unavailable, "payment down");
      assert.equal(reason(e), "PAYMENT_UNAVAILABLE");
      const orderId = e.findDetails(ErrorInfoSchema)[0]?.metadata.order_id ?? "";
      const order = await bed.order(buyer, orderId);
      assert.equal(order.state, OrderState.PENDING_PAYMENT, "the order waits for a retry");
      return { order, hold, requestId };
    };
    let retried: Awaited<ReturnType<typeof checkoutDown>>;
    try {
      // five failed calls in a row open the breaker (a call counts once, whatever its retries)
      for (let i = 1; i <= 5; i++) pending.push((await checkoutDown(`3-${i}`)).order);
      const callsWhileOpen = bed.fake.chargeCalls;
      const fast = Date.now();
      retried = await checkoutDown("3-9");
      assert.equal(bed.fake.chargeCalls, callsWhileOpen, "the breaker is open: payment was not called");
      assert.ok(Date.now() - fast < 2000, "and the answer came at once");
    } finally {
      bed.fake.down = false;
    }
    // payment is back: the buyer's retry with the same request_id (once the breaker lets a call
    // through) charges the waiting order — one order, one charge
    const confirmed = await eventually(
      "the retried Checkout confirmed",
      async () => {
        const o = await bed
          .checkout(buyer, retried.hold, "sandbox_ok", retried.requestId)
          .catch((e: unknown) => (reason(e as never) === "PAYMENT_UNAVAILABLE" ? undefined : Promise.reject(e)));
        return o?.state === OrderState.CONFIRMED && o;
      },
      15_000,
    );
    assert.equal(confirmed.id, retried.order.id, "the same order, not a second one");
    for (const o of pending) {
      const failed = await eventually(
        `order ${o.id} reconciled`,
        async () => {
          const now = await bed.order(buyer, o.id);
          return now.state === OrderState.FAILED && now;
        },
        20_000,
      );
      assert.equal(failed.failureReason, "PAYMENT_NOT_COMPLETED");
    }
    assert.equal(
      await bed.count(
        "SELECT COUNT(*) n FROM seats WHERE hold_id IN (SELECT hold_id FROM orders WHERE event_id = ? AND state = 'FAILED') AND taken_until IS NOT NULL",
        [ev.eventId],
      ),
      0,
    );
    // a charge that still landed for one of them is refunded
    const victim = pending[0]!;
    await bed.fake.lateSuccess(victim.id, buyer.id, 5000);
    await eventually("the late success refunded", async () => refunded(victim.id));
    const after = await bed.order(buyer, victim.id);
    assert.equal(after.state, OrderState.FAILED);
    assert.equal(after.failureReason, "LATE_PAYMENT_REFUNDED");
  });

  it("no outcome within the payment timeout: FAILED (PAYMENT_TIMEOUT), places back; the charge that lands later is refunded", async () => {
    const ev = await bed.open();
    bed.fake.slowMs = 6000;
    const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["4-4"] }), "sandbox_slow");
    // the order is older than the payment timeout (600 s) by the clock the sweeper reads
    await bed.db.pool.query("UPDATE orders SET create_time = create_time - INTERVAL 11 MINUTE WHERE id = ?", [
      order.id,
    ]);
    const failed = await eventually("timed out", async () => {
      const o = await bed.order(buyer, order.id);
      return o.state === OrderState.FAILED && o;
    });
    assert.equal(failed.failureReason, "PAYMENT_TIMEOUT");
    assert.equal(await bed.count("SELECT COUNT(*) n FROM seats WHERE hold_id = ?", [order.holdId]), 0, "places back");
    await eventually("refunded after the slow success", async () => refunded(order.id), 20_000);
    assert.equal((await bed.order(buyer, order.id)).failureReason, "LATE_PAYMENT_REFUNDED");
  });

  it("EventCancelled: every open order cancelled with EVENT_CANCELLED and refunded, one OrderCancelled each, sales stopped", async () => {
    const ev = await bed.open();
    const paid = [];
    for (let i = 1; i <= 5; i++) paid.push(await bed.buy(buyer, ev, { seats: [`5-${i}`] }));
    const declined = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["5-9"] }), "sandbox_declined");
    const waiting = await bed.hold(buyer, ev, { seats: ["5-10"] });
    await publishFact(
      nc,
      bed.prefix,
      EventCancelled,
      {
        eventId: ev.eventId,
        reason: "the band split up",
        cancelTime: timestampFromDate(new Date()),
        name: "Test night",
      },
      { type: "event", id: ev.eventId, version: 7, sequence: 3 },
    );
    for (const o of paid) {
      await eventually(`order ${o.id} cancelled and refunded`, async () => {
        const now = await bed.order(buyer, o.id);
        return now.state === OrderState.CANCELLED && refunded(o.id);
      });
      const cancels = await envelopes(o.id, "OrderCancelled");
      assert.equal(cancels.length, 1);
      const p = anyUnpack(cancels[0]!.payload!, OrderCancelledSchema)!;
      assert.equal(p.reason, "EVENT_CANCELLED");
      assert.equal(p.eventCancelled, true);
      assert.equal(p.refundExpected, true);
      assert.equal((await bed.order(buyer, o.id)).cancelReason, "EVENT_CANCELLED");
    }
    assert.equal((await bed.order(buyer, declined.id)).state, OrderState.FAILED, "a failed order stays failed");
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM tickets WHERE event_id = ? AND state <> 'VOID'", [ev.eventId]),
      0,
    );
    const e = await rejects(bed.checkout(buyer, waiting), Code.FailedPrecondition, "checkout after the cancellation");
    assert.equal(reason(e), "SALES_CLOSED");
    assert.equal(
      await bed.count(
        "SELECT COUNT(*) n FROM order_event_jobs WHERE event_id = ? AND state = 'DONE' AND processed = 5",
        [ev.eventId],
      ),
      1,
    );
  });

  it("an event's cancellation is resumable: a run stopped after one batch leaves the rest for the next, nothing twice", async () => {
    const ev = await bed.open();
    const orders: Order[] = [];
    for (let i = 1; i <= 5; i++) orders.push(await bed.buy(buyer, ev, { seats: [`4-${i}`] }));
    const d = bed.orders.deps;
    await d.commands.transaction(servicePrincipal("ticket"), (w) =>
      addEventJob(w.tx, { eventId: ev.eventId, kind: "CANCEL", revision: 9, reason: "", createTime: new Date() }),
    );
    assert.equal(await runEventJobs(d, { maxBatches: 1 }), 2, "one batch of two, then the run stops (a crash)");
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM orders WHERE event_id = ? AND state = 'CANCELLED'", [ev.eventId]),
      2,
    );
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM order_event_jobs WHERE event_id = ? AND state = 'RUNNING'", [ev.eventId]),
      1,
    );
    assert.equal(await runEventJobs(d), 3, "the next run goes on where the orders stand");
    for (const o of orders)
      assert.equal((await envelopes(o.id, "OrderCancelled")).length, 1, `one OrderCancelled for ${o.id}`);
    assert.equal(await runEventJobs(d), 0);
    await eventually("every refund sent", async () => orders.every((o) => refunded(o.id)));
  });

  it("EventUpdated moving the start: one OrderRescheduled per CONFIRMED order; repeats and older revisions tell no one again", async () => {
    const ev = await bed.open();
    const confirmed = [await bed.buy(buyer, ev, { seats: ["1-5"] }), await bed.buy(buyer, ev, { ga: 1 })];
    const failed = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["1-6"] }), "sandbox_declined");
    const moved = new Date(Date.now() + 60 * 24 * 3600_000);
    const update = (revision: number, start: Date, paths = ["start_time"]) =>
      publishFact(
        nc,
        bed.prefix,
        EventUpdated,
        {
          eventId: ev.eventId,
          revision: BigInt(revision),
          changedFields: { paths },
          name: "Test night (moved)",
          startTime: timestampFromDate(start),
          endTime: timestampFromDate(new Date(start.getTime() + 3 * 3600_000)),
        },
        { type: "event", id: ev.eventId, version: revision, sequence: revision },
      );
    await update(5, moved);
    for (const o of confirmed)
      await eventually(
        `OrderRescheduled for ${o.id}`,
        async () => (await envelopes(o.id, "OrderRescheduled")).length === 1,
      );
    const [env] = await envelopes(confirmed[0]!.id, "OrderRescheduled");
    const p = anyUnpack(env!.payload!, OrderRescheduledSchema)!;
    assert.equal(p.eventRevision, 5n);
    assert.equal(p.event?.name, "Test night (moved)");
    assert.equal(p.event?.startTime?.seconds, BigInt(Math.floor(moved.getTime() / 1000)));
    assert.ok(p.previousStartTime && p.previousStartTime.seconds < p.event!.startTime!.seconds);
    assert.equal(p.event?.venueCity, "Berlin");
    assert.equal((await envelopes(failed.id, "OrderRescheduled")).length, 0);
    // an older revision arriving late, a name-only change, and the same start again change nothing
    await update(4, new Date(Date.now() + 10 * 24 * 3600_000));
    await update(6, moved, ["name"]);
    await update(7, moved);
    const later = await bed.buy(buyer, ev, { seats: ["1-7"] });
    await eventually(
      "the jobs ran",
      async () =>
        (await bed.count("SELECT COUNT(*) n FROM order_event_jobs WHERE event_id = ? AND state = 'RUNNING'", [
          ev.eventId,
        ])) === 0,
    );
    for (const o of confirmed) assert.equal((await envelopes(o.id, "OrderRescheduled")).length, 1);
    assert.equal(
      (await envelopes(later.id, "OrderRescheduled")).length,
      0,
      "confirmed after the move: told at confirmation",
    );
    // out of order: the revision that moved the start (9) is heard after a newer name edit (10), so
    // the latest-state consumer skips it; the edit carries the new start, and the holders are told once
    const movedAgain = new Date(moved.getTime() + 7 * 24 * 3600_000);
    await update(10, movedAgain, ["name"]);
    await update(9, movedAgain);
    for (const o of [...confirmed, later])
      await eventually(
        `the second move told to ${o.id}`,
        async () => (await envelopes(o.id, "OrderRescheduled")).length === (o === later ? 1 : 2),
      );
    const [, second] = await envelopes(confirmed[0]!.id, "OrderRescheduled");
    const q = anyUnpack(second!.payload!, OrderRescheduledSchema)!;
    assert.equal(q.eventRevision, 10n);
    assert.equal(q.event?.startTime?.seconds, BigInt(Math.floor(movedAgain.getTime() / 1000)));
  });
});
