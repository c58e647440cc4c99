import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { Code, createClient, type Transport } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import pino from "pino";
import { AuthInternalService } from "../../../gen/boxoffice/auth/v1/auth_internal_service_pb.js";
import { EventService } from "../../../gen/boxoffice/event/v1/event_service_pb.js";
import { PaymentService } from "../../../gen/boxoffice/payment/v1/payment_service_pb.js";
import { EchoService } from "../../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { failure, reason as reasonOf } from "../../../test/support/assert.js";
import { sleep } from "../../clock/index.js";
import { createMetrics } from "../../metrics/index.js";
import { servicePrincipal } from "../../principal/index.js";
import { startRpcServer } from "../../server/index.js";
import { access, critical, sheddable } from "../access.js";
import { type ServiceRegistration, unimplementedService } from "../service.js";
import { unaryLimits } from "./admission.js";

/** Calls that wait until the test lets them go (or they are cancelled). */
class Valve {
  #open: () => void = () => undefined;
  #opened = new Promise<void>((r) => {
    this.#open = r;
  });
  wait = (signal: AbortSignal) =>
    Promise.race([this.#opened, new Promise<void>((_, reject) => signal.addEventListener("abort", reject))]);
  open(): void {
    this.#open();
  }
}

/**
 * A real server (the gate, the interceptor chain, the shed counter) whose RPCs are declared with
 * one tier each: ListEvents sheddable, ListVenues normal, ListPayments critical, AuthInternal
 * GetUser internal, EchoStream a stream. Every unary call waits on the valve, so calls in
 * progress are exactly the calls the test started.
 */
async function tieredServer(maxInflight: number, streams = { total: 6, perConnection: 4 }) {
  const valve = new Valve();
  const held = async (_req: unknown, ctx: { signal: AbortSignal }) => {
    await valve.wait(ctx.signal);
    return {};
  };
  const stub = <S extends ServiceRegistration>(s: S, impl: Record<string, unknown>): ServiceRegistration => ({
    ...s,
    impl: { ...s.impl, ...impl },
  });
  const services: ServiceRegistration[] = [
    stub(
      unimplementedService(
        EventService,
        {
          createVenue: access.public(),
          getVenue: access.public(),
          listVenues: access.public(),
          createEvent: access.public(),
          updateEvent: access.public(),
          publishEvent: access.public(),
          cancelEvent: access.public(),
          getEvent: access.public(),
          listEvents: sheddable(access.public()),
        },
        "test",
      ),
      { listEvents: held, listVenues: held },
    ),
    stub(
      unimplementedService(
        PaymentService,
        {
          getPayment: access.public(),
          listPayments: critical(access.public()),
          setSandboxFaults: access.public(),
        },
        "test",
      ),
      { listPayments: held },
    ),
    stub(
      unimplementedService(
        AuthInternalService,
        { getUser: access.internal("ticket"), issueServiceToken: access.public() },
        "test",
      ),
      { getUser: held },
    ),
    stub(unimplementedService(EchoService, { echo: access.public(), echoStream: access.public() }, "test"), {
      // open until the client leaves
      async *echoStream(_req: unknown, ctx: { signal: AbortSignal }) {
        yield { message: "open", index: 0 };
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve));
      },
    }),
  ];
  const metrics = createMetrics({ collectDefaults: false });
  const server = await startRpcServer({
    host: "127.0.0.1",
    port: 0,
    adminPort: 0,
    logger: pino({ level: "silent" }),
    metrics,
    services,
    // the internal caller names itself; every other call is anonymous (the RPCs above are public)
    authenticate: async (h) => (h.get("x-test-service") === "ticket" ? servicePrincipal("ticket") : undefined),
    corsOrigins: [],
    maxInflight,
    maxStreams: streams.total,
    maxStreamsPerConnection: streams.perConnection,
    defaultDeadlineMs: 10_000,
    maxDeadlineMs: 60_000,
    shutdownGraceMs: 1_000,
    readMaxBytes: 1 << 20,
    trustedProxyHops: 0,
  });
  const transport = () => createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.port}` });
  return { server, valve, transport, metrics };
}

/** Starts calls that the valve holds, waiting until the server runs them; `all` awaits them. */
function holder() {
  const calls: Promise<unknown>[] = [];
  return {
    async start(call: () => Promise<unknown>, times = 1): Promise<void> {
      for (let i = 0; i < times; i++) {
        const p = call();
        p.catch(() => undefined);
        calls.push(p);
      }
      await sleep(50);
    },
    all: () => Promise.all(calls),
  };
}

async function refusedOverloaded(p: Promise<unknown>): Promise<void> {
  const e = await failure(p);
  assert.equal(e.code, Code.ResourceExhausted, e.message);
  assert.equal(reasonOf(e), "OVERLOADED", e.message);
}

function clients(t: Transport) {
  return {
    sheddable: () => createClient(EventService, t).listEvents({}),
    normal: () => createClient(EventService, t).listVenues({}),
    critical: () => createClient(PaymentService, t).listPayments({}),
    internal: () =>
      createClient(AuthInternalService, t).getUser(
        { userId: randomUUID() },
        { headers: { "x-test-service": "ticket" } },
      ),
  };
}

describe("admission by criticality", () => {
  let s: Awaited<ReturnType<typeof tieredServer>> | undefined;
  afterEach(async () => {
    s?.valve.open();
    await s?.server.drain();
    s = undefined;
  });

  it("places each tier's limit at its share of the bound", () => {
    assert.deepEqual(unaryLimits(128), { sheddable: 64, normal: 102, critical: 128, internal: 256 });
    // a tiny bound still admits one call of every tier
    assert.deepEqual(unaryLimits(1), { sheddable: 1, normal: 1, critical: 1, internal: 2 });
  });

  it("a full server refuses sheddable calls first, then normal ones, critical ones last, internal ones after them", async () => {
    s = await tieredServer(10);
    const c = clients(s.transport());
    const running = holder();
    // sheddable: admitted up to 5 calls in progress
    await running.start(c.sheddable, 5);
    await refusedOverloaded(c.sheddable());
    // normal: on up to 8, where sheddable ones are still refused
    await running.start(c.normal, 3);
    await refusedOverloaded(c.normal());
    await refusedOverloaded(c.sheddable());
    // critical: on up to the bound
    await running.start(c.critical, 2);
    await refusedOverloaded(c.critical());
    await refusedOverloaded(c.normal());
    // an internal call (a Checkout's Charge, say) still gets in while public critical calls are refused
    await running.start(c.internal, 10);
    await refusedOverloaded(c.internal());
    s.valve.open();
    await running.all();
    // once the calls are done every tier gets in again
    await Promise.all([c.sheddable(), c.normal(), c.critical(), c.internal()]);
    const text = await s.metrics.registry.getSingleMetricAsString("rpc_server_shed_total");
    for (const [tier, n] of [
      ["sheddable", 2],
      ["normal", 2],
      ["critical", 1],
      ["internal", 1],
    ] as const)
      assert.match(text, new RegExp(`^rpc_server_shed_total\\{reason="overloaded",tier="${tier}"\\} ${n}$`, "m"));
  });

  it("a server full of critical calls refuses every read, and admits again as they finish", async () => {
    s = await tieredServer(4);
    const c = clients(s.transport());
    const running = holder();
    await running.start(c.critical, 4);
    await refusedOverloaded(c.sheddable());
    await refusedOverloaded(c.critical());
    s.valve.open();
    await running.all();
    await c.sheddable();
  });

  it("streams take no unary slot, and have their own budget in total and per connection", async () => {
    s = await tieredServer(2, { total: 6, perConnection: 4 });
    const [a, b] = [s.transport(), s.transport()];
    const open = async (t: Transport) => {
      const ac = new AbortController();
      const it = createClient(EchoService, t)
        .echoStream({ message: "x", count: 1 }, { signal: ac.signal })
        [Symbol.asyncIterator]();
      assert.equal((await it.next()).value?.message, "open");
      return ac;
    };
    const onA = [];
    for (let i = 0; i < 4; i++) onA.push(await open(a));
    // more streams than the unary bound are open, yet unary calls of every tier are admitted
    assert.equal(s.server.admission.streams(), 4);
    assert.equal(s.server.admission.unary(), 0);
    s.valve.open();
    const ca = clients(a);
    for (const call of [ca.critical, ca.normal, ca.sheddable, ca.internal]) await call();
    const perConnection = await failure(open(a));
    assert.equal(perConnection.code, Code.ResourceExhausted);
    assert.equal(reasonOf(perConnection), "TOO_MANY_STREAMS");
    assert.match(perConnection.message, /on this connection/);
    const onB = [await open(b), await open(b)];
    const total = await failure(open(b));
    assert.equal(reasonOf(total), "TOO_MANY_STREAMS");
    assert.match(total.message, /on this server/);
    // a closed stream frees its place
    onA[0]!.abort();
    await sleep(100);
    onB.push(await open(b));
    for (const ac of [...onA, ...onB]) ac.abort();
    const text = await s.metrics.registry.getSingleMetricAsString("rpc_server_shed_total");
    assert.match(text, /^rpc_server_shed_total\{reason="too_many_streams",tier="stream"\} 2$/m);
  });
});
