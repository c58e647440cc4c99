import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { OrderState } from "../../gen/boxoffice/ticket/v1/order_pb.js";
import { sleep } from "../../platform/clock/index.js";
import { failure, reason } from "../support/assert.js";
import {
  clientsOf,
  grid,
  type Proc,
  type Published,
  publishEvent,
  stackEnv,
  startTestProcess,
  type TokenMint,
} from "./ticket-kit.js";

/**
 * Admission by criticality through a real all-in-one process (issue 16): with its unary calls at
 * the point where new work is refused, and more streams open than the whole unary bound, it still
 * admits Checkout — and the Charge that Checkout makes to payment in the same process — while
 * GetEvent, GetAvailability and HoldSeats get RESOURCE_EXHAUSTED OVERLOADED.
 */
describe("admission: a saturated process still sells", function () {
  this.timeout(60_000);
  let proc: Proc;
  let ev: Published;
  let mint: TokenMint;
  before(async () => {
    const stack = await stackEnv({ BOXOFFICE_MAX_INFLIGHT: "10" });
    mint = stack.mint;
    proc = await startTestProcess({ env: stack.env });
    ev = await publishEvent(proc, mint, [grid("Stalls", 2, 10)]);
  });
  after(() => proc?.stop());

  it("admits Checkout (and its internal Charge) while refusing reads and new holds", async () => {
    const c = clientsOf(proc);
    const buyer = await mint.as();
    const seat = (label: string) => ({
      kind: { case: "seat" as const, value: { sectionId: ev.sections[0]!, rowLabel: "1", seatLabel: label } },
    });
    const { hold } = await c.grpc.holdSeats(
      { requestId: randomUUID(), eventId: ev.event.id, items: [seat("1")] },
      buyer,
    );

    // twelve availability streams, more than the unary bound: they take none of its slots
    const streams = new AbortController();
    const watching = Array.from({ length: 12 }, async () => {
      const it = c.grpc.watchAvailability({ eventId: ev.event.id }, { signal: streams.signal })[Symbol.asyncIterator]();
      await it.next();
      return it;
    });
    await Promise.all(watching);
    // eight slow calls of the normal tier: as far as the normal tier may fill a bound of 10
    const echo = createClient(EchoService, createGrpcTransport({ baseUrl: proc.baseUrl }));
    const busy = Array.from({ length: 8 }, () => echo.echo({ message: "busy", delayMs: 4_000 }, { timeoutMs: 20_000 }));
    await sleep(200);
    try {
      for (const [what, call] of [
        ["GetEvent (sheddable)", () => c.events.getEvent({ eventId: ev.event.id })],
        ["GetAvailability (sheddable)", () => c.tickets.getAvailability({ eventId: ev.event.id })],
        [
          "HoldSeats (normal)",
          () => c.grpc.holdSeats({ requestId: randomUUID(), eventId: ev.event.id, items: [seat("2")] }, buyer),
        ],
      ] as const) {
        const e = await failure(call());
        assert.equal(Code[e.code], "ResourceExhausted", `${what}: ${e.message}`);
        assert.equal(reason(e), "OVERLOADED", what);
      }
      const { order } = await c.grpc.checkout(
        { requestId: randomUUID(), holdId: hold!.id, paymentToken: "sandbox_ok" },
        { ...buyer, timeoutMs: 10_000 },
      );
      assert.equal(order?.state, OrderState.CONFIRMED, "Checkout ran, and so did its Charge");
      const stillBusy = await failure(c.events.getEvent({ eventId: ev.event.id }));
      assert.equal(Code[stillBusy.code], "ResourceExhausted", "the process was saturated throughout");
    } finally {
      streams.abort();
    }
    await Promise.all(busy);
    // the crowd gone, reads are admitted again
    assert.equal((await c.events.getEvent({ eventId: ev.event.id })).event?.id, ev.event.id);
    const metrics = await (await fetch(`${proc.adminUrl}/metrics`)).text();
    assert.match(metrics, /^rpc_server_shed_total\{reason="overloaded",tier="sheddable"\} 3$/m);
    assert.match(metrics, /^rpc_server_shed_total\{reason="overloaded",tier="normal"\} 1$/m);
    assert.doesNotMatch(metrics, /tier="(critical|internal)"/);
  });
});
