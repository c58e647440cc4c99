import assert from "node:assert/strict";
import { systemClock } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import { createIdGenerator } from "../../platform/ids/index.js";
import {
  type ProviderChargeRequest,
  ProviderKeyReusedError,
  ProviderRejectedError,
  ProviderRetryableError,
  ProviderUnknownOutcomeError,
} from "../../services/payment/provider/provider.js";
import { ResilientProvider } from "../../services/payment/provider/resilient.js";
import { SandboxProvider, sandboxTokens } from "../../services/payment/provider/sandbox.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import { CountingProvider, countRows, paymentDatabase } from "../support/payment-kit.js";

describe("payment: sandbox provider on real MariaDB", () => {
  const prefix = testPrefix();
  const slowMs = 300;
  let db: Db;
  let sandbox: SandboxProvider;
  let n = 0;
  const sandboxOn = (d: Db) => new SandboxProvider({ db: d, clock: systemClock, newId: createIdGenerator(), slowMs });
  const req = (paymentToken: string, over: Partial<ProviderChargeRequest> = {}): ProviderChargeRequest => ({
    idempotencyKey: `charge:key-${++n}`,
    amount: { currencyCode: "EUR", amountMinor: 5000 },
    paymentToken,
    description: "Boxoffice order",
    metadata: { order_id: `order-${n}`, user_id: "user-1" },
    ...over,
  });

  before(async () => {
    db = await paymentDatabase(prefix, 25);
    sandbox = sandboxOn(db);
  });
  afterEach(() => sandbox.setFaults({ latencyMs: 0, failureRate: 0, lostAnswerRate: 0 }));
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  describe("test tokens", () => {
    it("sandbox_ok succeeds with a reference; lookup by key shows it with amount and metadata", async () => {
      const r = req(sandboxTokens.ok);
      const out = await sandbox.charge(r);
      assert.equal(out.status, "SUCCEEDED");
      assert.match(out.reference, /^sbx_ch_/);
      assert.deepEqual(await sandbox.lookupCharge(r.idempotencyKey), {
        ...out,
        amount: r.amount,
        metadata: r.metadata,
      });
    });

    for (const [token, code] of [
      [sandboxTokens.declined, "CARD_DECLINED"],
      [sandboxTokens.insufficientFunds, "INSUFFICIENT_FUNDS"],
      ["tok_visa_4242", "INVALID_TOKEN"],
      ["", "INVALID_TOKEN"],
    ] as const)
      it(`${JSON.stringify(token)} is declined with ${code}`, async () => {
        const r = req(token);
        const out = await sandbox.charge(r);
        assert.deepEqual([out.status, out.status === "DECLINED" && out.failureCode], ["DECLINED", code]);
        assert.equal((await sandbox.lookupCharge(r.idempotencyKey)).status, "DECLINED");
      });

    it("sandbox_error fails before charging (retryable): nothing recorded, every time", async () => {
      const r = req(sandboxTokens.error);
      await assert.rejects(sandbox.charge(r), ProviderRetryableError);
      await assert.rejects(sandbox.charge(r), ProviderRetryableError);
      assert.deepEqual(await sandbox.lookupCharge(r.idempotencyKey), { status: "NOT_FOUND" });
    });

    it("sandbox_lost_answer charges, then no answer comes until the caller gives up; the lookup knows", async () => {
      const r = req(sandboxTokens.lostAnswer);
      const started = performance.now();
      await assert.rejects(sandbox.charge(r, { signal: AbortSignal.timeout(100) }), ProviderUnknownOutcomeError);
      assert.ok(performance.now() - started >= 95, "the caller waited for its timeout");
      assert.equal((await sandbox.lookupCharge(r.idempotencyKey)).status, "SUCCEEDED");
      await assert.rejects(sandbox.charge(r), ProviderUnknownOutcomeError, "a repeat loses its answer too");
      assert.equal(await countRows(db, "sandbox_charges", ["idempotency_key", r.idempotencyKey]), 1);
    });

    it("sandbox_slow succeeds after BOXOFFICE_SANDBOX_SLOW_MS, PROCESSING until then", async () => {
      const r = req(sandboxTokens.slow);
      const started = performance.now();
      const charging = sandbox.charge(r);
      await new Promise((res) => setTimeout(res, 50));
      assert.deepEqual(await sandbox.lookupCharge(r.idempotencyKey), { status: "PROCESSING" });
      assert.equal((await charging).status, "SUCCEEDED");
      assert.ok(performance.now() - started >= slowMs - 5, "took the slow time");
      assert.equal((await sandbox.lookupCharge(r.idempotencyKey)).status, "SUCCEEDED");
    });

    it("a caller that stops waiting for a slow charge gets an unknown outcome; the charge still happens", async () => {
      const r = req(sandboxTokens.slow);
      await assert.rejects(sandbox.charge(r, { signal: AbortSignal.timeout(30) }), ProviderUnknownOutcomeError);
      await new Promise((res) => setTimeout(res, slowMs));
      assert.equal((await sandbox.lookupCharge(r.idempotencyKey)).status, "SUCCEEDED");
    });
  });

  describe("idempotency keys", () => {
    it("the same key returns the first result", async () => {
      const r = req(sandboxTokens.ok);
      const first = await sandbox.charge(r);
      assert.deepEqual(await sandbox.charge({ ...r }), first);
    });

    it("the same key with different parameters → ProviderKeyReusedError, no second charge", async () => {
      const r = req(sandboxTokens.ok);
      await sandbox.charge(r);
      for (const other of [
        { ...r, amount: { currencyCode: "EUR", amountMinor: 5001 } },
        { ...r, amount: { currencyCode: "USD", amountMinor: 5000 } },
        { ...r, paymentToken: sandboxTokens.declined },
        { ...r, metadata: { ...r.metadata, order_id: "another" } },
      ])
        await assert.rejects(sandbox.charge(other), ProviderKeyReusedError);
      assert.equal(await countRows(db, "sandbox_charges", ["idempotency_key", r.idempotencyKey]), 1);
    });

    it("20 concurrent charges with one key: one charge, one answer", async () => {
      sandbox.setFaults({ latencyMs: 20 });
      const r = req(sandboxTokens.ok);
      const answers = await Promise.all(Array.from({ length: 20 }, () => sandbox.charge({ ...r })));
      assert.equal(new Set(answers.map((a) => a.status === "SUCCEEDED" && a.reference)).size, 1);
      assert.equal(await countRows(db, "sandbox_charges", ["idempotency_key", r.idempotencyKey]), 1);
    });

    it("state survives a restart: a new instance on the same database sees earlier charges", async () => {
      const r = req(sandboxTokens.ok);
      const first = await sandbox.charge(r);
      const restarted = sandboxOn(db);
      assert.deepEqual(await restarted.charge({ ...r }), first);
      assert.equal((await restarted.lookupCharge(r.idempotencyKey)).status, "SUCCEEDED");
      const slow = req(sandboxTokens.slow);
      await assert.rejects(sandbox.charge(slow, { signal: AbortSignal.timeout(20) }), ProviderUnknownOutcomeError);
      // The first instance is gone mid-charge; the charge settles on its own time all the same.
      await new Promise((res) => setTimeout(res, slowMs));
      assert.equal((await restarted.lookupCharge(slow.idempotencyKey)).status, "SUCCEEDED");
    });
  });

  describe("refunds", () => {
    it("refunds up to the charge, dedupes by key, refuses more and other keys' reuse", async () => {
      const r = req(sandboxTokens.ok);
      const { reference } = (await sandbox.charge(r)) as { reference: string };
      const refund = (key: string, amountMinor: number) =>
        sandbox.refund({
          idempotencyKey: key,
          chargeReference: reference,
          amount: { currencyCode: "EUR", amountMinor },
        });
      const a = await refund(`${r.idempotencyKey}-r1`, 3000);
      assert.deepEqual(await refund(`${r.idempotencyKey}-r1`, 3000), a, "replayed");
      await assert.rejects(refund(`${r.idempotencyKey}-r1`, 2000), ProviderKeyReusedError);
      await assert.rejects(refund(`${r.idempotencyKey}-r2`, 2001), (e: unknown) => {
        return e instanceof ProviderRejectedError && e.code === "REFUND_EXCEEDS_CHARGE";
      });
      await refund(`${r.idempotencyKey}-r3`, 2000);
      assert.equal(await countRows(db, "sandbox_refunds", ["charge_reference", reference]), 2);
    });

    it("concurrent refunds of one charge never exceed it", async () => {
      const r = req(sandboxTokens.ok);
      const { reference } = (await sandbox.charge(r)) as { reference: string };
      const results = await Promise.allSettled(
        Array.from({ length: 8 }, (_, i) =>
          sandbox.refund({
            idempotencyKey: `${r.idempotencyKey}-c${i}`,
            chargeReference: reference,
            amount: { currencyCode: "EUR", amountMinor: 1000 },
          }),
        ),
      );
      assert.equal(results.filter((x) => x.status === "fulfilled").length, 5);
    });

    it("a declined or unknown charge cannot be refunded", async () => {
      const declined = (await sandbox.charge(req(sandboxTokens.declined))) as { reference: string };
      for (const chargeReference of [declined.reference, "sbx_ch_nothing"])
        await assert.rejects(
          sandbox.refund({
            idempotencyKey: `x-${chargeReference}`,
            chargeReference,
            amount: { currencyCode: "EUR", amountMinor: 1 },
          }),
          (e: unknown) => e instanceof ProviderRejectedError && e.code === "CHARGE_NOT_REFUNDABLE",
        );
    });
  });

  describe("fault knobs and the resilience policy", () => {
    it("refuses knob values out of range", () => {
      assert.throws(() => sandbox.setFaults({ failureRate: 1.5 }), RangeError);
      assert.throws(() => sandbox.setFaults({ latencyMs: -1 }), RangeError);
      assert.throws(() => sandbox.setFaults({ lostAnswerRate: Number.NaN }), RangeError);
      assert.deepEqual(sandbox.setFaults({ latencyMs: 5 }), { latencyMs: 5, failureRate: 0, lostAnswerRate: 0 });
    });

    it("failure rate 1: every call fails before doing anything; lost-answer rate 1: the effect stays", async () => {
      sandbox.setFaults({ failureRate: 1 });
      const r = req(sandboxTokens.ok);
      await assert.rejects(sandbox.charge(r), ProviderRetryableError);
      sandbox.setFaults({ failureRate: 0, lostAnswerRate: 1 });
      await assert.rejects(sandbox.charge(r), ProviderUnknownOutcomeError);
      assert.equal((await sandbox.lookupCharge(r.idempotencyKey)).status, "SUCCEEDED");
    });

    it("latency is added to every call", async () => {
      sandbox.setFaults({ latencyMs: 80 });
      const started = performance.now();
      await sandbox.lookupCharge("charge:nothing");
      assert.ok(performance.now() - started >= 75);
    });

    it("retries a charge only on a retryable error: a transient failure costs an attempt, not a charge", async () => {
      const flaky = [0, 0.99]; // first call below the failure rate, the second above it
      const s = new SandboxProvider({
        db,
        clock: systemClock,
        newId: createIdGenerator(),
        slowMs,
        random: () => flaky.shift() ?? 0.99,
      });
      s.setFaults({ failureRate: 0.5 });
      const counting = new CountingProvider(s);
      const p = new ResilientProvider(counting, { retries: 2, backoffMs: 1 });
      assert.equal((await p.charge(req(sandboxTokens.ok))).status, "SUCCEEDED");
      assert.equal(counting.calls.charge, 2);
      const lost = new CountingProvider(sandbox);
      await assert.rejects(
        new ResilientProvider(lost, { retries: 2, timeoutMs: 50 }).charge(req(sandboxTokens.lostAnswer)),
        ProviderUnknownOutcomeError,
      );
      assert.equal(lost.calls.charge, 1, "an unknown outcome is not retried");
    });

    it("a timeout is an unknown outcome; the breaker opens after consecutive failed calls and fails fast", async () => {
      const counting = new CountingProvider(sandbox);
      const p = new ResilientProvider(counting, { timeoutMs: 50, retries: 1, backoffMs: 1, breakAfter: 2 });
      await assert.rejects(p.charge(req(sandboxTokens.slow)), ProviderUnknownOutcomeError);
      await assert.rejects(p.charge(req(sandboxTokens.error)), ProviderRetryableError);
      assert.equal(p.circuitOpen, true);
      const before = counting.calls.charge;
      await assert.rejects(p.charge(req(sandboxTokens.ok)), /circuit open/);
      assert.equal(counting.calls.charge, before, "nothing sent while open");
      // Declines and refusals are answers, not trouble: they never count towards opening it.
      const healthy = new ResilientProvider(sandbox, { breakAfter: 1 });
      await healthy.charge(req(sandboxTokens.declined));
      assert.equal(healthy.circuitOpen, false);
    });
  });
});
