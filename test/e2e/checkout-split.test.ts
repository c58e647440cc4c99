/**
 * Checkout end to end with ticket and payment as separate processes (`--services=payment` and the
 * ticket service's order half), on real MariaDB and NATS: every outcome a card can have, lost
 * answers, repeats, cancels and refunds, late successes, the door, and payment SIGKILLed in the
 * middle of charging.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Code, ConnectError } from "@connectrpc/connect";
import { OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { TicketState } from "../../gen/boxoffice/ticket/v1/ticket_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ticketKeysPath } from "../../services/ticket/orders/ticket-keys.js";
import { reason, rejects } from "../support/assert.js";
import { eventually } from "../support/orders-bed.js";
import { SplitBed } from "../support/split-bed.js";
import type { TestUser } from "../support/users.js";

const program = fileURLToPath(new URL("../../cmd/boxoffice.ts", import.meta.url));

describe("Checkout across ticket and payment processes (e2e)", function () {
  this.timeout(120_000);
  const bed = new SplitBed();
  let buyer: TestUser;

  before(async function () {
    this.timeout(90_000);
    await bed.start({
      ticket: { BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS: "2", BOXOFFICE_TICKET_RECONCILE_EVERY_MS: "500" },
      payment: { BOXOFFICE_SANDBOX_SLOW_MS: "6000", BOXOFFICE_PAYMENT_SETTLE_EVERY_MS: "1000" },
    });
    buyer = await bed.users.customer("buyer");
  });
  after(() => bed.stop());

  /** Payment's own view of an order: its payments and the sandbox's charges under the order's key. */
  const paymentOf = async (orderId: string) => {
    const [p] = await bed.paymentDb.pool.query(
      "SELECT state, amount_minor, refunded_minor FROM payments WHERE order_id = ?",
      [orderId],
    );
    const charges = await bed.count(
      "SELECT COUNT(*) n FROM sandbox_charges WHERE idempotency_key LIKE ? AND status = 'SUCCEEDED'",
      [`%${orderId}`],
      bed.paymentDb,
    );
    const rows = p as Array<{ state: string; amount_minor: number; refunded_minor: number }>;
    return { payments: rows, charges };
  };

  it("sandbox_ok: CONFIRMED, one charge, tickets issued", async () => {
    const ev = await bed.open();
    const order = await bed.buy(buyer, ev, { seats: ["1-1", "1-2"], ga: 1 });
    assert.equal(order.state, OrderState.CONFIRMED);
    assert.equal(order.ticketIds.length, 3);
    const p = await paymentOf(order.id);
    assert.deepEqual(
      p.payments.map((x) => [x.state, Number(x.amount_minor)]),
      [["SUCCEEDED", 12_000]],
    );
    assert.equal(p.charges, 1);
  });

  it("declined and insufficient funds: FAILED with the payment's code, nothing charged, the places back", async () => {
    const ev = await bed.open();
    for (const token of ["sandbox_declined", "sandbox_insufficient_funds"]) {
      const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["2-2"] }), token);
      assert.equal(order.state, OrderState.FAILED, token);
      assert.equal(order.failureReason, "PAYMENT_DECLINED");
      assert.equal((await paymentOf(order.id)).charges, 0);
    }
    assert.equal((await bed.buy(buyer, ev, { seats: ["2-2"] })).state, OrderState.CONFIRMED, "the seat was free again");
  });

  it("sandbox_lost_answer: Checkout answers PENDING_PAYMENT; the order settles CONFIRMED with one charge", async () => {
    const ev = await bed.open();
    const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["3-3"] }), "sandbox_lost_answer");
    const settled = await bed.settled(buyer, order.id);
    assert.equal(settled.state, OrderState.CONFIRMED);
    assert.equal((await paymentOf(order.id)).charges, 1);
  });

  it("a hold that expired before checkout is refused, nothing charged", async () => {
    const ev = await bed.open();
    const hold = await bed.hold(buyer, ev, { seats: ["4-1"] });
    await bed.db.pool.query("UPDATE holds SET expire_time = NOW(3) - INTERVAL 1 SECOND WHERE id = ?", [hold.id]);
    const e = await rejects(bed.checkout(buyer, hold), Code.FailedPrecondition, "expired hold");
    assert.equal(reason(e), "HOLD_NOT_ACTIVE");
    assert.equal((await bed.count("SELECT COUNT(*) n FROM payments", [], bed.paymentDb)) >= 0, true);
    assert.equal(await bed.count("SELECT COUNT(*) n FROM orders WHERE hold_id = ?", [hold.id]), 0);
  });

  it("20 concurrent Checkouts with one request_id: one order, one charge", async () => {
    const ev = await bed.open();
    const hold = await bed.hold(buyer, ev, { ga: 2 });
    const requestId = randomUUID();
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => bed.checkout(buyer, hold, "sandbox_ok", requestId)),
    );
    const ids = new Set(answers.map((o) => o.id));
    assert.equal(ids.size, 1);
    const id = [...ids][0]!;
    assert.equal((await bed.settled(buyer, id)).state, OrderState.CONFIRMED);
    const p = await paymentOf(id);
    assert.equal(p.payments.length, 1);
    assert.equal(p.charges, 1);
    assert.equal(await bed.count("SELECT COUNT(*) n FROM tickets WHERE order_id = ?", [id]), 2);
  });

  it("cancel: refunded in payment, tickets VOID, the places back on sale", async () => {
    const ev = await bed.open();
    const order = await bed.buy(buyer, ev, { seats: ["5-1", "5-2"] });
    await bed.ticket.cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "ill" }, await buyer.auth());
    await eventually(
      "payment shows the refund",
      async () => (await paymentOf(order.id)).payments[0]?.state === "REFUNDED",
    );
    assert.equal(
      await bed.count(
        "SELECT COUNT(*) n FROM payment_ledger_entries WHERE kind = 'REFUND' AND payment_id IN (SELECT id FROM payments WHERE order_id = ?)",
        [order.id],
        bed.paymentDb,
      ),
      1,
    );
    const other = await bed.users.customer("next");
    assert.equal((await bed.buy(other, ev, { seats: ["5-1", "5-2"] })).state, OrderState.CONFIRMED);
  });

  it("a success that lands after the order FAILED (payment timeout) is refunded", async () => {
    const ev = await bed.open();
    const order = await bed.checkout(buyer, await bed.hold(buyer, ev, { seats: ["5-5"] }), "sandbox_slow");
    assert.equal(order.state, OrderState.PENDING_PAYMENT);
    // older than the ticket service's payment timeout (600 s) by the clock its sweeper reads
    await bed.db.pool.query("UPDATE orders SET create_time = create_time - INTERVAL 11 MINUTE WHERE id = ?", [
      order.id,
    ]);
    const failed = await bed.settled(buyer, order.id);
    assert.equal(failed.state, OrderState.FAILED);
    await eventually(
      "the late success refunded",
      async () => (await paymentOf(order.id)).payments[0]?.state === "REFUNDED",
      30_000,
    );
    assert.equal((await bed.order(buyer, order.id)).failureReason, "LATE_PAYMENT_REFUNDED");
  });

  it("the door: once, from two gates at once, forged codes refused; offline verification with only the published keys", async () => {
    const ev = await bed.open();
    const order = await bed.buy(buyer, ev, { seats: ["1-9"], ga: 1 });
    const { tickets } = await bed.internal.getOrderTickets({ orderId: order.id }, await bed.serviceAuth());
    const admin = await bed.users.admin();
    const scan = async (who: TestUser, code: string) =>
      (await bed.ticket.checkIn({ requestId: randomUUID(), eventId: ev.eventId, code }, await who.auth())).ticket!;
    const first = await scan(bed.organizer, tickets[0]!.code);
    assert.equal(first.state, TicketState.CHECKED_IN);
    const twice = await rejects(scan(bed.organizer, tickets[0]!.code), Code.FailedPrecondition, "twice");
    assert.equal(reason(twice), "ALREADY_CHECKED_IN");
    const gates = await Promise.allSettled([scan(bed.organizer, tickets[1]!.code), scan(admin, tickets[1]!.code)]);
    assert.equal(gates.filter((g) => g.status === "fulfilled").length, 1);
    const lost = gates.find((g) => g.status === "rejected") as PromiseRejectedResult;
    assert.equal(reason(ConnectError.from(lost.reason)), "ALREADY_CHECKED_IN");
    const forged = Buffer.from(tickets[1]!.code, "base64url");
    forged[forged.length - 5]! ^= 0x10;
    await rejects(scan(bed.organizer, forged.toString("base64url")), Code.NotFound, "forged");
    // offline: the keys document saved once, then no network and no database
    const doc = await (await fetch(`${bed.url("ticket")}${ticketKeysPath}`)).text();
    const file = join(tmpdir(), `ticket-keys-${randomUUID()}.json`);
    writeFileSync(file, doc);
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", program, "ticket", "verify", tickets[0]!.code, `--keys=${file}`],
      {
        encoding: "utf8",
        env: { PATH: process.env.PATH ?? "" },
        timeout: 30_000,
      },
    );
    assert.equal(r.status, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { ticketId: string }).ticketId, tickets[0]!.id);
  });

  it("payment SIGKILLed mid-charge: taken charges stay pending and confirm after the restart; checkouts while it is away answer PAYMENT_UNAVAILABLE, a retry charges, the rest fail with nothing charged", async () => {
    const ev = await bed.open([{ kind: "ga", capacity: 200, price: 1500 }]);
    const buyers = await Promise.all(Array.from({ length: 6 }, (_, i) => bed.users.customer(`k${i}`)));
    const holds = await Promise.all(buyers.map((b) => bed.hold(b, ev, { ga: 1 })));
    // slow charges: taken by the processor at once, settled seconds later — payment dies in between
    const inFlight = buyers.map((b, i) => bed.checkout(b, holds[i]!, "sandbox_slow"));
    await eventually(
      "the processor took the six charges",
      async () =>
        (await bed.count(
          "SELECT COUNT(*) n FROM sandbox_charges WHERE status = 'SUCCEEDED' AND settle_time > NOW(3)",
          [],
          bed.paymentDb,
        )) >= 6,
    );
    await bed.kill("payment");
    const answered = await Promise.all(inFlight);
    assert.ok(
      answered.every((o) => o.state === OrderState.PENDING_PAYMENT),
      "no outcome known: pending",
    );
    // payment is down: more checkouts answer UNAVAILABLE PAYMENT_UNAVAILABLE (nothing charged, the
    // order waits for a retry), and once the breaker is open they answer at once
    const more: {
      order: string;
      buyer: TestUser;
      hold: Awaited<ReturnType<typeof bed.hold>>;
      requestId: ReturnType<typeof randomUUID>;
    }[] = [];
    const extra = await Promise.all(Array.from({ length: 6 }, (_, i) => bed.users.customer(`d${i}`)));
    for (const b of extra) {
      const t0 = Date.now();
      const hold = await bed.hold(b, ev, { ga: 1 });
      const requestId = randomUUID();
      const e = await rejects(bed.checkout(b, hold, "sandbox_ok", requestId), Code.Unavailable, "payment away");
      assert.equal(reason(e), "PAYMENT_UNAVAILABLE");
      more.push({ order: e.findDetails(ErrorInfoSchema)[0]?.metadata.order_id ?? "", buyer: b, hold, requestId });
      if (more.length === 6) assert.ok(Date.now() - t0 < 1000, "breaker open: no waiting on a dead peer");
    }
    // the last buyer keeps retrying with the same request_id (each UNAVAILABLE answer keeps its order
    // waiting): once payment is back, its waiting order is charged
    const back = more.at(-1)!;
    const retrying = eventually(
      "the retried Checkout confirmed",
      async () => {
        const o = await bed
          .checkout(back.buyer, back.hold, "sandbox_ok", back.requestId)
          .catch((e: unknown) => (ConnectError.from(e).code === Code.Unavailable ? undefined : Promise.reject(e)));
        return o?.state === OrderState.CONFIRMED && o;
      },
      60_000,
    );
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(
      await bed.count("SELECT COUNT(*) n FROM orders WHERE event_id = ? AND state = 'PENDING_PAYMENT'", [ev.eventId]),
      12,
      "nothing settles while payment is away",
    );
    await bed.startChild("payment");
    for (const [i, o] of answered.entries()) {
      const s = await bed.settled(buyers[i]!, o.id, 60_000);
      assert.equal(s.state, OrderState.CONFIRMED, `taken before the kill: ${o.id}`);
      const p = await paymentOf(o.id);
      assert.equal(p.charges, 1);
      assert.deepEqual(
        p.payments.map((x) => x.state),
        ["SUCCEEDED"],
      );
    }
    const confirmed = await retrying;
    assert.equal(confirmed.id, back.order, "the order that waited, not a second one");
    assert.equal((await paymentOf(back.order)).charges, 1);
    // nobody retried the others: nothing was charged, reconciliation fails them, places back
    for (const o of more.slice(0, -1)) {
      const s = await bed.settled(o.buyer, o.order, 60_000);
      assert.equal(s.state, OrderState.FAILED, `never reached payment: ${o.order}`);
      assert.equal(s.failureReason, "PAYMENT_NOT_COMPLETED");
      assert.equal((await paymentOf(o.order)).charges, 0);
    }
  });
});
