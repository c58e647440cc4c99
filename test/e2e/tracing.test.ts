/**
 * Distributed traces across processes: auth (in this process), the ticket service's order half,
 * payment and notification (child processes), all exporting OTLP/HTTP to a receiver in this test.
 * One buyer action (hold, then checkout, sent with one trace id as a browser or the ingress would)
 * must come out as one trace: HoldSeats, Checkout, the Charge call and its server side, the
 * PaymentSucceeded and OrderConfirmed events written and handled, and the confirmation email's
 * delivery (with its GetUser call). An incoming B3 header is continued too.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import type { CallOptions } from "@connectrpc/connect";
import { OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { eventually } from "../support/orders-bed.js";
import { OtlpReceiver, type ReceivedSpan } from "../support/otlp-receiver.js";
import { SplitBed } from "../support/split-bed.js";
import type { TestUser } from "../support/users.js";

const hex = (bytes: number) => randomBytes(bytes).toString("hex");
const SERVER = 2;
const CLIENT = 3;
const PRODUCER = 4;
const CONSUMER = 5;

/** The buyer's call options with extra headers (a trace context as a browser or Envoy sends it). */
async function as(user: TestUser, headers: Record<string, string>): Promise<CallOptions> {
  const o = await user.auth();
  return { ...o, headers: { ...(o.headers as Record<string, string>), ...headers } };
}

