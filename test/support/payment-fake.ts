/**
 * A stand-in for the payment service's *contract* (PaymentInternalService over a real Connect
 * server on a port, Payment* events on the real NATS stream), for the order half's handler-level
 * tests while the payment service is wired elsewhere. It follows the sandbox tokens of
 * docs/payment.md: one charge per idempotency key, a lost answer charges and then fails the call,
 * a slow charge settles later and publishes its event then. The cross-process suites use the real
 * payment service instead.
 */
import { randomUUID } from "node:crypto";
import * as http2 from "node:http2";
import type { AddressInfo } from "node:net";
import { create } from "@bufbuild/protobuf";
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError, type ConnectRouter } from "@connectrpc/connect";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  PaymentFailedSchema,
  PaymentRefundedSchema,
  PaymentSucceededSchema,
} from "../../gen/boxoffice/payment/v1/events_pb.js";
import { PaymentInternalService } from "../../gen/boxoffice/payment/v1/payment_internal_service_pb.js";
import { type Payment, PaymentSchema, PaymentState } from "../../gen/boxoffice/payment/v1/payment_pb.js";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { eventType } from "../../platform/bus/events.js";
import { connectNats } from "../../platform/bus/nats.js";
import { sleep } from "../../platform/clock/index.js";
import { ensureStream, publishFact } from "./facts.js";
import { infraUrls } from "./infra.js";

const Succeeded = eventType(PaymentSucceededSchema, "payment");
const Failed = eventType(PaymentFailedSchema, "payment");
const Refunded = eventType(PaymentRefundedSchema, "payment");

function error(code: Code, reason: string, message: string): ConnectError {
  return new ConnectError(message, code, undefined, [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: "payment.boxoffice" }) },
  ]);
}

interface Record {
  payment: Payment;
  sequence: number;
  settled: Promise<void>;
}

export class FakePayments {
  readonly byOrder = new Map<string, Record>();
  readonly refunds = new Map<string, string>(); // request id → payment id
  /** Charge calls received (each duplicate counted). */
  chargeCalls = 0;
  /** Charges actually taken (one per order at most). */
  charged = 0;
  /** Every call fails UNAVAILABLE, as a payment service that is down. */
  down = false;
  slowMs = 5000;
  #server!: http2.Http2Server;
  #nc!: NatsConnection;
  readonly #sessions = new Set<http2.Http2Session>();
  url = "";

  constructor(private readonly prefix: string) {}

