import assert from "node:assert/strict";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { EchoService } from "../../gen/boxoffice/testing/v1/echo_service_pb.js";
import { failure } from "../../test/support/assert.js";
import { startTestProcess } from "../../test/support/process.js";
import { sleep } from "../clock/index.js";
import { createMetrics } from "../metrics/index.js";
import { access } from "../rpc/access.js";
import { defineService } from "../rpc/service.js";
import { resilienceInterceptor } from "./resilience.js";

/** A flaky downstream: fails the first `failures` calls of each message with UNAVAILABLE. */
function flaky() {
  const calls = new Map<string, number>();
  const state = { failures: 0, hits: 0 };
  const reg = defineService(
    EchoService,
    { echo: access.public(), echoStream: access.public() },
    {
      async echo(req, ctx) {
        state.hits++;
        const n = (calls.get(req.message) ?? 0) + 1;
        calls.set(req.message, n);
        if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
        if (n <= state.failures) throw new ConnectError("overloaded", Code.Unavailable);
        return { message: `${req.message} after ${n}` };
      },
      async *echoStream() {},
    },
  );
  return { reg, state };
}

describe("client resilience (cockatiel): timeout, retry only when safe, breaker", function () {
  this.timeout(30_000);
  const downstream = flaky();
  let proc: Awaited<ReturnType<typeof startTestProcess>>;
  before(async () => {
    proc = await startTestProcess({ echo: false, modules: [], extraServices: [downstream.reg] });
  });
  after(() => proc.stop());

  const client = (o: Parameters<typeof resilienceInterceptor>[0]) =>
    createClient(EchoService, createGrpcTransport({ baseUrl: proc.baseUrl, interceptors: [resilienceInterceptor(o)] }));

  it("retries UNAVAILABLE for a call with a request_id, and succeeds", async () => {
    downstream.state.failures = 2;
    const res = await client({ target: "echo", retries: 2 }).echo({ message: "safe", requestId: "req-1" });
    assert.equal(res.message, "safe after 3");
  });

  it("never retries a call that is not retry-safe", async () => {
    downstream.state.failures = 1;
    const before = downstream.state.hits;
    const err = await failure(client({ target: "echo", retries: 2 }).echo({ message: "unsafe" }));
    assert.equal(err.code, Code.Unavailable);
    assert.equal(downstream.state.hits - before, 1, "one attempt only");
  });

  it("aborts an attempt at its timeout with DEADLINE_EXCEEDED", async () => {
    downstream.state.failures = 0;
    const started = Date.now();
    const err = await failure(client({ target: "echo", timeoutMs: 200 }).echo({ message: "slow", delayMs: 5_000 }));
    assert.equal(err.code, Code.DeadlineExceeded);
    assert.ok(Date.now() - started < 2_000);
  });

  it("opens the breaker after consecutive failures and fails fast without calling the downstream", async () => {
    downstream.state.failures = 1_000;
    const c = client({ target: "echo", retries: 0, breakAfter: 3, halfOpenAfterMs: 60_000 });
    for (let i = 0; i < 3; i++) assert.equal((await failure(c.echo({ message: `b${i}` }))).code, Code.Unavailable);
    const before = downstream.state.hits;
    const open = await failure(c.echo({ message: "b-open" }));
    assert.equal(open.code, Code.Unavailable);
    assert.match(open.rawMessage, /circuit open/);
    assert.equal(downstream.state.hits, before, "the downstream was not called");
  });

  it("reports its breaker to circuit_breaker_state: 0 closed, 2 open", async () => {
    const m = createMetrics({ collectDefaults: false });
    const c = client({
      target: "echo",
      retries: 0,
      breakAfter: 2,
      halfOpenAfterMs: 60_000,
      observeBreaker: (state) => m.breakers.track({ caller: "test", target: "echo" }, state),
    });
    const gauge = async () => (await m.registry.getSingleMetric("circuit_breaker_state")?.get())?.values;
    downstream.state.failures = 0;
    await c.echo({ message: "g-ok" });
    assert.deepEqual(await gauge(), [{ labels: { caller: "test", target: "echo" }, value: 0 }]);
    downstream.state.failures = 1_000;
    for (let i = 0; i < 2; i++) await failure(c.echo({ message: `g${i}` }));
    assert.deepEqual(await gauge(), [{ labels: { caller: "test", target: "echo" }, value: 2 }]);
  });

  it("counts a call's retries once toward the breaker: retried failures of one request do not open it", async () => {
    downstream.state.failures = 2; // each message fails twice, then succeeds on the third attempt
    const c = client({ target: "echo", retries: 2, breakAfter: 3, halfOpenAfterMs: 60_000 });
    for (let i = 0; i < 4; i++)
      assert.match((await c.echo({ message: `r${i}`, requestId: `req-r${i}` })).message, /after 3/);
    downstream.state.failures = 1_000;
    for (let i = 0; i < 2; i++)
      assert.equal((await failure(c.echo({ message: `f${i}`, requestId: `req-f${i}` }))).code, Code.Unavailable);
    const before = downstream.state.hits;
    const third = await failure(c.echo({ message: "f2", requestId: "req-f2" }));
    assert.doesNotMatch(third.rawMessage, /circuit open/, "two failed calls (six attempts) have not opened it");
    assert.equal(downstream.state.hits - before, 3, "the third call made its three attempts");
    const open = await failure(c.echo({ message: "f3", requestId: "req-f3" }));
    assert.match(open.rawMessage, /circuit open/, "the third failed call opened it");
  });
});
