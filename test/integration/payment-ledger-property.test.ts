/**
 * A randomised run over many concurrent charges, duplicates, conflicting repeats, refunds, lookups
 * and sweeps, with provider faults switched at random; after every round the books must hold. The
 * seed is printed on failure (PAYMENT_PROPERTY_SEED=<seed> replays the choices; the interleaving
 * of concurrent operations still varies).
 */
import assert from "node:assert/strict";
import { prng } from "../../bench/onsale/random.js";
import { ManualClock } from "../../platform/clock/index.js";
import type { Db } from "../../platform/db/index.js";
import { DomainError } from "../../platform/errors/index.js";
import { servicePrincipal } from "../../platform/principal/index.js";
import { sandboxTokens } from "../../services/payment/provider/sandbox.js";
import { auditPayment } from "../../services/payment/use-cases/audit-payment.js";
import { providerKey } from "../../services/payment/use-cases/charge-steps.js";
import { chargeOutcome } from "../../services/payment/use-cases/get-charge-outcome.js";
import { settleUnsettled } from "../../services/payment/use-cases/settle-unsettled.js";
import { dropPrefix, testPrefix } from "../support/infra.js";
import { type ChargeSpec, outboxEvents, paymentDatabase, paymentKit, ticketCaller } from "../support/payment-kit.js";

const self = servicePrincipal("payment");

/** Errors a caller may meet; anything else (an invariant error, a plain Error) fails the run. */
const expected = new Set([
  "PROVIDER_UNAVAILABLE",
  "PAYMENT_OUTCOME_UNKNOWN",
  "REFUND_OUTCOME_UNKNOWN",
  "REQUEST_ID_REUSED",
  "REFUND_EXCEEDS_PAYMENT",
  "PAYMENT_FAILED",
  "PAYMENT_REFUNDED",
  "PAYMENT_NOT_SETTLED",
  // chargeOutcome for an order whose Charge has not reached us yet (it runs in the same batch).
  "CHARGE_NOT_FOUND",
]);

interface Books {
  captured: number;
  refunded: number;
}

