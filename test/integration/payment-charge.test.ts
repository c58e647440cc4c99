import assert from "node:assert/strict";
import { Code } from "@connectrpc/connect";
import { ManualClock } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import { DomainError, InvalidArgumentError } from "../../platform/errors/index.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import { sandboxTokens } from "../../services/payment/provider/sandbox.js";
import { auditPayment } from "../../services/payment/use-cases/audit-payment.js";
import { providerKey } from "../../services/payment/use-cases/charge-steps.js";
import { chargeOutcome } from "../../services/payment/use-cases/get-charge-outcome.js";
import { settleUnsettled } from "../../services/payment/use-cases/settle-unsettled.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import {
  type ChargeSpec,
  countRows,
  outboxEvents,
  type PaymentKit,
  paymentDatabase,
  paymentKit,
  ticketCaller,
} from "../support/payment-kit.js";

const reason = (code: Code, r: string) => (e: unknown) => e instanceof DomainError && e.code === code && e.reason === r;

describe("payment: charges on real MariaDB", () => {
  const prefix = testPrefix();
  let db: Db;
  let kit: PaymentKit;
  let n = 0;
  const input = (paymentToken: string, over: Partial<ChargeSpec> = {}): ChargeSpec => {
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
  const eventsOf = async (paymentId: string) =>
    (await outboxEvents(db, paymentId)).map((e) => [e.type, e.version] as const);
  const outcome = (k: PaymentKit, orderId: string) => chargeOutcome(k.deps, ticketCaller, orderId, orderId);
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
    it("sandbox_ok → SUCCEEDED, one ledger CHARGE, PaymentSucceeded (version 1) in the outbox", async () => {
      const p = await kit.charge(input(sandboxTokens.ok));
      assert.deepEqual([p.state, p.refundedMinor], ["SUCCEEDED", 0]);
      assert.match(p.providerReference, /^sbx_ch_/);
      assert.deepEqual(await auditPayment(db.orm, p.id), []);
      assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 1);
      assert.deepEqual(await eventsOf(p.id), [["PaymentSucceeded", 1]]);
    });

    for (const [token, code] of [
      [sandboxTokens.declined, "CARD_DECLINED"],
      [sandboxTokens.insufficientFunds, "INSUFFICIENT_FUNDS"],
      ["tok_unknown", "INVALID_TOKEN"],
    ] as const)
      it(`${token} → FAILED ${code} with a payer-safe message, no ledger entry, PaymentFailed`, async () => {
        const p = await kit.charge(input(token));
        assert.deepEqual([p.state, p.failureCode], ["FAILED", code]);
        assert.match(p.failureMessage, /\.$/);
        assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 0);
        assert.deepEqual(await eventsOf(p.id), [["PaymentFailed", 1]]);
        assert.deepEqual(await auditPayment(db.orm, p.id), []);
      });

    it("sandbox_error → PROVIDER_UNAVAILABLE after the policy's retries; PENDING, nothing charged, no event", async () => {
      const i = input(sandboxTokens.error);
      await assert.rejects(kit.charge(i), reason(Code.Unavailable, "PROVIDER_UNAVAILABLE"));
      assert.equal(kit.counting.calls.charge, 3, "first attempt + 2 retries");
      const p = await outcome(kit, i.orderId);
      assert.equal(p.state, "PENDING", "within the retry grace");
      assert.equal(await sandboxRows(i.orderId), 0);
      assert.deepEqual(await eventsOf(p.id), []);
    });

    it("sandbox_error: once the caller's retry grace is over, the outcome is FAILED at once (not minutes later)", async () => {
      const clock = new ManualClock(Date.now());
      const k = paymentKit(db, { clock });
      const i = input(sandboxTokens.error);
      await assert.rejects(k.charge(i), reason(Code.Unavailable, "PROVIDER_UNAVAILABLE"));
      await assert.rejects(k.charge({ ...i }), reason(Code.Unavailable, "PROVIDER_UNAVAILABLE"), "a retry may act");
      clock.advance(k.deps.timing.retryGraceMs);
      const p = await outcome(k, i.orderId);
      assert.deepEqual([p.state, p.failureCode], ["FAILED", "CHARGE_NOT_COMPLETED"]);
      assert.deepEqual(await eventsOf(p.id), [["PaymentFailed", 1]]);
      assert.equal(await sandboxRows(i.orderId), 0, "nothing charged");
      // The key is spent: a later retry answers FAILED and sends nothing.
      const sent = k.counting.calls.charge;
      assert.equal((await k.charge({ ...i })).state, "FAILED");
      assert.equal(k.counting.calls.charge, sent);
    });

    it("an unknown outcome with nothing at the provider stays PENDING for the in-flight bound, then FAILED", async () => {
      const clock = new ManualClock(Date.now());
      const k = paymentKit(db, { clock, policy: { timeoutMs: 50 }, timing: { inFlightMs: 10_000 } });
      k.sandbox.setFaults({ latencyMs: 200 });
      const i = input(sandboxTokens.ok);
      await assert.rejects(k.charge(i), reason(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN"));
      k.sandbox.setFaults({ latencyMs: 0 });
      clock.advance(k.deps.timing.retryGraceMs);
      assert.equal((await outcome(k, i.orderId)).state, "PENDING", "a request may still arrive");
      clock.advance(k.deps.timing.inFlightMs);
      assert.deepEqual((await outcome(k, i.orderId)).failureCode, "CHARGE_NOT_COMPLETED");
    });

    it("sandbox_lost_answer → unknown outcome; asking by order finds SUCCEEDED with one charge", async () => {
      const i = input(sandboxTokens.lostAnswer);
      await assert.rejects(kit.charge(i), reason(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN"));
      const p = await outcome(kit, i.orderId);
      assert.equal(p.state, "SUCCEEDED");
      assert.deepEqual([kit.counting.calls.charge, kit.counting.calls.lookup], [1, 1]);
      assert.equal(await sandboxRows(i.orderId), 1);
      assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", p.id]), 1);
      assert.equal((await eventsOf(p.id)).length, 1);
      assert.deepEqual((await outcome(kit, i.orderId)).state, "SUCCEEDED");
      assert.equal(kit.counting.calls.lookup, 1, "a settled payment is answered from our record");
    });

    it("sandbox_lost_answer, then the caller retries the charge: looked up, not charged again", async () => {
      const i = input(sandboxTokens.lostAnswer);
      await assert.rejects(kit.charge(i));
      const p = await kit.charge({ ...i });
      assert.equal(p.state, "SUCCEEDED");
      assert.deepEqual([kit.counting.calls.charge, await sandboxRows(i.orderId)], [1, 1]);
    });

    it("sandbox_slow within the provider timeout → SUCCEEDED after the slow time", async () => {
      const started = performance.now();
      const p = await kit.charge(input(sandboxTokens.slow));
      assert.equal(p.state, "SUCCEEDED");
      assert.ok(performance.now() - started >= 290);
    });

    it("sandbox_slow beyond the provider timeout → unknown, PENDING while processing, then SUCCEEDED", async () => {
      // the provider settles 2 s after the call: room for the asks in between on a busy machine
      // (with 300 ms, two test files at once made the PENDING ask come too late)
      kit = paymentKit(db, { policy: { timeoutMs: 100 }, slowMs: 2_000 });
      const i = input(sandboxTokens.slow);
      const started = performance.now();
      await assert.rejects(kit.charge(i), reason(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN"));
      assert.equal(kit.counting.calls.charge, 1, "a timeout is not retried");
      assert.equal((await outcome(kit, i.orderId)).state, "PENDING");
      let state = "PENDING";
      while (state === "PENDING" && performance.now() - started < 10_000) {
        await new Promise((r) => setTimeout(r, 100));
        state = (await outcome(kit, i.orderId)).state;
      }
      assert.equal(state, "SUCCEEDED");
      assert.ok(performance.now() - started >= 1_990, "not before the provider finished");
      assert.equal(await sandboxRows(i.orderId), 1);
    });
  });

  describe("idempotency", () => {
    it("20 concurrent duplicates with one key: one provider charge, one ledger entry, one event, one answer", async () => {
      kit.sandbox.setFaults({ latencyMs: 150 });
      const i = input(sandboxTokens.ok);
      const all = await Promise.all(Array.from({ length: 20 }, () => kit.charge({ ...i })));
      assert.equal(kit.counting.calls.charge, 1);
      assert.equal(new Set(all.map((p) => `${p.id} ${p.state} ${p.providerReference}`)).size, 1);
      assert.equal(all[0]?.state, "SUCCEEDED");
      assert.equal(await countRows(db, "payments", ["order_id", i.orderId]), 1);
      assert.equal(await countRows(db, "payment_ledger_entries", ["payment_id", all[0]!.id]), 1);
      assert.equal((await eventsOf(all[0]!.id)).length, 1);
    });

    it("a later repeat replays the stored outcome without calling the provider", async () => {
      const i = input(sandboxTokens.declined);
      const first = await kit.charge(i);
      const again = await kit.charge({ ...i });
      assert.deepEqual([again.id, again.state, again.failureCode], [first.id, "FAILED", "CARD_DECLINED"]);
      assert.equal(kit.counting.calls.charge, 1);
    });

    it("the same key with a different amount, user or token → REQUEST_ID_REUSED, nothing charged", async () => {
      const i = input(sandboxTokens.ok);
      await kit.charge(i);
      for (const other of [
        { ...i, amount: { currencyCode: "EUR", amountMinor: 4201 } },
        { ...i, userId: "user-2" },
        { ...i, paymentToken: sandboxTokens.declined },
      ])
        await assert.rejects(kit.charge(other), reason(Code.FailedPrecondition, "REQUEST_ID_REUSED"));
      assert.equal(kit.counting.calls.charge, 1);
    });

    it("another key for an already charged order → ORDER_ALREADY_CHARGED", async () => {
      const i = input(sandboxTokens.ok);
      await kit.charge(i);
      await assert.rejects(
        kit.charge({ ...i, idempotencyKey: `${i.idempotencyKey}-b` }),
        reason(Code.FailedPrecondition, "ORDER_ALREADY_CHARGED"),
      );
    });

    it("a bad amount → INVALID_ARGUMENT naming each field, never echoing the token", async () => {
      const bad = input("secret-token", { amount: { currencyCode: "XXY", amountMinor: 0 } });
      await assert.rejects(kit.charge(bad), (e: unknown) => {
        assert.ok(e instanceof InvalidArgumentError);
        assert.deepEqual(
          e.violations.map((v) => v.field),
          ["amount.currency_code", "amount.amount_minor"],
        );
        assert.ok(!JSON.stringify(e.violations).includes("secret-token"));
        return true;
      });
      assert.equal(kit.counting.calls.charge, 0);
    });
  });

  describe("restarts", () => {
    it("a new process on the same database replays earlier charges", async () => {
      const i = input(sandboxTokens.ok);
      const first = await kit.charge(i);
      const restarted = paymentKit(db);
      const again = await restarted.charge({ ...i });
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
      void dying.charge(i);
      await new Promise((r) => setTimeout(r, 200));
      const restarted = paymentKit(db, { clock });
      assert.equal((await outcome(restarted, i.orderId)).state, "PENDING", "lease held");
      clock.advance(restarted.deps.timing.claimMs + 1);
      const p = await outcome(restarted, i.orderId);
      assert.equal(p.state, "SUCCEEDED");
      assert.deepEqual([restarted.counting.calls.charge, await sandboxRows(i.orderId)], [0, 1]);
      assert.deepEqual(await eventsOf(p.id), [["PaymentSucceeded", 1]]);
    });
  });

  describe("the settle sweep (a database of its own: the sweep looks at every payment)", () => {
    let own: Db;
    before(async () => {
      own = await paymentDatabase(`${prefix}_sweep`, 4);
    });
    after(() => own.close());

    it("settles lost answers once they are idle, and fails charges the provider never took", async () => {
      const clock = new ManualClock(Date.now());
      const k = paymentKit(own, { clock });
      const lost = input(sandboxTokens.lostAnswer);
      const never = input(sandboxTokens.error);
      await assert.rejects(k.charge(lost));
      await assert.rejects(k.charge(never));
      const sweep = () => settleUnsettled(k.deps, servicePrincipal("payment"));
      assert.deepEqual(await sweep(), { settled: 0, abandoned: 0, pending: 0, refunds: 0, errors: 0 });
      clock.advance(k.deps.timing.recheckMs + 1);
      const first = await sweep();
      assert.deepEqual([first.settled, first.pending], [1, 1], "the refused one is within its retry grace");
      clock.advance(k.deps.timing.retryGraceMs);
      const second = await sweep();
      assert.deepEqual([second.abandoned, second.settled], [1, 0]);
      const abandoned = await outcome(k, never.orderId);
      assert.deepEqual([abandoned.state, abandoned.failureCode], ["FAILED", "CHARGE_NOT_COMPLETED"]);
      assert.deepEqual(
        (await outboxEvents(own)).map((e) => e.type),
        ["PaymentSucceeded", "PaymentFailed"],
      );
      // The key is spent: a retry of the abandoned charge answers FAILED and sends nothing.
      const before = k.counting.calls.charge;
      assert.equal((await k.charge({ ...never })).state, "FAILED");
      assert.equal(k.counting.calls.charge, before);
    });
  });

  describe("charge outcome by order", () => {
    it("nothing charged → CHARGE_NOT_FOUND (after asking the provider)", async () => {
      await assert.rejects(outcome(kit, "order-never"), reason(Code.NotFound, "CHARGE_NOT_FOUND"));
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
      const p = await outcome(kit, orderId);
      assert.deepEqual(
        [p.id, p.state, p.userId, p.amount.amountMinor],
        ["0190aaaa-0000-7000-8000-000000000001", "SUCCEEDED", "user-9", 1500],
      );
      assert.deepEqual(await auditPayment(db.orm, p.id), []);
      assert.equal((await eventsOf(p.id)).length, 1);
      // A Charge repeat with the same parameters is recognised even though its token was never known.
      const repeat = await kit.charge({
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
