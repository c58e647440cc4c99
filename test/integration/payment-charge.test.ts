import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { ManualClock } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import { DomainError, InvalidArgumentError } from "../../platform/rpc/errors.js";
import { PaymentFailed, PaymentSucceeded } from "../../services/payment/domain/events.js";
import {
  auditPayment,
  type ChargeInput,
  charge,
  chargeOutcome,
  providerKey,
  settleUnsettled,
} from "../../services/payment/operations/index.js";
import { sandboxTokens } from "../../services/payment/provider/sandbox.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import { countRows, type PaymentKit, paymentDatabase, paymentKit } from "../support/payment-kit.js";

const reason = (code: Code, r: string) => (e: unknown) => e instanceof DomainError && e.code === code && e.reason === r;

describe("payment: charges on real MariaDB", () => {
  const prefix = testPrefix();
  let db: Db;
  let kit: PaymentKit;
  let n = 0;
  const input = (paymentToken: string, over: Partial<ChargeInput> = {}): ChargeInput => {
    const orderId = `order-${++n}`;
    return {
      idempotencyKey: orderId,
      orderId,
      userId: "user-1",
      amount: { currencyCode: "EUR", amountMinor: 4200 },
      paymentToken,
      ...over,
    };
  };
  const eventsOf = (paymentId: string) => kit.events.filter((e) => e.aggregate.id === paymentId);
  const sandboxRows = (orderId: string) =>
    countRows(db, "sandbox_charges", ["idempotency_key", providerKey("charge", orderId)]);

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

  describe("each test token", () => {
    it("sandbox_ok → SUCCEEDED, one ledger CHARGE, PaymentSucceeded (version 1)", async () => {
      const p = await charge(kit.deps, input(sandboxTokens.ok));
      assert.deepEqual([p.state, p.version, p.refundedMinor], ["SUCCEEDED", 1, 0]);
      assert.match(p.providerReference, /^sbx_ch_/);
      assert.deepEqual(await auditPayment(db.orm, p.id), []);
      assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 1);
      const events = eventsOf(p.id);
      assert.deepEqual(
        events.map((e) => [e.type, e.aggregate.version]),
        [[PaymentSucceeded, 1]],
      );
    });

    for (const [token, code] of [
      [sandboxTokens.declined, "CARD_DECLINED"],
      [sandboxTokens.insufficientFunds, "INSUFFICIENT_FUNDS"],
      ["tok_unknown", "INVALID_TOKEN"],
    ] as const)
      it(`${token} → FAILED ${code} with a payer-safe message, no ledger entry, PaymentFailed`, async () => {
        const p = await charge(kit.deps, input(token));
        assert.deepEqual([p.state, p.failureCode], ["FAILED", code]);
        assert.match(p.failureMessage, /\.$/);
        assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 0);
        assert.deepEqual(
          eventsOf(p.id).map((e) => e.type),
          [PaymentFailed],
        );
        assert.deepEqual(await auditPayment(db.orm, p.id), []);
      });

    it("sandbox_error → PROVIDER_UNAVAILABLE after the policy's retries; PENDING, nothing charged, no event", async () => {
      const i = input(sandboxTokens.error);
      await assert.rejects(charge(kit.deps, i), reason(Code.Unavailable, "PROVIDER_UNAVAILABLE"));
      assert.equal(kit.counting.calls.charge, 3, "first attempt + 2 retries");
      const p = await chargeOutcome(kit.deps, { orderId: i.orderId });
      assert.equal(p.state, "PENDING", "too young to give up on");
      assert.equal(await sandboxRows(i.orderId), 0);
      assert.deepEqual(kit.events, []);
    });

    it("sandbox_lost_answer → unknown outcome; asking by order finds SUCCEEDED with one charge", async () => {
      const i = input(sandboxTokens.lostAnswer);
      await assert.rejects(charge(kit.deps, i), reason(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN"));
      const p = await chargeOutcome(kit.deps, { orderId: i.orderId });
      assert.equal(p.state, "SUCCEEDED");
      assert.deepEqual([kit.counting.calls.charge, kit.counting.calls.lookup], [1, 1]);
      assert.equal(await sandboxRows(i.orderId), 1);
      assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 1);
      assert.equal(eventsOf(p.id).length, 1);
      assert.deepEqual((await chargeOutcome(kit.deps, { orderId: i.orderId })).state, "SUCCEEDED");
      assert.equal(kit.counting.calls.lookup, 1, "a settled payment is answered from our record");
    });

    it("sandbox_lost_answer, then the caller retries the charge: looked up, not charged again", async () => {
      const i = input(sandboxTokens.lostAnswer);
      await assert.rejects(charge(kit.deps, i));
      const p = await charge(kit.deps, { ...i });
      assert.equal(p.state, "SUCCEEDED");
      assert.deepEqual([kit.counting.calls.charge, await sandboxRows(i.orderId)], [1, 1]);
    });

    it("sandbox_slow within the provider timeout → SUCCEEDED after the slow time", async () => {
      const started = performance.now();
      const p = await charge(kit.deps, input(sandboxTokens.slow));
      assert.equal(p.state, "SUCCEEDED");
      assert.ok(performance.now() - started >= 290);
    });

    it("sandbox_slow beyond the provider timeout → unknown, PENDING while processing, then SUCCEEDED", async () => {
      kit = paymentKit(db, { policy: { timeoutMs: 100 } });
      const i = input(sandboxTokens.slow);
      await assert.rejects(charge(kit.deps, i), reason(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN"));
      assert.equal(kit.counting.calls.charge, 1, "a timeout is not retried");
      assert.equal((await chargeOutcome(kit.deps, { orderId: i.orderId })).state, "PENDING");
      await new Promise((r) => setTimeout(r, 300));
      assert.equal((await chargeOutcome(kit.deps, { orderId: i.orderId })).state, "SUCCEEDED");
      assert.equal(await sandboxRows(i.orderId), 1);
    });
  });

  describe("idempotency", () => {
    it("20 concurrent duplicates with one key: one provider charge, one ledger entry, one event, one answer", async () => {
      kit.sandbox.setFaults({ latencyMs: 150 });
      const i = input(sandboxTokens.ok);
      const all = await Promise.all(Array.from({ length: 20 }, () => charge(kit.deps, { ...i })));
      assert.equal(kit.counting.calls.charge, 1);
      assert.equal(new Set(all.map((p) => `${p.id} ${p.state} ${p.providerReference}`)).size, 1);
      assert.equal(all[0]?.state, "SUCCEEDED");
      assert.equal(await countRows(db, "payments", ["order_id", i.orderId]), 1);
      assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", all[0]!.id]), 1);
      assert.equal(eventsOf(all[0]!.id).length, 1);
    });

    it("a later repeat replays the stored outcome without calling the provider", async () => {
      const i = input(sandboxTokens.declined);
      const first = await charge(kit.deps, i);
      const again = await charge(kit.deps, { ...i });
      assert.deepEqual([again.id, again.state, again.failureCode], [first.id, "FAILED", "CARD_DECLINED"]);
      assert.equal(kit.counting.calls.charge, 1);
    });

    it("the same key with a different amount, user or token → REQUEST_ID_REUSED, nothing charged", async () => {
      const i = input(sandboxTokens.ok);
      await charge(kit.deps, i);
      for (const other of [
        { ...i, amount: { currencyCode: "EUR", amountMinor: 4201 } },
        { ...i, userId: "user-2" },
        { ...i, paymentToken: sandboxTokens.declined },
      ])
        await assert.rejects(charge(kit.deps, other), reason(Code.FailedPrecondition, "REQUEST_ID_REUSED"));
      assert.equal(kit.counting.calls.charge, 1);
    });

    it("another key for an already charged order → ORDER_ALREADY_CHARGED", async () => {
      const i = input(sandboxTokens.ok);
      await charge(kit.deps, i);
      await assert.rejects(
        charge(kit.deps, { ...i, idempotencyKey: `${i.idempotencyKey}-b` }),
        reason(Code.FailedPrecondition, "ORDER_ALREADY_CHARGED"),
      );
    });

    it("bad input → INVALID_ARGUMENT naming each field, never echoing the token", async () => {
      const bad = input("secret-token", { orderId: "", amount: { currencyCode: "XXY", amountMinor: 0 } });
      await assert.rejects(charge(kit.deps, bad), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.deepEqual(
          e.violations.map((v) => v.field),
          ["amount.currency_code", "amount.amount_minor", "order_id"],
        );
        assert.ok(!JSON.stringify(e.violations).includes("secret-token"));
        return true;
      });
      await assert.rejects(charge(kit.deps, input("x".repeat(256))), InvalidArgumentError);
    });
  });

  describe("restarts", () => {
    it("a new process on the same database replays earlier charges", async () => {
      const i = input(sandboxTokens.ok);
      const first = await charge(kit.deps, i);
      const restarted = paymentKit(db);
      const again = await charge(restarted.deps, { ...i });
      assert.deepEqual([again.id, again.state], [first.id, "SUCCEEDED"]);
      assert.equal(restarted.counting.calls.charge, 0);
    });

    it("a process dies mid-charge: after its lease, a new process settles the charge from the provider's record", async () => {
      const clock = new ManualClock(Date.now());
      const dying = paymentKit(db, { clock });
      const i = input(sandboxTokens.ok);
      // The provider charges, then the process is gone before it records anything.
      dying.deps.provider = {
        name: "sandbox",
        charge: async (req, o) => {
          await dying.sandbox.charge(req, o);
          return new Promise(() => {});
        },
        refund: (r) => dying.sandbox.refund(r),
        lookupCharge: (k) => dying.sandbox.lookupCharge(k),
      };
      void charge(dying.deps, i);
      await new Promise((r) => setTimeout(r, 200));
      const restarted = paymentKit(db, { clock });
      assert.equal((await chargeOutcome(restarted.deps, { orderId: i.orderId })).state, "PENDING", "lease held");
      clock.advance(restarted.deps.timing.claimMs + 1);
      const p = await chargeOutcome(restarted.deps, { orderId: i.orderId });
      assert.equal(p.state, "SUCCEEDED");
      assert.deepEqual([restarted.counting.calls.charge, await sandboxRows(i.orderId)], [0, 1]);
      assert.equal(restarted.events.length, 1);
    });
  });

  describe("the settle sweep (a database of its own: the sweep looks at every payment)", () => {
    let own: Db;
    before(async () => {
      own = await paymentDatabase(`${prefix}_sweep`, 4);
    });
    after(() => own.close());

    it("settles lost answers once they are idle, and abandons charges the provider never saw", async () => {
      const clock = new ManualClock(Date.now());
      const k = paymentKit(own, { clock });
      const lost = input(sandboxTokens.lostAnswer);
      const never = input(sandboxTokens.error);
      await assert.rejects(charge(k.deps, lost));
      await assert.rejects(charge(k.deps, never));
      assert.deepEqual(await settleUnsettled(k.deps), { settled: 0, abandoned: 0, pending: 0, refunds: 0, errors: 0 });
      clock.advance(k.deps.timing.recheckMs + 1);
      const first = await settleUnsettled(k.deps);
      assert.deepEqual([first.settled, first.pending], [1, 1]);
      clock.advance(k.deps.timing.abandonAfterMs);
      const second = await settleUnsettled(k.deps);
      assert.deepEqual([second.abandoned, second.settled], [1, 0]);
      const abandoned = await chargeOutcome(k.deps, { orderId: never.orderId });
      assert.deepEqual([abandoned.state, abandoned.failureCode], ["FAILED", "CHARGE_NOT_COMPLETED"]);
      assert.deepEqual(
        k.events.map((e) => e.type),
        [PaymentSucceeded, PaymentFailed],
      );
      // The key is spent: a retry of the abandoned charge answers FAILED and sends nothing.
      const before = k.counting.calls.charge;
      assert.equal((await charge(k.deps, { ...never })).state, "FAILED");
      assert.equal(k.counting.calls.charge, before);
    });
  });

  describe("charge outcome by order", () => {
    it("nothing charged → CHARGE_NOT_FOUND (after asking the provider)", async () => {
      await assert.rejects(
        chargeOutcome(kit.deps, { orderId: "order-never" }),
        reason(Code.NotFound, "CHARGE_NOT_FOUND"),
      );
      assert.equal(kit.counting.calls.lookup, 1);
    });

    it("a charge the provider has and we lost is rebuilt from the provider's record, with its event", async () => {
      const orderId = `order-${++n}`;
      await kit.sandbox.charge({
        idempotencyKey: providerKey("charge", orderId),
        amount: { currencyCode: "EUR", amountMinor: 1500 },
        paymentToken: sandboxTokens.ok,
        description: "restored from the provider",
        metadata: { order_id: orderId, user_id: "user-9", payment_id: "0190aaaa-0000-7000-8000-000000000001" },
      });
      const p = await chargeOutcome(kit.deps, { orderId });
      assert.deepEqual(
        [p.id, p.state, p.userId, p.amount.amountMinor],
        ["0190aaaa-0000-7000-8000-000000000001", "SUCCEEDED", "user-9", 1500],
      );
      assert.deepEqual(await auditPayment(db.orm, p.id), []);
      assert.equal(eventsOf(p.id).length, 1);
      // A Charge repeat with the same parameters is recognised even though its token was never known.
      const repeat = await charge(kit.deps, {
        idempotencyKey: orderId,
        orderId,
        userId: "user-9",
        amount: { currencyCode: "EUR", amountMinor: 1500 },
        paymentToken: sandboxTokens.ok,
      });
      assert.equal(repeat.id, p.id);
    });
  });
});