describe("payment: randomised ledger invariants on real MariaDB", () => {
  const prefix = testPrefix();
  const seed = Number(process.env.PAYMENT_PROPERTY_SEED ?? Math.floor(Math.random() * 2 ** 31));
  const rounds = 10;
  const perRound = 24;
  let db: Db;

  before(async () => {
    db = await paymentDatabase(prefix, 16);
  });
  after(async () => {
    await db.close();
    await dropPrefix(prefix);
  });

  it(`keeps every payment reconciled and our books equal to the provider's (seed ${seed})`, async function () {
    this.timeout(60_000);
    const random = prng(seed);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const clock = new ManualClock(Date.now());
    const kit = paymentKit(db, {
      clock,
      random: prng(seed + 1),
      policy: { halfOpenAfterMs: 200, timeoutMs: 150 },
    });
    const orders: ChargeSpec[] = [];
    const refundKeys: Array<{ key: string; paymentId: string; amountMinor?: number }> = [];
    const errors = new Map<string, number>();
    let n = 0;
    /** Orders created before the current round. */
    let before = 0;

    const tokens = [
      ...Array(6).fill(sandboxTokens.ok),
      sandboxTokens.declined,
      sandboxTokens.insufficientFunds,
      sandboxTokens.lostAnswer,
      sandboxTokens.lostAnswer,
      sandboxTokens.error,
      "tok_unknown",
    ] as const;

    const paymentIdOf = async (orderId: string) => {
      const [rows] = await db.pool.query("SELECT id FROM payments WHERE order_id = ?", [orderId]);
      return (rows as Array<{ id: string }>)[0]?.id;
    };

    const operation = async (): Promise<void> => {
      const r = random();
      if (r < 0.35 || orders.length === 0) {
        const orderId = `order-${seed}-${++n}`;
        const i: ChargeSpec = {
          idempotencyKey: orderId,
          orderId,
          userId: `user-${n % 7}`,
          amount: { currencyCode: "EUR", amountMinor: 100 + Math.floor(random() * 20_000) },
          paymentToken: pick(tokens),
        };
        orders.push(i);
        await kit.charge(i);
      } else if (r < 0.5) {
        await kit.charge({ ...pick(orders) });
      } else if (r < 0.55 && before > 0) {
        // An order of an earlier round: its first Charge surely inserted the payment already.
        const i = pick(orders.slice(0, before));
        await assert.rejects(
          kit.charge({ ...i, amount: { ...i.amount, amountMinor: i.amount.amountMinor + 1 } }),
          (e: unknown) => e instanceof DomainError && e.reason === "REQUEST_ID_REUSED",
        );
      } else if (r < 0.85) {
        const id = await paymentIdOf(pick(orders).orderId);
        if (id === undefined) return;
        const again = refundKeys.length > 0 && random() < 0.2 ? pick(refundKeys) : undefined;
        const amountMinor = random() < 0.3 ? undefined : 1 + Math.floor(random() * 8000);
        const spec = again ?? { key: `refund-${seed}-${++n}`, paymentId: id, amountMinor };
        if (again === undefined) refundKeys.push(spec);
        await kit.refund({
          idempotencyKey: spec.key,
          paymentId: spec.paymentId,
          amount: spec.amountMinor === undefined ? undefined : { currencyCode: "EUR", amountMinor: spec.amountMinor },
          reason: "PROPERTY",
        });
      } else {
        const { orderId } = pick(orders);
        await chargeOutcome(kit.deps, ticketCaller, orderId, orderId);
      }
    };

    const tally = (e: unknown) => {
      if (!(e instanceof DomainError) || !expected.has(e.reason)) throw e;
      errors.set(e.reason, (errors.get(e.reason) ?? 0) + 1);
    };

    /** Our books and the provider's, with every per-payment check on the way. */
    const check = async (final: boolean): Promise<{ ours: Books; provider: Books }> => {
      const [pays] = await db.pool.query(
        "SELECT id, idempotency_key, state, failure_code, provider_reference, amount_minor, refunded_minor FROM payments",
      );
      const [charges] = await db.pool.query(
        "SELECT idempotency_key, reference, status, amount_minor, settle_time FROM sandbox_charges",
      );
      const [prefunds] = await db.pool.query("SELECT SUM(amount_minor) AS s FROM sandbox_refunds");
      type Row = Record<string, string | number>;
      const byKey = new Map((charges as Row[]).map((c) => [String(c.idempotency_key), c]));
      const ours: Books = { captured: 0, refunded: 0 };
      for (const p of pays as Array<Record<string, string | number>>) {
        assert.deepEqual(await auditPayment(db.orm, String(p.id)), [], `seed ${seed}`);
        const c = byKey.get(providerKey("charge", String(p.idempotency_key))) as
          | Record<string, string | number>
          | undefined;
        if (["SUCCEEDED", "PARTIALLY_REFUNDED", "REFUNDED"].includes(String(p.state))) {
          assert.equal(c?.status, "SUCCEEDED", `captured payment ${p.id} has a provider charge (seed ${seed})`);
          assert.deepEqual([c?.reference, Number(c?.amount_minor)], [p.provider_reference, Number(p.amount_minor)]);
          ours.captured += Number(p.amount_minor);
          ours.refunded += Number(p.refunded_minor);
        } else if (p.state === "FAILED" && p.failure_code !== "CHARGE_NOT_COMPLETED") {
          assert.equal(c?.status, "DECLINED", `failed payment ${p.id} was declined by the provider (seed ${seed})`);
        } else if (p.state === "FAILED") {
          assert.equal(c, undefined, `abandoned payment ${p.id} was never charged (seed ${seed})`);
        } else assert.ok(!final, `payment ${p.id} still PENDING after the final sweep (seed ${seed})`);
      }
      const provider: Books = { captured: 0, refunded: Number((prefunds as Array<{ s: string | null }>)[0]?.s ?? 0) };
      for (const c of charges as Array<Record<string, string | number>>)
        if (c.status === "SUCCEEDED") provider.captured += Number(c.amount_minor);
      const events = await outboxEvents(db);
      const refundsOurs = events.filter((e) => e.type === "PaymentRefunded").length;
      const [succeededRefunds] = await db.pool.query(
        "SELECT COUNT(*) AS n FROM payment_refunds WHERE state = 'SUCCEEDED'",
      );
      assert.equal(
        refundsOurs,
        Number((succeededRefunds as Array<{ n: number }>)[0]?.n),
        "one PaymentRefunded per refund",
      );
      return { ours, provider };
    };

    for (let round = 0; round < rounds; round++) {
      before = orders.length;
      kit.sandbox.setFaults({
        failureRate: pick([0, 0, 0.1, 0.3]),
        lostAnswerRate: pick([0, 0, 0.1, 0.2]),
        latencyMs: pick([0, 0, 5, 20]),
      });
      const results = await Promise.allSettled(Array.from({ length: perRound }, operation));
      for (const r of results) if (r.status === "rejected") tally(r.reason);
      clock.advance(kit.deps.timing.recheckMs + 1);
      await settleUnsettled(kit.deps, self);
      const { ours, provider } = await check(false);
      // Unsettled lost answers are money the provider took that we have not booked yet — never the reverse.
      assert.ok(ours.captured <= provider.captured, `seed ${seed}: we never book more than the provider took`);
      assert.ok(ours.refunded <= provider.refunded, `seed ${seed}: refunds booked only when the provider made them`);
    }

    // A restarted process (its breaker closed) with a calm provider, everything old enough to settle
    // or abandon: then the books must be equal.
    const calm = paymentKit(db, { clock });
    const { claimMs, inFlightMs, retryGraceMs } = calm.deps.timing;
    for (let i = 0; i < 5; i++) {
      clock.advance(claimMs + inFlightMs + retryGraceMs);
      const s = await settleUnsettled(calm.deps, self, { limit: 1000 });
      if (s.pending + s.errors === 0) break;
    }
    const { ours, provider } = await check(true);
    assert.deepEqual(ours, provider, `seed ${seed}: captured − refunded agree with the provider's books`);
    assert.ok(ours.captured > 0 && ours.refunded > 0, "the run exercised captures and refunds");

    // Per payment, events are one outcome (+ refunds) with contiguous versions from 1.
    const events = await outboxEvents(db);
    const byPayment = new Map<string, number[]>();
    for (const e of events) byPayment.set(e.aggregateId, [...(byPayment.get(e.aggregateId) ?? []), e.version]);
    for (const [id, versions] of byPayment)
      assert.deepEqual(
        versions,
        versions.map((_, i) => i + 1),
        `payment ${id}: event versions ${versions}`,
      );
    const outcomes = events.filter((e) => e.type === "PaymentSucceeded" || e.type === "PaymentFailed").length;
    const [settled] = await db.pool.query("SELECT COUNT(*) AS n FROM payments WHERE state <> 'PENDING'");
    assert.equal(outcomes, Number((settled as Array<{ n: number }>)[0]?.n), "one outcome event per settled payment");
    assert.ok(errors.size > 0, "faults and refusals were met");
  });
});
