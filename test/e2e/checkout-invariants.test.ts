/**
 * The money and the places after a randomised run of checkouts across ticket and payment processes:
 * mixed sandbox tokens, some cancellations, and the payment process SIGKILLed at seeded moments
 * (and restarted a little later, while checkouts go on). Once every order has settled:
 *
 * - captured − refunded (the processor's books, and payment's ledger) = the value of CONFIRMED orders;
 * - every CONFIRMED order has exactly one successful charge, not refunded;
 * - every charge of an order that is not CONFIRMED was refunded in full;
 * - no place is in two live tickets, and live tickets match the places sold;
 * - no order is PENDING_PAYMENT after the reconciliation bound, no refund is left owed.
 *
 * `make test` runs 20 checkouts (still one payment SIGKILL); `make test-long-checkout` 1,000
 * (BOXOFFICE_CHECKOUT_RUNS).
 * The seed is printed; `CHAOS_SEED=n` replays it.
 */
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Code, ConnectError } from "@connectrpc/connect";
import type { Hold } from "../../gen/boxoffice/ticket/v1/hold_pb.js";
import { type Order, OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { reason } from "../support/assert.js";
import { eventually } from "../support/orders-bed.js";
import type { OpenedEvent } from "../support/orders-kit.js";
import { SplitBed } from "../support/split-bed.js";
import type { TestUser } from "../support/users.js";

const RUNS = Number(process.env.BOXOFFICE_CHECKOUT_RUNS ?? 20);
const SEED = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
const WORKERS = 8;
/** After the last checkout, every order must have settled within this (reconciliation after 2 s, payment's doubt window ~5 s, slow charges 2.5 s, a restart). */
const SETTLE_BOUND_MS = 60_000;

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TOKENS: Array<[string, number]> = [
  ["sandbox_ok", 0.4],
  ["sandbox_declined", 0.1],
  ["sandbox_insufficient_funds", 0.1],
  ["sandbox_lost_answer", 0.15],
  ["sandbox_error", 0.1],
  ["sandbox_slow", 0.15],
];

describe(`checkout invariants after a randomised run (${RUNS} checkouts, payment SIGKILLed at seeded moments)`, function () {
  this.timeout(Math.max(240_000, RUNS * 1500));
  const bed = new SplitBed();
  const random = prng(SEED);
  let ev: OpenedEvent;

  before(async function () {
    this.timeout(90_000);
    process.stderr.write(`    checkout invariants: CHAOS_SEED=${SEED} BOXOFFICE_CHECKOUT_RUNS=${RUNS}\n`);
    await bed.start({
      ticket: {
        BOXOFFICE_TICKET_RECONCILE_AFTER_SECONDS: "2",
        BOXOFFICE_TICKET_RECONCILE_EVERY_MS: "500",
        BOXOFFICE_TICKET_REFUND_EVERY_MS: "500",
        BOXOFFICE_DB_POOL_SIZE: "16",
      },
      payment: { BOXOFFICE_SANDBOX_SLOW_MS: "2500", BOXOFFICE_PAYMENT_SETTLE_EVERY_MS: "1000" },
    });
    // a small seated section so failed and cancelled orders' seats are sold again
    ev = await bed.open(
      [
        { kind: "reserved", rows: 4, seats: 10, price: 4000 },
        { kind: "ga", capacity: Math.max(200, RUNS * 2), price: 1500 },
      ],
      { maxPerBuyer: 10_000 },
    );
  });
  after(() => bed.stop());

  it("holds the money and place invariants", async () => {
    const buyers: TestUser[] = await Promise.all(
      Array.from({ length: WORKERS }, (_, i) => bed.users.customer(`w${i}`)),
    );
    const pick = () => {
      let r = random();
      for (const [t, p] of TOKENS) if ((r -= p) < 0) return t;
      return "sandbox_ok";
    };
    // seeded moments (checkout numbers) at which payment is SIGKILLed, and how long it stays down
    const kills = new Map<number, number>();
    for (let k = 0; k < Math.max(1, Math.round(RUNS / 200)); k++)
      kills.set(Math.floor(random() * RUNS), 200 + Math.floor(random() * 1300));
    const plans = Array.from({ length: RUNS }, () => ({
      token: pick(),
      seats: random() < 0.5 ? 1 + Math.floor(random() * 3) : 0,
      ga: 1 + Math.floor(random() * 3),
      cancel: random() < 0.1,
    }));
    const orders: Array<{ buyer: TestUser; order: Order }> = [];
    let next = 0;
    let outage: Promise<void> | undefined;
    let outages = 0;
    let duringOutage = 0;
    const outcomes = { refused: 0, errors: 0, paymentUnavailable: 0, retried: 0 };
    // Checkout as a client does: PAYMENT_UNAVAILABLE (payment away, nothing charged) leaves the order
    // waiting; half the buyers retry with the same request_id until payment answers, the others
    // walk away and leave the order to reconciliation
    const checkout = async (buyer: TestUser, hold: Hold, token: string, retries: boolean): Promise<Order> => {
      const requestId = randomUUID();
      for (let attempt = 0; ; attempt++) {
        try {
          return await bed.checkout(buyer, hold, token, requestId);
        } catch (e) {
          const err = ConnectError.from(e);
          if (err.code !== Code.Unavailable || reason(err) !== "PAYMENT_UNAVAILABLE") throw e;
          outcomes.paymentUnavailable++;
          const orderId = err.findDetails(ErrorInfoSchema)[0]?.metadata.order_id ?? "";
          // a patient client gives up after ~20 s, as a buyer would
          if (!retries || attempt >= 40) return bed.order(buyer, orderId);
          outcomes.retried++;
          await sleep(500);
        }
      }
    };
    const worker = async (buyer: TestUser) => {
      for (let i = next++; i < RUNS; i = next++) {
        // checkouts go on during an outage (they stay pending, then settle), a dozen of them; the
        // rest wait for payment to be back, so every run also has plenty of checkouts after one
        if (outage !== undefined && duringOutage >= 12) await outage;
        if (outage !== undefined) duringOutage++;
        const downFor = kills.get(i);
        if (downFor !== undefined && outage === undefined) {
          // payment dies now and comes back after `downFor` (+ its start-up), while checkouts go on
          await bed.kill("payment");
          outages++;
          duringOutage = 0;
          outage = sleep(downFor)
            .then(() => bed.startChild("payment"))
            // back when a checkout gets an answer again (ticket's breaker on payment closed)
            .then(() =>
              eventually(
                "ticket reaching payment again",
                async () => {
                  const probe = await checkout(buyer, await bed.hold(buyer, ev, { ga: 1 }), "sandbox_ok", false);
                  orders.push({ buyer, order: probe });
                  if (probe.state !== OrderState.PENDING_PAYMENT) return true;
                  await sleep(500);
                  return false;
                },
                60_000,
              ),
            )
            .then(() => undefined)
            .finally(() => {
              outage = undefined;
            });
        }
        const plan = plans[i]!;
        let hold: Hold;
        try {
          const labels = Array.from(
            { length: plan.seats },
            () => `${1 + Math.floor(random() * 4)}-${1 + Math.floor(random() * 10)}`,
          );
          hold = await bed.hold(buyer, ev, plan.seats > 0 ? { seats: [...new Set(labels)] } : { ga: plan.ga });
        } catch (e) {
          const err = ConnectError.from(e);
          if (err.code !== Code.FailedPrecondition || reason(err) !== "SEATS_UNAVAILABLE") throw e;
          // a seat is taken (a live hold or order): general admission instead
          outcomes.refused++;
          hold = await bed.hold(buyer, ev, { ga: plan.ga });
        }
        const order = await checkout(buyer, hold, plan.token, i % 2 === 0);
        orders.push({ buyer, order });
        if (plan.cancel && order.state === OrderState.CONFIRMED)
          await bed.ticket
            .cancelOrder({ requestId: randomUUID(), orderId: order.id, reason: "random" }, await buyer.auth())
            .catch(() => outcomes.errors++);
      }
    };
    const t0 = Date.now();
    await Promise.all(buyers.map(worker));
    await outage;
    const ran = Date.now() - t0;

    // every order settles within the bound; every refund owed is sent
    const settledAt = await eventually(
      "no order pending, no refund owed",
      async () => {
        const pending = await bed.count("SELECT COUNT(*) n FROM orders WHERE state = 'PENDING_PAYMENT'", []);
        const owed = await bed.count("SELECT COUNT(*) n FROM order_refunds WHERE state = 'PENDING'", []);
        const unknown = await bed.count("SELECT COUNT(*) n FROM orders WHERE payment_outcome IS NULL", []);
        return pending === 0 && owed === 0 && unknown === 0 && Date.now();
      },
      SETTLE_BOUND_MS,
    );
    const byState = await bed.ticketDb.pool.query(
      "SELECT state, COUNT(*) n, SUM(total_minor) v FROM orders GROUP BY state",
    );
    const states = Object.fromEntries(
      (byState[0] as Array<{ state: string; n: number; v: number }>).map((r) => [
        r.state,
        { n: Number(r.n), v: Number(r.v) },
      ]),
    );
    process.stderr.write(
      `    ${orders.length} checkouts in ${ran} ms (${outcomes.refused} seat holds refused, bought as GA; payment killed ${outages}×, ${outcomes.paymentUnavailable} answered PAYMENT_UNAVAILABLE, ${outcomes.retried} retries), settled ${settledAt - t0 - ran} ms after the last; ${JSON.stringify(states)}\n`,
    );
    const [why] = await bed.ticketDb.pool.query(
      "SELECT failure_reason r, payment_failure_code c, COUNT(*) n FROM orders WHERE state = 'FAILED' GROUP BY r, c ORDER BY n DESC",
    );
    process.stderr.write(
      `    failed: ${(why as Array<{ r: string; c: string; n: number }>).map((w) => `${w.r}${w.c ? `/${w.c}` : ""} ${w.n}`).join(", ")}\n`,
    );
    const confirmedValue = states.CONFIRMED?.v ?? 0;

    const one = async (sql: string) =>
      Number(Object.values(((await bed.paymentDb.pool.query(sql))[0] as Array<Record<string, unknown>>)[0]!)[0] ?? 0);
    const captured = await one("SELECT COALESCE(SUM(amount_minor), 0) FROM sandbox_charges WHERE status = 'SUCCEEDED'");
    const refunded = await one("SELECT COALESCE(SUM(amount_minor), 0) FROM sandbox_refunds");
    assert.equal(captured - refunded, confirmedValue, "processor: captured − refunded = CONFIRMED orders' value");
    const ledger = await one(
      "SELECT COALESCE(SUM(CASE kind WHEN 'CHARGE' THEN amount_minor ELSE -amount_minor END), 0) FROM payment_ledger_entries",
    );
    assert.equal(ledger, confirmedValue, "payment's ledger agrees");

    // per order, against the processor's books (key = charge:<order id>)
    const [chargeRows] = await bed.paymentDb.pool.query(
      `SELECT c.idempotency_key k, c.amount_minor a,
              (SELECT COALESCE(SUM(r.amount_minor), 0) FROM sandbox_refunds r WHERE r.charge_reference = c.reference) back
       FROM sandbox_charges c WHERE c.status = 'SUCCEEDED'`,
    );
    const charged = new Map<string, { a: number; back: number; n: number }>();
    for (const r of chargeRows as Array<{ k: string; a: number; back: number }>) {
      const orderId = r.k.replace(/^charge:/, "");
      const seen = charged.get(orderId);
      charged.set(orderId, { a: Number(r.a), back: Number(r.back), n: (seen?.n ?? 0) + 1 });
    }
    const [orderRows] = await bed.ticketDb.pool.query("SELECT id, state, total_minor FROM orders");
    for (const o of orderRows as Array<{ id: string; state: string; total_minor: number }>) {
      const c = charged.get(o.id);
      if (o.state === "CONFIRMED") {
        assert.ok(c !== undefined && c.n === 1, `CONFIRMED ${o.id}: exactly one successful charge`);
        assert.equal(c.a, Number(o.total_minor), `CONFIRMED ${o.id}: charged its total`);
        assert.equal(c.back, 0, `CONFIRMED ${o.id}: not refunded`);
      } else if (c !== undefined) {
        assert.equal(c.back, c.a, `${o.state} ${o.id}: its charge was refunded in full`);
      }
      charged.delete(o.id);
    }
    assert.deepEqual([...charged.keys()], [], "no charge for an order the ticket service does not have");

    // places
    const [twice] = await bed.ticketDb.pool.query(
      "SELECT place_key, COUNT(*) n FROM tickets WHERE state <> 'VOID' GROUP BY place_key HAVING n > 1",
    );
    assert.deepEqual(twice, [], "no place in two live tickets");
    const liveSeats = await bed.count("SELECT COUNT(*) n FROM tickets WHERE state <> 'VOID' AND row_label <> ''", []);
    assert.equal(
      liveSeats,
      await bed.count("SELECT COUNT(*) n FROM seats WHERE sold", []),
      "live seat tickets = seats sold",
    );
    const liveGa = await bed.count("SELECT COUNT(*) n FROM tickets WHERE state <> 'VOID' AND row_label = ''", []);
    assert.ok(liveGa <= Math.max(200, RUNS * 2), "GA tickets within capacity");
    assert.equal(
      liveSeats + liveGa,
      await bed.count("SELECT COALESCE(SUM(quantity), 0) n FROM orders WHERE state = 'CONFIRMED'", []),
      "live tickets = places of CONFIRMED orders",
    );
    assert.ok((states.CONFIRMED?.n ?? 0) > 0 && (states.FAILED?.n ?? 0) > 0, "the run had both outcomes");
  });
});