  async start(): Promise<this> {
    this.#nc = await connectNats(infraUrls().natsUrl, "fake-payment");
    await ensureStream(this.#nc, this.prefix, "payment");
    const handler = connectNodeAdapter({
      routes: (router: ConnectRouter) => router.service(PaymentInternalService, this.#impl()),
    });
    this.#server = http2.createServer(handler);
    this.#server.on("session", (s) => {
      this.#sessions.add(s);
      s.once("close", () => this.#sessions.delete(s));
    });
    await new Promise<void>((r) => this.#server.listen(0, "127.0.0.1", r));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    // clients keep idle HTTP/2 sessions open for a minute: close() would wait for them
    for (const s of this.#sessions) s.destroy();
    await new Promise((r) => this.#server.close(r));
    await this.#nc.close();
  }

  /** A charge the payment side took without the ticket side hearing of it (a late success). */
  async lateSuccess(orderId: string, userId: string, amountMinor: number): Promise<Payment> {
    const p = this.#record(orderId, userId, amountMinor, PaymentState.SUCCEEDED, "");
    await this.#publish(p);
    return p.payment;
  }

  #record(orderId: string, userId: string, amountMinor: number, state: PaymentState, failureCode: string): Record {
    const payment = create(PaymentSchema, {
      id: randomUUID(),
      orderId,
      userId,
      amount: { currencyCode: "EUR", amountMinor: BigInt(amountMinor) },
      state,
      failureCode,
      createTime: timestampFromDate(new Date()),
    });
    if (state === PaymentState.SUCCEEDED || state === PaymentState.PENDING) this.charged++;
    const r = { payment, sequence: 0, settled: Promise.resolve() };
    this.byOrder.set(orderId, r);
    return r;
  }

  async #publish(r: Record): Promise<void> {
    const p = r.payment;
    r.sequence++;
    const agg = { type: "payment", id: p.id, version: r.sequence, sequence: r.sequence };
    const now = timestampFromDate(new Date());
    const base = { paymentId: p.id, orderId: p.orderId, userId: p.userId };
    if (p.state === PaymentState.SUCCEEDED)
      await publishFact(this.#nc, this.prefix, Succeeded, { ...base, amount: p.amount, succeedTime: now }, agg);
    else if (p.state === PaymentState.FAILED)
      await publishFact(this.#nc, this.prefix, Failed, { ...base, failureCode: p.failureCode, failTime: now }, agg);
    else
      await publishFact(
        this.#nc,
        this.prefix,
        Refunded,
        { ...base, refundId: randomUUID(), amount: p.amount, refundTime: now, fullyRefunded: true },
        agg,
      );
  }

  #impl() {
    return {
      charge: async (
        req: { orderId: string; userId: string; amount?: { amountMinor: bigint }; paymentToken: string },
        ctx: { signal: AbortSignal },
      ) => {
        this.chargeCalls++;
        if (this.down) throw error(Code.Unavailable, "PROVIDER_UNAVAILABLE", "payment is down");
        const existing = this.byOrder.get(req.orderId);
        if (existing !== undefined) {
          await Promise.race([existing.settled, sleep(60_000, ctx.signal)]);
          return { payment: existing.payment };
        }
        const amount = Number(req.amount?.amountMinor ?? 0n);
        switch (req.paymentToken) {
          case "sandbox_ok":
          case "sandbox_lost_answer": {
            const r = this.#record(req.orderId, req.userId, amount, PaymentState.SUCCEEDED, "");
            await this.#publish(r);
            if (req.paymentToken === "sandbox_lost_answer")
              throw error(Code.Unavailable, "PAYMENT_OUTCOME_UNKNOWN", "the provider's answer was lost");
            return { payment: r.payment };
          }
          case "sandbox_error":
            throw error(Code.Unavailable, "PROVIDER_UNAVAILABLE", "the provider failed before charging");
          case "sandbox_slow": {
            const r = this.#record(req.orderId, req.userId, amount, PaymentState.PENDING, "");
            r.settled = sleep(this.slowMs).then(async () => {
              r.payment.state = PaymentState.SUCCEEDED;
              await this.#publish(r);
            });
            await Promise.race([r.settled, sleep(60_000, ctx.signal)]);
            return { payment: r.payment };
          }
          default: {
            const code =
              req.paymentToken === "sandbox_declined"
                ? "CARD_DECLINED"
                : req.paymentToken === "sandbox_insufficient_funds"
                  ? "INSUFFICIENT_FUNDS"
                  : "INVALID_TOKEN";
            const r = this.#record(req.orderId, req.userId, amount, PaymentState.FAILED, code);
            await this.#publish(r);
            return { payment: r.payment };
          }
        }
      },
      getChargeOutcome: async (req: { orderId: string }) => {
        if (this.down) throw error(Code.Unavailable, "PROVIDER_UNAVAILABLE", "payment is down");
        const r = this.byOrder.get(req.orderId);
        if (r === undefined) throw error(Code.NotFound, "CHARGE_NOT_FOUND", `no charge for ${req.orderId}`);
        return { payment: r.payment };
      },
      refund: async (req: { requestId: string; paymentId: string }) => {
        if (this.down) throw error(Code.Unavailable, "PROVIDER_UNAVAILABLE", "payment is down");
        const r = [...this.byOrder.values()].find((x) => x.payment.id === req.paymentId);
        if (r === undefined) throw error(Code.NotFound, "PAYMENT_NOT_FOUND", "no such payment");
        const seen = this.refunds.get(req.requestId);
        if (seen === undefined) {
          if (r.payment.state === PaymentState.REFUNDED)
            throw error(Code.FailedPrecondition, "PAYMENT_REFUNDED", "already refunded");
          if (r.payment.state !== PaymentState.SUCCEEDED)
            throw error(Code.FailedPrecondition, "PAYMENT_FAILED", "nothing to refund");
          this.refunds.set(req.requestId, req.paymentId);
          r.payment.state = PaymentState.REFUNDED;
          r.payment.refundedAmount = r.payment.amount;
          await this.#publish(r);
        }
        return { payment: r.payment, refund: { id: req.requestId, amount: r.payment.amount, reason: "" } };
      },
    };
  }
}
