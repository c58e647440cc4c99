import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { createRegistry } from "@bufbuild/protobuf";
import { type CallOptions, type Client, Code, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport } from "@connectrpc/connect-node";
import { modules } from "../../cmd/modules.js";
import {
  type PaymentFailed,
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "../../gen/boxoffice/payment/v1/events_pb.js";
import { PaymentInternalService } from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { type Payment, PaymentState } from "../../gen/boxoffice/payment/v1/payment_pb.js";
import { PaymentService } from "../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { infraNames } from "../../platform/config/names.js";
import type { PaymentDeps } from "../../services/payment/deps.js";
import { reason, rejects } from "../support/assert.js";
import { startTestProcess } from "../support/process.js";
import { StreamReader } from "../support/stream-reader.js";
import { bearer, newUsersConfig, type TestUser, Users, usersEnv } from "../support/users.js";

/**
 * The payment service through the one port (auth + payment in one process, real MariaDB and NATS):
 * the internal RPCs over gRPC with the ticket service's token, the public ones over Connect/JSON as
 * the payer and an ADMIN, and the events read back from the PAYMENT stream.
 */
describe("payment service through the one port (real MariaDB, NATS)", function () {
  this.timeout(60_000);
  const cfg = newUsersConfig();
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  let users: Users;
  let internal: Client<typeof PaymentInternalService>;
  let payments: Client<typeof PaymentService>;
  let asTicket: CallOptions;
  let customer: TestUser;
  let other: TestUser;
  let admin: TestUser;
  let stream: StreamReader;

  before(async () => {
    proc = await startTestProcess({
      echo: false,
      modules: [modules.auth, modules.payment],
      env: {
        ...usersEnv(cfg),
        BOXOFFICE_SANDBOX_SLOW_MS: "1500",
        BOXOFFICE_PAYMENT_PROVIDER_TIMEOUT_MS: "1000",
        BOXOFFICE_PAYMENT_RETRY_GRACE_MS: "300",
        BOXOFFICE_PAYMENT_IN_FLIGHT_MS: "300",
        BOXOFFICE_PAYMENT_SETTLE_EVERY_MS: "200",
      },
    });
    users = new Users(proc.baseUrl, cfg);
    internal = createClient(PaymentInternalService, createGrpcTransport({ baseUrl: proc.baseUrl }));
    payments = createClient(PaymentService, createConnectTransport({ baseUrl: proc.baseUrl, httpVersion: "1.1" }));
    asTicket = bearer(await users.serviceToken("ticket"));
    [customer, other, admin] = await Promise.all([users.customer("payer"), users.customer("other"), users.admin()]);
    stream = await StreamReader.open(
      infraNames(proc.prefix).stream("payment"),
      createRegistry(PaymentSucceededSchema, PaymentFailedSchema, PaymentRefundedSchema),
    );
  });
  after(async () => {
    await stream?.close();
    await proc?.stop();
  });

  const eur = (amountMinor: number) => ({ currencyCode: "EUR", amountMinor: BigInt(amountMinor) });
  const chargeOf = (paymentToken: string, amountMinor = 4200, user = () => customer) => {
    const orderId = randomUUID();
    return { requestId: orderId, orderId, userId: user().id, amount: eur(amountMinor), paymentToken };
  };
  const charge = async (req: ReturnType<typeof chargeOf>): Promise<Payment> => {
    const { payment } = await internal.charge(req, asTicket);
    assert.ok(payment);
    return payment;
  };
  const outcome = async (orderId: string) => (await internal.getChargeOutcome({ orderId }, asTicket)).payment!;
  const state = (p: Payment | undefined) => PaymentState[p?.state ?? 0];
  /** The event types the stream has carried about a payment so far (every message, duplicates included). */
  const eventsOfNow = (paymentId: string) =>
    stream.seen
      .filter((m) => (m.payload as { paymentId?: string }).paymentId === paymentId)
      .map((m) => m.payload.$typeName.split(".").at(-1));
  const eventsOf = async (paymentId: string) => {
    await stream.poll();
    return eventsOfNow(paymentId);
  };
  const count = async (table: string, column: string, value: string) => {
    const { db } = proc.services.get("payment")!.internals!.deps as PaymentDeps;
    const [rows] = await db.pool.query(`SELECT COUNT(*) AS n FROM ${table} WHERE ${column} = ?`, [value]);
    return Number((rows as Array<{ n: number }>)[0]?.n);
  };
  const settled = async (orderId: string, within: number) => {
    const started = Date.now();
    for (;;) {
      const p = await outcome(orderId);
      if (p.state !== PaymentState.PENDING) return { p, ms: Date.now() - started };
      if (Date.now() - started > within) assert.fail(`order ${orderId} still PENDING after ${within} ms`);
      await sleep(100);
    }
  };

  describe("Charge (caller: ticket)", () => {
    it("sandbox_ok → SUCCEEDED; a repeat returns the first result; the same request_id with other parameters → REQUEST_ID_REUSED", async () => {
      const req = chargeOf("sandbox_ok");
      const p = await charge(req);
      assert.deepEqual(
        [state(p), p.orderId, p.userId, p.amount?.amountMinor],
        ["SUCCEEDED", req.orderId, customer.id, 4200n],
      );
      assert.match(p.providerReference, /^sbx_ch_/);
      const again = await charge({ ...req });
      assert.deepEqual([again.id, state(again), again.providerReference], [p.id, "SUCCEEDED", p.providerReference]);
      const reused = await rejects(
        internal.charge({ ...req, amount: eur(4201) }, asTicket),
        Code.FailedPrecondition,
        "reused",
      );
      assert.equal(reason(reused), "REQUEST_ID_REUSED");
      const otherKey = await rejects(
        internal.charge({ ...req, requestId: randomUUID() }, asTicket),
        Code.FailedPrecondition,
        "a second key for the order",
      );
      assert.equal(reason(otherKey), "ORDER_ALREADY_CHARGED");
    });

    for (const [token, code] of [
      ["sandbox_declined", "CARD_DECLINED"],
      ["sandbox_insufficient_funds", "INSUFFICIENT_FUNDS"],
      ["tok_not_a_sandbox_token", "INVALID_TOKEN"],
    ] as const)
      it(`${token} → OK with the payment FAILED ${code} (a decline is an answer, not an error)`, async () => {
        const p = await charge(chargeOf(token));
        assert.deepEqual([state(p), p.failureCode], ["FAILED", code]);
        assert.ok(p.failureMessage.length > 0);
      });

    it("only the ticket service: another service, a customer, an admin → PERMISSION_DENIED; anonymous → UNAUTHENTICATED", async () => {
      const req = chargeOf("sandbox_ok");
      for (const [who, opts] of [
        ["notification", bearer(await users.serviceToken("notification"))],
        ["event", bearer(await users.serviceToken("event"))],
        ["customer", await customer.auth()],
        ["admin", await admin.auth()],
      ] as const)
        await rejects(internal.charge(req, opts), Code.PermissionDenied, `Charge as ${who}`);
      await rejects(internal.charge(req), Code.Unauthenticated, "anonymous Charge");
      await rejects(
        internal.getChargeOutcome({ orderId: req.orderId }, await customer.auth()),
        Code.PermissionDenied,
        "outcome",
      );
      await rejects(outcome(req.orderId), Code.NotFound, "nothing was charged by the refused calls");
    });

    it("20 concurrent Charges with one request_id → one charge, one answer, one event", async () => {
      const req = chargeOf("sandbox_ok", 990);
      const all = await Promise.all(Array.from({ length: 20 }, () => charge({ ...req })));
      assert.equal(new Set(all.map((p) => `${p.id} ${state(p)} ${p.providerReference}`)).size, 1);
      const id = all[0]!.id;
      assert.equal(
        await count("sandbox_charges", "idempotency_key", `charge:${req.requestId}`),
        1,
        "one provider charge",
      );
      assert.equal(await count("payments", "order_id", req.orderId), 1);
      await stream.waitFor("the charge's event", () => eventsOfNow(id).length > 0 || undefined);
      assert.deepEqual(await eventsOf(id), ["PaymentSucceeded"]);
    });
  });

  describe("unknown outcomes and GetChargeOutcome", () => {
    it("sandbox_lost_answer → UNAVAILABLE PAYMENT_OUTCOME_UNKNOWN; GetChargeOutcome finds SUCCEEDED with one charge", async () => {
      const req = chargeOf("sandbox_lost_answer");
      const e = await rejects(internal.charge(req, asTicket), Code.Unavailable, "lost answer");
      assert.equal(reason(e), "PAYMENT_OUTCOME_UNKNOWN");
      const p = await outcome(req.orderId);
      assert.equal(state(p), "SUCCEEDED");
      assert.equal(await count("sandbox_charges", "idempotency_key", `charge:${req.requestId}`), 1);
      assert.equal((await charge({ ...req })).id, p.id, "a Charge repeat finds it too, without charging again");
    });

    it("sandbox_error → UNAVAILABLE PROVIDER_UNAVAILABLE, nothing charged; the outcome is FAILED within seconds", async () => {
      const req = chargeOf("sandbox_error");
      const e = await rejects(internal.charge(req, asTicket), Code.Unavailable, "provider error");
      assert.equal(reason(e), "PROVIDER_UNAVAILABLE");
      const { p, ms } = await settled(req.orderId, 5_000);
      assert.deepEqual([state(p), p.failureCode], ["FAILED", "CHARGE_NOT_COMPLETED"]);
      assert.ok(ms < 5_000, `settled in ${ms} ms`);
      assert.equal(await count("sandbox_charges", "idempotency_key", `charge:${req.requestId}`), 0);
      assert.equal(state(await charge({ ...req })), "FAILED", "the key is spent: a late repeat charges nothing");
      const failed = await stream.waitFor("PaymentFailed", (seen) =>
        seen.find((m) => (m.payload as PaymentFailed).paymentId === p.id),
      );
      assert.equal((failed.payload as PaymentFailed).failureCode, "CHARGE_NOT_COMPLETED");
    });

    it("sandbox_slow beyond the provider timeout → UNAVAILABLE; the settle sweep settles it and announces SUCCEEDED", async () => {
      const req = chargeOf("sandbox_slow");
      await rejects(internal.charge(req, asTicket), Code.Unavailable, "slow");
      const id = await stream.waitFor(
        "PaymentSucceeded of the slow charge",
        (seen) =>
          seen.find(
            (m) =>
              (m.payload as { orderId?: string }).orderId === req.orderId &&
              m.payload.$typeName.endsWith("PaymentSucceeded"),
          )?.envelope.aggregateId,
        8_000,
      );
      const { payment } = await payments.getPayment({ paymentId: id }, await customer.auth());
      assert.equal(state(payment), "SUCCEEDED");
    });

    it("an order nothing was charged for → NOT_FOUND CHARGE_NOT_FOUND", async () => {
      const e = await rejects(outcome(randomUUID()), Code.NotFound, "unknown order");
      assert.equal(reason(e), "CHARGE_NOT_FOUND");
    });
  });

  describe("Refund (caller: ticket)", () => {
    it("partial, then the rest; never above the charge; repeats replay; bad requests refused with their reasons", async () => {
      const p = await charge(chargeOf("sandbox_ok", 5000));
      const first = { requestId: randomUUID(), paymentId: p.id, amount: eur(2000), reason: "GOODWILL" };
      const a = await internal.refund(first, asTicket);
      assert.deepEqual(
        [state(a.payment), a.payment?.refundedAmount?.amountMinor, a.refund?.amount?.amountMinor],
        ["PARTIALLY_REFUNDED", 2000n, 2000n],
      );
      assert.equal((await internal.refund(first, asTicket)).refund?.id, a.refund?.id, "a repeat replays");
      const over = await rejects(
        internal.refund({ ...first, requestId: randomUUID(), amount: eur(3001) }, asTicket),
        Code.FailedPrecondition,
        "above what is left",
      );
      assert.equal(reason(over), "REFUND_EXCEEDS_PAYMENT");
      const currency = await rejects(
        internal.refund(
          { ...first, requestId: randomUUID(), amount: { currencyCode: "USD", amountMinor: 1n } },
          asTicket,
        ),
        Code.InvalidArgument,
        "another currency",
      );
      assert.equal(reason(currency), "INVALID_ARGUMENT");
      const b = await internal.refund(
        { requestId: randomUUID(), paymentId: p.id, reason: "ORDER_CANCELLED" },
        asTicket,
      );
      assert.deepEqual(
        [state(b.payment), b.refund?.amount?.amountMinor, b.payment?.refunds.length],
        ["REFUNDED", 3000n, 2],
      );
      const done = await rejects(
        internal.refund({ requestId: randomUUID(), paymentId: p.id, reason: "AGAIN" }, asTicket),
        Code.FailedPrecondition,
        "nothing left",
      );
      assert.equal(reason(done), "PAYMENT_REFUNDED");
      const failed = await charge(chargeOf("sandbox_declined"));
      const none = await rejects(
        internal.refund({ requestId: randomUUID(), paymentId: failed.id, reason: "R" }, asTicket),
        Code.FailedPrecondition,
        "a failed payment",
      );
      assert.equal(reason(none), "PAYMENT_FAILED");
      await rejects(
        internal.refund({ requestId: randomUUID(), paymentId: randomUUID(), reason: "R" }, asTicket),
        Code.NotFound,
        "unknown",
      );
      await rejects(
        internal.refund({ ...first, requestId: randomUUID() }, await customer.auth()),
        Code.PermissionDenied,
        "a customer",
      );
      await stream.waitFor("both refunds", () => (eventsOfNow(p.id).length === 3 ? true : undefined));
      assert.deepEqual(await eventsOf(p.id), ["PaymentSucceeded", "PaymentRefunded", "PaymentRefunded"]);
    });
  });

  describe("GetPayment and ListPayments (payer; ADMIN any)", () => {
    it("GetPayment: the payer and an ADMIN see it; another user and unknown ids → NOT_FOUND; anonymous → UNAUTHENTICATED", async () => {
      const p = await charge(chargeOf("sandbox_ok"));
      assert.equal((await payments.getPayment({ paymentId: p.id }, await customer.auth())).payment?.id, p.id);
      assert.equal((await payments.getPayment({ paymentId: p.id }, await admin.auth())).payment?.id, p.id);
      await rejects(payments.getPayment({ paymentId: p.id }, await other.auth()), Code.NotFound, "another user's");
      await rejects(payments.getPayment({ paymentId: randomUUID() }, await customer.auth()), Code.NotFound, "unknown");
      await rejects(payments.getPayment({ paymentId: p.id }), Code.Unauthenticated, "anonymous");
    });

    it("ListPayments: own only, newest first, paged; an ADMIN lists anyone's; order filter; a foreign page token is refused", async () => {
      const mine = [
        await charge(chargeOf("sandbox_ok", 100, () => other)),
        await charge(chargeOf("sandbox_declined", 200, () => other)),
        await charge(chargeOf("sandbox_ok", 300, () => other)),
      ];
      const seen: string[] = [];
      let pageToken = "";
      do {
        const page = await payments.listPayments({ pageSize: 2, pageToken }, await other.auth());
        assert.ok(page.payments.length <= 2);
        seen.push(...page.payments.map((p) => p.id));
        pageToken = page.nextPageToken;
      } while (pageToken !== "");
      assert.deepEqual(seen, mine.map((p) => p.id).reverse());
      const byOrder = await payments.listPayments({ orderId: mine[1]!.orderId }, await admin.auth());
      assert.deepEqual(
        byOrder.payments.map((p) => [p.id, p.userId]),
        [[mine[1]!.id, other.id]],
      );
      const all = await payments.listPayments({ pageSize: 200 }, await admin.auth());
      assert.ok(all.payments.some((p) => p.userId === customer.id) && all.payments.some((p) => p.userId === other.id));
      const first = await payments.listPayments({ pageSize: 1 }, await other.auth());
      await rejects(
        payments.listPayments({ pageSize: 1, pageToken: first.nextPageToken }, await customer.auth()),
        Code.InvalidArgument,
        "another user's page token",
      );
    });
  });

  describe("SetSandboxFaults (ADMIN)", () => {
    it("a customer → PERMISSION_DENIED; an ADMIN sets the knobs (failures reach Charge), then turns them off", async () => {
      const knobs = { latencyMs: 0, failureRate: 1, lostAnswerRate: 0 };
      await rejects(payments.setSandboxFaults(knobs, await customer.auth()), Code.PermissionDenied, "customer");
      await rejects(payments.setSandboxFaults(knobs), Code.Unauthenticated, "anonymous");
      try {
        const set = await payments.setSandboxFaults(knobs, await admin.auth());
        assert.deepEqual([set.latencyMs, set.failureRate, set.lostAnswerRate], [0, 1, 0]);
        const e = await rejects(
          internal.charge(chargeOf("sandbox_ok"), asTicket),
          Code.Unavailable,
          "injected failure",
        );
        assert.equal(reason(e), "PROVIDER_UNAVAILABLE");
      } finally {
        const off = await payments.setSandboxFaults({}, await admin.auth());
        assert.deepEqual([off.latencyMs, off.failureRate, off.lostAnswerRate], [0, 0, 0]);
      }
      assert.equal(state(await charge(chargeOf("sandbox_ok"))), "SUCCEEDED");
    });
  });

  describe("events", () => {
    it("the PAYMENT stream carried each event once: no event id twice, one outcome per payment", async () => {
      await sleep(500); // the relay publishes right after each commit; give the last ones time
      const seen = await stream.poll();
      assert.ok(seen.length >= 10);
      assert.equal(new Set(seen.map((m) => m.envelope.eventId)).size, seen.length, "no event published twice");
      const outcomes = new Map<string, number>();
      for (const m of seen)
        if (!m.payload.$typeName.endsWith("PaymentRefunded"))
          outcomes.set(m.envelope.aggregateId, (outcomes.get(m.envelope.aggregateId) ?? 0) + 1);
      for (const [id, n] of outcomes) assert.equal(n, 1, `payment ${id}: ${n} outcome events`);
      const { db } = proc.services.get("payment")!.internals!.deps as PaymentDeps;
      const [rows] = await db.pool.query("SELECT COUNT(*) AS n FROM payments WHERE state <> 'PENDING'");
      assert.equal(outcomes.size, Number((rows as Array<{ n: number }>)[0]?.n), "every settled payment announced");
    });
  });
});
