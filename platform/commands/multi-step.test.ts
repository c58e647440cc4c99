import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import { sql } from "drizzle-orm";
import { EchoRequestSchema, EchoResponseSchema } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { commandBed, rid, WidgetMade } from "../../test/support/command-bed.js";
import { ManualClock } from "../clock/index.js";
import { DomainError, UnavailableError } from "../errors/index.js";
import { userPrincipal } from "../principal/index.js";
import { type CommandDeps, multiStepCommand } from "./index.js";

/**
 * A toy Checkout on the pipeline: (1) commit an order PENDING, (2) charge it at a "payment
 * service" that dedupes by idempotency key = order id, (3) commit the outcome. Each step is
 * recorded under the request id, so a repeat finds the command where it stands.
 */
class FakePayments {
  readonly charges = new Map<string, string>();
  calls = 0;
  /** The next call fails before charging (payment unreachable), or after (the answer is lost). */
  fail: "unavailable" | "lost-answer" | undefined;
  async charge(orderId: string): Promise<string> {
    this.calls++;
    await new Promise((r) => setImmediate(r));
    if (this.fail === "unavailable") {
      this.fail = undefined;
      throw new UnavailableError("PAYMENT_UNAVAILABLE", "payment is not answering");
    }
    const charge = this.charges.get(orderId) ?? `charge-${randomUUID()}`;
    this.charges.set(orderId, charge);
    if (this.fail === "lost-answer") {
      this.fail = undefined;
      throw new UnavailableError("CONNECTION_RESET", "the answer was lost");
    }
    return charge;
  }
}

describe("multi-step commands (real MariaDB)", () => {
  const clock = new ManualClock(Date.UTC(2030, 0, 1));
  const bed = commandBed(clock, [
    "CREATE TABLE orders (id VARCHAR(36) PRIMARY KEY, item VARCHAR(100) NOT NULL, status VARCHAR(16) NOT NULL, charge VARCHAR(64))",
  ]);
  const payments = new FakePayments();
  type Deps = CommandDeps & { payments: FakePayments };
  const deps = (): Deps => ({ commands: bed.commands, payments });
  const buyer = userPrincipal("buyer", ["CUSTOMER"]);

  const checkout = multiStepCommand({
    name: "cmdtest.Checkout",
    input: EchoRequestSchema,
    output: EchoResponseSchema,
    requestId: (req) => req.requestId,
    async run(d: Deps, flow, req) {
      const order = await flow.transaction("place-order", EchoResponseSchema, async (w) => {
        const id = randomUUID();
        await w.tx.execute(sql`INSERT INTO orders (id, item, status) VALUES (${id}, ${req.message}, 'PENDING')`);
        return { message: id };
      });
      const charge = await flow.call("charge", EchoResponseSchema, async () => ({
        message: await d.payments.charge(order.message),
      }));
      return flow.transaction("settle", EchoResponseSchema, async (w) => {
        // Conditional: the outcome is committed once, whoever gets here first.
        await w.tx.execute(
          sql`UPDATE orders SET status = 'CONFIRMED', charge = ${charge.message} WHERE id = ${order.message} AND status = 'PENDING'`,
        );
        await w.emit({
          type: WidgetMade,
          payload: { message: order.message },
          aggregate: { type: "order", id: order.message, version: 2 },
        });
        return { message: `order ${order.message} CONFIRMED by ${charge.message}` };
      });
    },
  });
  const request = (item: string, requestId = rid()) => create(EchoRequestSchema, { message: item, requestId });
  const orders = (item: string) => bed.count("SELECT COUNT(*) AS n FROM orders WHERE item = ?", item);
  const confirmed = (item: string) =>
    bed.count("SELECT COUNT(*) AS n FROM orders WHERE item = ? AND status = 'CONFIRMED'", item);
  const chargesFor = async (item: string) => {
    const [rows] = await bed.db.pool.query("SELECT id FROM orders WHERE item = ?", [item]);
    return (rows as Array<{ id: string }>).filter((r) => payments.charges.has(r.id)).length;
  };

  it("runs the steps once; a repeat replays every step: no new order, no new charge, the same answer", async () => {
    const req = request("once");
    const calls = payments.calls;
    const first = await bed.commands.run(checkout, deps(), buyer, req);
    const again = await bed.commands.run(checkout, deps(), buyer, req);
    assert.match(first.result.message, /CONFIRMED/);
    assert.deepEqual([first.replayed, again.replayed, again.result.message], [false, true, first.result.message]);
    assert.deepEqual([await orders("once"), await confirmed("once"), payments.calls - calls], [1, 1, 1]);
  });

  it("payment down after the order was committed: the repeat resumes at the charge", async () => {
    const req = request("resumed");
    payments.fail = "unavailable";
    await assert.rejects(checkout(deps(), buyer, req), (e: unknown) => e instanceof UnavailableError);
    assert.deepEqual([await orders("resumed"), await confirmed("resumed")], [1, 0], "step 1 is durable");
    const r = await bed.commands.run(checkout, deps(), buyer, req);
    assert.equal(r.replayed, false, "the later steps ran now");
    assert.deepEqual([await orders("resumed"), await confirmed("resumed"), await chargesFor("resumed")], [1, 1, 1]);
  });

  it("the charge's answer lost: the repeat charges again, payment dedupes by order id, one charge", async () => {
    const req = request("lost");
    payments.fail = "lost-answer";
    await assert.rejects(checkout(deps(), buyer, req), /answer was lost/);
    const calls = payments.calls;
    const r = await checkout(deps(), buyer, req);
    assert.equal(payments.calls - calls, 1, "the unrecorded step ran again");
    assert.deepEqual([await orders("lost"), await confirmed("lost"), await chargesFor("lost")], [1, 1, 1]);
    assert.match(r.message, /CONFIRMED/);
  });

  it("10 repeats at once: one order, one outcome, one event, one answer for all", async () => {
    const req = request("racing");
    const results = await Promise.all(Array.from({ length: 10 }, () => bed.commands.run(checkout, deps(), buyer, req)));
    assert.equal(new Set(results.map((r) => r.result.message)).size, 1);
    assert.deepEqual([await orders("racing"), await confirmed("racing"), await chargesFor("racing")], [1, 1, 1]);
    const orderId = results[0]!.result.message.split(" ")[1]!;
    assert.equal(
      await bed.count("SELECT COUNT(*) AS n FROM outbox_events WHERE aggregate_id = ?", orderId),
      1,
      "the outcome's event was written once",
    );
  });

  it("the same request id for another checkout → FAILED_PRECONDITION at the first step, nothing placed", async () => {
    const id = rid();
    await checkout(deps(), buyer, request("first", id));
    await assert.rejects(
      checkout(deps(), buyer, request("second", id)),
      (e: unknown) => e instanceof DomainError && e.reason === "REQUEST_ID_REUSED",
    );
    assert.equal(await orders("second"), 0);
  });
});
