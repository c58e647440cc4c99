import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import type { PaymentRefunded } from "../../gen/boxoffice/payment/v1/events_pb.js";
import type { Db } from "../../platform/db/index.js";
import { DomainError, InvalidArgumentError, NotFoundError } from "../../platform/errors/index.js";
import { sandboxTokens } from "../../services/payment/provider/sandbox.js";
import { auditPayment } from "../../services/payment/use-cases/audit-payment.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import { countRows, outboxEvents, type PaymentKit, paymentDatabase, paymentKit } from "../support/payment-kit.js";

const reason = (code: Code, r: string) => (e: unknown) => e instanceof DomainError && e.code === code && e.reason === r;
const eur = (amountMinor: number) => ({ currencyCode: "EUR", amountMinor });

describe("payment: refunds on real MariaDB", () => {
  const prefix = testPrefix();
  let db: Db;
  let kit: PaymentKit;
  let n = 0;
  const paid = async (token: string = sandboxTokens.ok, amountMinor = 5000) => {
    const orderId = `order-${++n}`;
    return kit.charge({
      idempotencyKey: orderId,
      orderId,
      userId: "user-1",
      amount: eur(amountMinor),
      paymentToken: token,
    });
  };
  const key = () => `refund-${++n}`;
  const sandboxRefunds = () => countRows(db, "sandbox_refunds");

  before(async () => {
    db = await paymentDatabase(prefix, 25);
  });
  beforeEach(() => {
    kit = paymentKit(db);
  });
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  it("partial refunds up to the charge: PARTIALLY_REFUNDED, then REFUNDED; the ledger reconciles at each step", async () => {
    const p = await paid();
    const a = await kit.refund({ idempotencyKey: key(), paymentId: p.id, amount: eur(2000), reason: "GOODWILL" });
    assert.deepEqual(
      [a.payment.state, a.payment.refundedMinor, a.payment.refunds, a.refund.amountMinor],
      ["PARTIALLY_REFUNDED", 2000, 1, 2000],
    );
    assert.deepEqual(await auditPayment(db.orm, p.id), []);
    const b = await kit.refund({ idempotencyKey: key(), paymentId: p.id, reason: "ORDER_CANCELLED" });
    assert.deepEqual([b.payment.state, b.payment.refundedMinor, b.refund.amountMinor], ["REFUNDED", 5000, 3000]);
    assert.deepEqual(await auditPayment(db.orm, p.id), []);
    const refunded = (await outboxEvents(db, p.id)).filter((e) => e.type === "PaymentRefunded");
    assert.deepEqual(
      refunded.map((e) => {
        const m = e.payload as PaymentRefunded;
        return [e.version, m.amount?.amountMinor, m.totalRefundedAmount?.amountMinor, m.fullyRefunded];
      }),
      [
        [2, 2000n, 2000n, false],
        [3, 3000n, 5000n, true],
      ],
    );
  });

  it("bounded: more than is left, nothing left, a failed or unknown payment, another currency", async () => {
    const p = await paid();
    await kit.refund({ idempotencyKey: key(), paymentId: p.id, amount: eur(4000), reason: "R" });
    await assert.rejects(
      kit.refund({ idempotencyKey: key(), paymentId: p.id, amount: eur(1001), reason: "R" }),
      reason(Code.FailedPrecondition, "REFUND_EXCEEDS_PAYMENT"),
    );
    await kit.refund({ idempotencyKey: key(), paymentId: p.id, reason: "R" });
    await assert.rejects(
      kit.refund({ idempotencyKey: key(), paymentId: p.id, reason: "R" }),
      reason(Code.FailedPrecondition, "PAYMENT_REFUNDED"),
    );
    const failed = await paid(sandboxTokens.declined);
    await assert.rejects(
      kit.refund({ idempotencyKey: key(), paymentId: failed.id, reason: "R" }),
      reason(Code.FailedPrecondition, "PAYMENT_FAILED"),
    );
    await assert.rejects(
      kit.refund({ idempotencyKey: key(), paymentId: "0190aaaa-0000-7000-8000-00000000dead", reason: "R" }),
      NotFoundError,
    );
    const other = await paid();
    await assert.rejects(
      kit.refund({
        idempotencyKey: key(),
        paymentId: other.id,
        amount: { currencyCode: "USD", amountMinor: 1 },
        reason: "R",
      }),
      InvalidArgumentError,
    );
    assert.equal(await countRows(db, "payment_refunds", ["payment_id", other.id]), 0, "refused refunds leave no row");
  });

  it("idempotent by key: a repeat replays; the key with another amount → REQUEST_ID_REUSED", async () => {
    const p = await paid();
    const k = key();
    const first = await kit.refund({ idempotencyKey: k, paymentId: p.id, amount: eur(1000), reason: "R" });
    const again = await kit.refund({ idempotencyKey: k, paymentId: p.id, amount: eur(1000), reason: "R" });
    assert.deepEqual([again.refund.id, again.payment.refundedMinor], [first.refund.id, 1000]);
    await assert.rejects(
      kit.refund({ idempotencyKey: k, paymentId: p.id, amount: eur(999), reason: "R" }),
      reason(Code.FailedPrecondition, "REQUEST_ID_REUSED"),
    );
    assert.equal(kit.counting.calls.refund, 1);
  });

  it("20 concurrent refunds with one key: one refund at the provider, one ledger entry", async () => {
    const p = await paid();
    kit.sandbox.setFaults({ latencyMs: 100 });
    const k = key();
    const all = await Promise.all(
      Array.from({ length: 20 }, () =>
        kit.refund({ idempotencyKey: k, paymentId: p.id, amount: eur(700), reason: "R" }),
      ),
    );
    assert.equal(new Set(all.map((r) => r.refund.id)).size, 1);
    assert.equal(kit.counting.calls.refund, 1);
    assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 2);
    assert.deepEqual(await auditPayment(db.orm, p.id), []);
  });

  it("concurrent refunds with different keys never exceed the charge", async () => {
    const p = await paid();
    const before = await sandboxRefunds();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () =>
        kit.refund({ idempotencyKey: key(), paymentId: p.id, amount: eur(1000), reason: "R" }),
      ),
    );
    const ok = results.filter((r) => r.status === "fulfilled").length;
    assert.equal(ok, 5);
    for (const r of results)
      if (r.status === "rejected") assert.ok(reason(Code.FailedPrecondition, "REFUND_EXCEEDS_PAYMENT")(r.reason));
    assert.equal((await sandboxRefunds()) - before, 5);
    assert.deepEqual(await auditPayment(db.orm, p.id), []);
  });

  it("a lost refund answer: unknown, the amount stays reserved, a retry with the key refunds once", async () => {
    const p = await paid();
    const k = key();
    kit.sandbox.setFaults({ lostAnswerRate: 1 });
    await assert.rejects(
      kit.refund({ idempotencyKey: k, paymentId: p.id, amount: eur(3000), reason: "R" }),
      reason(Code.Unavailable, "REFUND_OUTCOME_UNKNOWN"),
    );
    kit.sandbox.setFaults({ lostAnswerRate: 0 });
    await assert.rejects(
      kit.refund({ idempotencyKey: key(), paymentId: p.id, amount: eur(2001), reason: "R" }),
      reason(Code.FailedPrecondition, "REFUND_EXCEEDS_PAYMENT"),
      "the refund in flight counts against what is left",
    );
    const done = await kit.refund({ idempotencyKey: k, paymentId: p.id, amount: eur(3000), reason: "R" });
    assert.deepEqual([done.refund.amountMinor, done.payment.refundedMinor], [3000, 3000]);
    assert.equal(await countRows(db, "sandbox_refunds", ["idempotency_key", `refund:${k}`]), 1);
    assert.deepEqual(await auditPayment(db.orm, p.id), []);
  });
});