describe("distributed traces across processes (OTLP to an in-test receiver)", function () {
  this.timeout(120_000);
  const receiver = new OtlpReceiver();
  const bed = new SplitBed();
  let buyer: TestUser;

  before(async function () {
    this.timeout(90_000);
    await receiver.start();
    await bed.start({
      all: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
      notification: {},
    });
    buyer = await bed.users.customer("buyer");
  });
  after(async () => {
    await bed.stop();
    await receiver.stop();
  });

  /** The one span of `trace` matching, failing with what the trace holds when there is none. */
  const only = (trace: ReceivedSpan[], what: string, match: (s: ReceivedSpan) => boolean): ReceivedSpan => {
    const found = trace.filter(match);
    assert.equal(
      found.length,
      1,
      `${what}: expected one span, found ${found.length} in\n${trace.map((s) => `${s.service} ${s.name}`).join("\n")}`,
    );
    return found[0]!;
  };

  it("hold → checkout → Charge → PaymentSucceeded → OrderConfirmed → email: one trace id in four processes", async () => {
    const ev = await bed.open();
    const traceId = hex(16);
    const action = (spanId: string) => ({
      traceparent: `00-${traceId}-${spanId}-01`,
      "x-request-id": `buy-${traceId}`,
    });
    const holdParent = hex(8);
    const checkoutParent = hex(8);
    const { hold } = await bed.ticket.holdSeats(
      {
        requestId: hex(8),
        eventId: ev.eventId,
        items: [
          {
            kind: { case: "seat", value: { sectionId: ev.sections[0]!.id, rowLabel: "1", seatLabel: "1" } },
          },
        ],
      },
      await as(buyer, action(holdParent)),
    );
    const { order } = await bed.ticket.checkout(
      { requestId: hex(8), holdId: hold!.id, paymentToken: "sandbox_ok" },
      await as(buyer, action(checkoutParent)),
    );
    assert.equal(order!.state, OrderState.CONFIRMED);

    // Spans leave each process in batches (every second), so the email's span can arrive before
    // the hold's: wait until every link of the chain is in, not just the last one.
    const links: Array<(s: ReceivedSpan) => boolean> = [
      (s) => s.kind === SERVER && s.name.endsWith("TicketService/HoldSeats"),
      (s) => s.kind === SERVER && s.name.endsWith("TicketService/Checkout"),
      (s) => s.kind === CLIENT && s.name.endsWith("/Charge"),
      (s) => s.kind === SERVER && s.name.endsWith("/Charge"),
      (s) => s.kind === PRODUCER && s.name.endsWith(".payment.payment_succeeded"),
      (s) => s.kind === CONSUMER && s.name.endsWith(".payment.payment_succeeded") && s.service === "ticket",
      (s) => s.kind === PRODUCER && s.name.endsWith(".ticket.order_confirmed"),
      (s) => s.kind === CONSUMER && s.name.endsWith(".ticket.order_confirmed"),
      (s) => s.kind === SERVER && s.name.endsWith("/GetUser"),
      (s) => s.name === "deliver EMAIL ORDER_CONFIRMED" && s.attributes["boxoffice.notification.outcome"] === "sent",
    ];
    const spans = await eventually(
      "every span of the chain",
      async () => {
        const t = receiver.trace(traceId);
        return links.every((link) => t.some(link)) && t;
      },
      45_000,
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const parentOf = (s: ReceivedSpan) => byId.get(s.parentSpanId);

    const holdSpan = only(spans, "HoldSeats", (s) => s.kind === SERVER && s.name.endsWith("TicketService/HoldSeats"));
    assert.equal(holdSpan.service, "ticket");
    assert.equal(holdSpan.parentSpanId, holdParent, "the hold continues the caller's span");
    assert.equal(holdSpan.attributes["rpc.system"], "grpc");
    assert.equal(holdSpan.attributes["rpc.grpc.status_code"], 0);
    assert.equal(holdSpan.attributes["boxoffice.request_id"], `buy-${traceId}`);

    const checkout = only(spans, "Checkout", (s) => s.kind === SERVER && s.name.endsWith("TicketService/Checkout"));
    assert.equal(checkout.parentSpanId, checkoutParent);

    const chargeCall = only(spans, "Charge (client)", (s) => s.kind === CLIENT && s.name.endsWith("/Charge"));
    assert.equal(chargeCall.service, "ticket");
    assert.equal(parentOf(chargeCall)?.spanId, checkout.spanId);
    const charge = only(spans, "Charge (server)", (s) => s.kind === SERVER && s.name.endsWith("/Charge"));
    assert.equal(charge.service, "payment");
    assert.equal(charge.parentSpanId, chargeCall.spanId, "payment continues ticket's client span");
    assert.equal(charge.attributes["boxoffice.request_id"], `buy-${traceId}`, "the request id travels with it");

    const succeeded = only(
      spans,
      "PaymentSucceeded written",
      (s) => s.kind === PRODUCER && s.name.endsWith(".payment.payment_succeeded"),
    );
    assert.equal(succeeded.service, "payment");
    assert.equal(succeeded.parentSpanId, charge.spanId);
    const succeededHandled = spans.filter(
      (s) => s.kind === CONSUMER && s.name.endsWith(".payment.payment_succeeded") && s.service === "ticket",
    );
    assert.ok(succeededHandled.length >= 1, "ticket handled PaymentSucceeded in the trace");
    for (const s of succeededHandled) assert.equal(s.parentSpanId, succeeded.spanId);

    const confirmed = only(
      spans,
      "OrderConfirmed written",
      (s) => s.kind === PRODUCER && s.name.endsWith(".ticket.order_confirmed"),
    );
    assert.equal(confirmed.service, "ticket");
    const confirmedHandled = only(
      spans,
      "OrderConfirmed handled",
      (s) => s.kind === CONSUMER && s.name.endsWith(".ticket.order_confirmed"),
    );
    assert.equal(confirmedHandled.service, "notification");
    assert.equal(confirmedHandled.parentSpanId, confirmed.spanId);
    assert.equal(confirmedHandled.attributes["boxoffice.consumer.outcome"], "applied");

    const email = only(spans, "email", (s) => s.name === "deliver EMAIL ORDER_CONFIRMED");
    assert.equal(email.service, "notification");
    assert.equal(email.parentSpanId, confirmedHandled.spanId, "the sender continues the consumer's trace");
    assert.equal(email.attributes["boxoffice.order_id"], order!.id);
    // the address comes from auth, inside the delivery
    const getUser = only(spans, "GetUser (server)", (s) => s.kind === SERVER && s.name.endsWith("/GetUser"));
    assert.equal(getUser.service, "auth");
    assert.equal(parentOf(parentOf(getUser)!)?.spanId, email.spanId);

    for (const s of spans) assert.equal(s.traceId, traceId);
    assert.deepEqual(new Set(spans.map((s) => s.service)), new Set(["ticket", "payment", "notification", "auth"]));
  });

  it("continues an incoming B3 trace (single and multi header) and carries it to payment", async () => {
    const ev = await bed.open();
    const single = { traceId: hex(16), spanId: hex(8) };
    const { hold } = await bed.ticket.holdSeats(
      {
        requestId: hex(8),
        eventId: ev.eventId,
        items: [{ kind: { case: "generalAdmission", value: { sectionId: ev.sections[1]!.id, quantity: 1 } } }],
      },
      await as(buyer, { b3: `${single.traceId}-${single.spanId}-1` }),
    );
    const multi = { traceId: hex(16), spanId: hex(8) };
    await bed.ticket.checkout(
      { requestId: hex(8), holdId: hold!.id, paymentToken: "sandbox_ok" },
      await as(buyer, { "x-b3-traceid": multi.traceId, "x-b3-spanid": multi.spanId, "x-b3-sampled": "1" }),
    );
    const held = await eventually("the B3 hold's span", async () => receiver.trace(single.traceId)[0]);
    assert.equal(held.parentSpanId, single.spanId);
    assert.ok(held.name.endsWith("/HoldSeats"));
    const charged = await eventually("payment's Charge in the B3 trace", async () =>
      receiver.trace(multi.traceId).find((s) => s.service === "payment" && s.kind === SERVER),
    );
    assert.ok(charged.name.endsWith("/Charge"));
  });
});
